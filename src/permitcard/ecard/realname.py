"""The built-in real-name verifier: a one-time code sent to the contact on file.

It comes after the registry's data match (name, passport, permit number or SSN), which registration
always does. A face-recognition provider implements ``domain.RealNameVerifier`` the same way and is
chosen by ``verifier()``; the registry match stays in front of any of them.
"""

from __future__ import annotations

import hmac

from sqlalchemy.orm import Session

from permitcard.ecard import domain
from permitcard.ecard import repository as repo
from permitcard.ecard.domain import Outcome, Subject
from permitcard.ecard.models import EcardCode
from permitcard.notifications.service import notify
from permitcard.shared import clock
from permitcard.shared.crypto import blind_index
from permitcard.shared.errors import N_


def _code_hash(account_id: int, code: str) -> str:
    return blind_index(f"ecard-code:{account_id}:{code}")


class OneTimeCodeVerifier:
    """6 digits by e-mail, single use, valid 10 minutes, at most 5 tries; then a new code is sent."""

    name = "one_time_code"

    def start(self, s: Session, subject: Subject) -> None:
        now = clock.now()
        repo.retire_codes(s, subject.account_id, now)
        code = domain.new_code()
        row = EcardCode(account_id=subject.account_id, code_hash=_code_hash(subject.account_id, code), attempts=0,
                        created_at=now, expires_at=now + domain.CODE_LIFETIME)
        s.add(row)
        s.flush([row])
        notify(s, to=subject.contact_email, template="ecard_code", locale=subject.locale,
               dedupe_key=f"ecard_code:{row.id}",
               params={"code": code, "minutes": int(domain.CODE_LIFETIME.total_seconds() // 60)})

    def check(self, s: Session, subject: Subject, response: str) -> Outcome:
        now = clock.now()
        row = repo.live_code(s, subject.account_id)
        state = None if row is None else domain.CodeState(expires_at=domain.as_utc(row.expires_at),
                                                           attempts=row.attempts, used=row.used_at is not None)
        if row is None or state is None or not state.usable(now):
            self.start(s, subject)
            return Outcome(False, N_("This code has expired. We have sent you a new code."), new_challenge=True)
        code = domain.normalise_code(response)
        if len(code) == domain.CODE_DIGITS and hmac.compare_digest(row.code_hash, _code_hash(subject.account_id, code)):
            row.used_at = now
            return Outcome(True)
        row.attempts += 1
        left = domain.CODE_MAX_TRIES - row.attempts
        if left <= 0:
            self.start(s, subject)
            return Outcome(False, N_("The code was wrong 5 times. We have sent you a new code."), new_challenge=True)
        return Outcome(False, N_("The code is not right. Check the e-mail and try again (%(left)s tries left)."),
                       params={"left": left})


def verifier() -> domain.RealNameVerifier:
    """The real-name verifier in use: the one-time code. A face-recognition provider (the
    ``ecard.adapters.FACE_CHECK`` port the bootstrap fills) is wrapped in a ``RealNameVerifier`` of its
    own — ``start`` asks for a live capture, ``check`` compares it with the card photo — and returned
    here instead; registration and the registry match in front of it stay the same."""
    return OneTimeCodeVerifier()
