"""Forms people send, made safe to repeat and to read in the other language.

- **One-time form tokens** (Post/Redirect/Get): every form carries ``form_token`` (a new one per form
  shown). The first POST that carries it claims it; when that POST answers 303 the token remembers
  where it went. A second POST of the same form (reload, Back then send, a double click) is sent
  there too and changes nothing. A POST answered with a form error frees its token, so the corrected
  form can be sent. (``web.form_data`` claims, ``main.WebMiddleware`` settles.)
- **Drafts**: a form shown again with errors keeps what was typed and its errors (encrypted) under
  a random id; the language switch of that page takes the reader to the form's own GET page with
  the draft, which shows the values and the errors in the other language (``web.render``). The same
  address stands in the browser's history for the page shown for the POST (``static/as-get.js``), so
  Back and reload show it again. A draft opens only for the session that made it (``owner``: the
  session cookies, ``web.draft_owner``), so its address in a shared computer's history shows nothing
  to the next person.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from permitcard.shared import clock, crypto
from permitcard.shared.errors import N_, NP_, Conflict, DomainError, FieldError, Plural
from permitcard.shared.models import FormDraft, FormSubmission

TOKEN_FIELD = "form_token"  # noqa: S105 - a field name
PAGE_FIELD = "form_page"  # the GET page that shows the form (where the language switch returns)
DRAFT_PARAM = "draft"
KEEP = timedelta(days=2)  # how long a token or a draft is remembered
# Never kept in a draft: secrets typed into a form.
SECRET_FIELDS = frozenset({"password", "new_password", "current_password", "password_again", "code", "csrf_token",
                           TOKEN_FIELD, PAGE_FIELD})


class AlreadySent(DomainError):
    """This form was sent before: go where the first sending went."""

    status = 303
    code = "already_sent"

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location


class BeingSent(Conflict):
    title = N_("This form is being sent already. Wait a moment, then open the list to see it.")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(db: Any, token: str) -> None:
    """Claim ``token`` for this request, or raise AlreadySent / BeingSent."""
    token = token[:64]
    for attempt in range(20):
        with db.uow() as s:
            try:
                s.add(FormSubmission(token=token, location=None, created_at=clock.now()))
                s.commit()
                return
            except IntegrityError:
                s.rollback()
        with db.uow(write=False) as s:
            location = s.execute(select(FormSubmission.location).where(FormSubmission.token == token)).scalar()
        if location:
            raise AlreadySent(location)
        if attempt < 19:
            time.sleep(0.25)  # the first sending is still being handled (a double click): wait for it
    raise BeingSent()


def settle(db: Any, token: str, location: str | None) -> None:
    """The claimed request answered: remember where it went (303), or free the token (anything else)."""
    with db.uow() as s:
        if location:
            s.execute(update(FormSubmission).where(FormSubmission.token == token).values(location=location[:500]))
        else:
            s.execute(delete(FormSubmission).where(FormSubmission.token == token))
        s.execute(delete(FormSubmission).where(FormSubmission.created_at < clock.now() - KEEP))
        s.commit()


def with_draft(page: str, draft_id: str) -> str:
    """``page`` (a GET page, maybe with a query) with the draft ``draft_id``: where the language switch
    and, in the browser's history, a page shown for a POST take the reader."""
    return f"{page}{'&' if '?' in page else '?'}{urlencode({DRAFT_PARAM: draft_id[:64]})}"


def _owner_digest(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()


def save_draft(db: Any, *, path: str, values: dict[str, Any], errors: list[FieldError], owner: str) -> str:
    draft_id = secrets.token_urlsafe(18)
    payload = {"values": {k: v for k, v in values.items() if isinstance(v, str) and k not in SECRET_FIELDS},
               "errors": [[e.field, _message_out(e.message), _params_out(e.params)] for e in errors],
               "owner": _owner_digest(owner)}
    with db.uow() as s:
        s.execute(delete(FormDraft).where(FormDraft.created_at < clock.now() - KEEP))
        s.add(FormDraft(id=draft_id, path=path[:500], payload=crypto.encrypt(json.dumps(payload)),
                        created_at=clock.now()))
        s.commit()
    return draft_id


def load_draft(db: Any, draft_id: str, *, path: str, owner: str) -> tuple[dict[str, str], list[FieldError]] | None:
    """The values and errors of a draft made for ``path`` by the session ``owner`` (None if there is none)."""
    with db.uow(write=False) as s:
        row = s.get(FormDraft, draft_id[:64])
        if row is None or row.path != path:
            return None
        payload = json.loads(crypto.decrypt(row.payload))
    if not hmac.compare_digest(str(payload.get("owner", "")), _owner_digest(owner)):
        return None
    return payload["values"], [FieldError(f, _message_in(m), _params_in(p)) for f, m, p in payload["errors"]]


# An error's message in a draft keeps its plural form ("at most 2 years", not "at most 2 year").
def _message_out(message: str) -> str | list[str]:
    return [str(message), message.plural, message.count_param] if isinstance(message, Plural) else message


def _message_in(message: str | list[str]) -> str:
    return NP_(*message) if isinstance(message, list) else message


# An error's parameters in a draft: text and numbers as they are, dates (the first and last day of a
# window, a limit) tagged so that the other language formats them again, never a raw %(placeholder)s.
def _params_out(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, datetime):
            out[k] = {"datetime": v.isoformat()}
        elif isinstance(v, date):
            out[k] = {"date": v.isoformat()}
        elif isinstance(v, str | int):
            out[k] = v
    return out


def _params_in(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, dict) and "datetime" in v:
            out[k] = datetime.fromisoformat(v["datetime"])
        elif isinstance(v, dict) and "date" in v:
            out[k] = date.fromisoformat(v["date"])
        else:
            out[k] = v
    return out


def drop_draft(db: Any, draft_id: str) -> None:
    with db.uow() as s:
        s.execute(delete(FormDraft).where(FormDraft.id == draft_id[:64]))
        s.commit()
