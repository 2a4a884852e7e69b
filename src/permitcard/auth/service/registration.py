"""Employers' self-registration, with one answer whether the e-mail address has an account or not.

Like an applicant's sign-up (``signup``): the registration is checked (the company's fields and the
password), the password hashed, and a message goes to the address typed: a new address gets a link
that carries the registration sealed (nothing is stored before it is opened); an address that has an
account gets a message saying so. Opening the link creates the employer (waiting for review) and its
first HR account, and signs in. A unified social credit code already registered is still refused at
once: that a company is registered is public knowledge; the refusal is the same whatever address was
typed. Throttled per address typed and per client address.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session

from permitcard.auth import repository as repo
from permitcard.auth.domain import Role, new_token, token_hash
from permitcard.auth.errors import LinkExpired
from permitcard.auth.models import Employer
from permitcard.auth.service import employers
from permitcard.auth.service.accounts import CurrentUser, as_current, create_user, hash_password
from permitcard.auth.service.employers import CODE_TAKEN, EmployerView
from permitcard.auth.service.sessions import new_session
from permitcard.auth.service.signup import credential_errors
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.shared import audit, clock, crypto, i18n, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, RuleViolation, ValidationFailed

LINK_HOURS = 24
KIND = "employer"
SENT = N_("We have sent a message to that address. Open the link in it to finish registering the employer; if "
          "the address already has an account, the message says how to sign in.")
TAKEN_MEANWHILE = N_("An account with this e-mail address was created after this link was sent, so the "
                     "registration was not made. Sign in with that account, or register again with another "
                     "address.")


def _fields(data: dict[str, str], email: str, password: str) -> tuple[dict[str, str], str]:
    """The registration's problems, beside their fields (none says anything about other accounts)."""
    values, errors = employers.clean_details(data)
    email, more = credential_errors(email, password)
    if errors or more:
        raise ValidationFailed(errors + more)
    return values, email


def request_registration(db: Database, *, data: dict[str, str], email: str, password: str, ip: str = "") -> None:
    """Check the registration, then send the link (new address) or the reminder (address with an account)."""
    values, email = _fields(data, email, password)
    password_hash = hash_password(password)  # both ways, outside the unit of work
    throttle.attempt(db, throttle.keys("employer-register", account=crypto.blind_index(email), ip=ip))
    locale = i18n.get_locale()
    base = get_settings().base_url
    with db.uow() as s:
        if repo.employer_by_uscc(s, values["uscc"]) is not None:  # public knowledge, whatever the address
            raise ValidationFailed.one("uscc", CODE_TAKEN)
        existing = repo.user_by_email(s, email)
        if existing is None:
            sealed = crypto.encrypt(json.dumps(
                {"kind": KIND, "email": email, "name": values["contact_name"], "hash": password_hash,
                 "locale": locale, "employer": values,
                 "until": (clock.now() + timedelta(hours=LINK_HOURS)).isoformat()}, ensure_ascii=False))
            token = sealed.removeprefix("v1:")
            notify(s, to=email, template="employer_register_confirm", locale=locale,
                   dedupe_key=f"employer_register:{token_hash(token)}",
                   params={"name": values["contact_name"], "employer": values["name_en"], "hours": LINK_HOURS,
                           "url": f"{base}/employers/register/confirm/{token}"})
        else:
            notify(s, to=existing.email, template="signup_existing", locale=existing.locale or locale,
                   dedupe_key=f"employer_register_existing:{existing.id}:{new_token()}",
                   params={"name": existing.display_name, "login_url": f"{base}/login",
                           "reset_url": f"{base}/password/forgot"})
        audit.record(s, actor=Actor.anonymous(ip, label=email), action="employer.registration_requested",
                     target_type="user", target_id=existing.id if existing is not None else "",
                     after={"uscc": values["uscc"]})
        s.commit()


def _open(token: str) -> dict:  # type: ignore[type-arg]
    try:
        data = json.loads(crypto.decrypt("v1:" + token)) if token and len(token) < 8000 else None
    except Exception:
        data = None
    if (not isinstance(data, dict) or data.get("kind") != KIND or not isinstance(data.get("employer"), dict)
            or clock.now().isoformat() > str(data.get("until", ""))):
        raise LinkExpired()
    return data


def _refuse_if_taken(s: Session, data: dict) -> None:  # type: ignore[type-arg]
    existing = repo.user_by_email(s, data["email"])
    if existing is not None:
        first = s.get(Employer, existing.employer_id) if existing.employer_id is not None else None
        made_here = first is not None and first.registered_by_user_id == existing.id
        if made_here and first is not None and first.uscc == data["employer"].get("uscc"):
            raise LinkExpired()  # this link's registration was made already
        raise RuleViolation(TAKEN_MEANWHILE)


def check_link(db: Database, token: str) -> None:
    """Before the confirm button is shown: an expired or used link, or an address taken meanwhile, is refused."""
    data = _open(token)
    with db.uow(write=False) as s:
        _refuse_if_taken(s, data)


def confirm_registration(db: Database, *, token: str, ip: str = "") -> tuple[str, CurrentUser, EmployerView]:
    """Create the employer of a registration link (waiting for review) with its first HR account, and sign
    in: (session token, user, employer). A link opened again is expired; if the address got an account
    meanwhile, the registration is refused."""
    data = _open(token)
    values = {k: str(data["employer"].get(k, "")) for k in employers.FIELDS}
    with db.uow() as s:
        _refuse_if_taken(s, data)
        actor = Actor(None, "anonymous", data["email"], ip)
        employer = employers.new_employer(s, values, actor=actor)
        user = create_user(s, email=data["email"], password=None, password_hash=data["hash"], role=Role.EMPLOYER,
                           display_name=data["name"], actor=actor, employer_id=employer.id,
                           locale=data.get("locale"))
        employer.registered_by_user_id = user.id
        session = new_session(s, user, ip=ip)
        view = employers.view(employer)
        s.commit()
        return session, as_current(user), view


def register_at_once(db: Database, *, data: dict[str, str], email: str, password: str, ip: str = "",
                     ) -> tuple[str, CurrentUser, EmployerView]:
    """Demo seeding only (no e-mail round trip): the registration is made and signed in at once."""
    values, email = _fields(data, email, password)
    password_hash = hash_password(password)
    with db.uow() as s:
        if repo.user_by_email(s, email) is not None:
            raise ValidationFailed.one("email", N_("An account with this e-mail address already exists. "
                                                   "Sign in instead."))
        actor = Actor(None, "anonymous", email, ip)
        employer = employers.new_employer(s, values, actor=actor)
        user = create_user(s, email=email, password=None, password_hash=password_hash, role=Role.EMPLOYER,
                           display_name=values["contact_name"], actor=actor, employer_id=employer.id)
        employer.registered_by_user_id = user.id
        session = new_session(s, user, ip=ip)
        view = employers.view(employer)
        s.commit()
        return session, as_current(user), view
