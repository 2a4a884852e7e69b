"""Applicants' sign-up, with one answer whether the address has an account or not.

"An account with this e-mail address already exists" would tell anyone which addresses have
accounts. So a sign-up always answers "we sent a message to that address": a new address gets a
link that creates the account (the typed name and the password's hash travel sealed in the link,
so nothing is stored before it is opened); an address that has an account gets a message saying
so, with the way to sign in or reset the password. The same work is done either way (the password
is hashed in both), and sign-ups are throttled per address typed and per client address.
"""

from __future__ import annotations

import json
from datetime import timedelta

from permitcard.auth import repository as repo
from permitcard.auth.domain import Role, new_token, password_problem, token_hash
from permitcard.auth.errors import LinkExpired
from permitcard.auth.service.accounts import CurrentUser, as_current, create_user, hash_password, normalise_email
from permitcard.auth.service.sessions import new_session
from permitcard.config import get_settings
from permitcard.db import Database
from permitcard.notifications.service import notify
from permitcard.shared import audit, clock, crypto, i18n, throttle
from permitcard.shared.audit import Actor
from permitcard.shared.errors import N_, FieldError, ValidationFailed

LINK_HOURS = 24
SENT = N_("We have sent a message to that address. Open the link in it to finish creating your account; if the "
          "address already has an account, the message says how to sign in.")


def credential_errors(email: str, password: str) -> tuple[str, list[FieldError]]:
    """The normalised address and what is wrong with it or the password, saying nothing about other
    accounts (sign-up and employer registration both ask for these two)."""
    errors: list[FieldError] = []
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors += exc.errors
    problem = password_problem(password, email=email)
    if problem:
        errors.append(FieldError("password", problem))
    return email, errors


def _fields(email: str, password: str, display_name: str) -> str:
    """The typed values' problems, beside their fields (these say nothing about other accounts)."""
    errors: list[FieldError] = []
    if not display_name.strip():
        errors.append(FieldError("display_name", N_("Enter your name")))
    email, more = credential_errors(email, password)
    if errors or more:
        raise ValidationFailed(errors + more)
    return email


def request_sign_up(db: Database, *, email: str, password: str, display_name: str, ip: str = "") -> None:
    """Check the fields, then send the link (new address) or the reminder (address with an account)."""
    email = _fields(email, password, display_name)
    password_hash = hash_password(password)  # both ways, outside the unit of work
    throttle.attempt(db, throttle.keys("signup", account=crypto.blind_index(email), ip=ip))
    locale = i18n.get_locale()
    base = get_settings().base_url
    with db.uow() as s:
        existing = repo.user_by_email(s, email)
        if existing is None:
            sealed = crypto.encrypt(json.dumps({"email": email, "name": display_name.strip(), "hash": password_hash,
                                                "locale": locale,
                                                "until": (clock.now() + timedelta(hours=LINK_HOURS)).isoformat()}))
            token = sealed.removeprefix("v1:")
            notify(s, to=email, template="signup_confirm", locale=locale, dedupe_key=f"signup:{token_hash(token)}",
                   params={"name": display_name.strip(), "hours": LINK_HOURS, "url": f"{base}/signup/confirm/{token}"})
        else:
            notify(s, to=existing.email, template="signup_existing", locale=existing.locale or locale,
                   dedupe_key=f"signup_existing:{existing.id}:{new_token()}",
                   params={"name": existing.display_name, "login_url": f"{base}/login",
                           "reset_url": f"{base}/password/forgot"})
        audit.record(s, actor=Actor.anonymous(ip, label=email), action="user.sign_up_requested", target_type="user",
                     target_id=existing.id if existing is not None else "")
        s.commit()


def _open(token: str) -> dict[str, str]:
    try:
        data = json.loads(crypto.decrypt("v1:" + token)) if token and len(token) < 2000 else None
    except Exception:
        data = None
    if not isinstance(data, dict) or "kind" in data or clock.now().isoformat() > str(data.get("until", "")):
        raise LinkExpired()
    return data


def check_link(token: str) -> None:
    _open(token)


def confirm_sign_up(db: Database, *, token: str, ip: str = "") -> tuple[str, CurrentUser]:
    """Create the account of a sign-up link and sign it in: (session token, user). A link opened again,
    or after someone made an account with the address, is expired."""
    data = _open(token)
    with db.uow() as s:
        if repo.user_by_email(s, data["email"]) is not None:
            raise LinkExpired()
        user = create_user(s, email=data["email"], password=None, password_hash=data["hash"], role=Role.APPLICANT,
                           display_name=data["name"], actor=Actor(None, "anonymous", data["email"], ip),
                           locale=data.get("locale"))
        session = new_session(s, user, ip=ip)
        s.commit()
        return session, as_current(user)
