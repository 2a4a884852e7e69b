"""Registration and real-name verification of the e-card (SPEC §5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from permitcard.auth.domain import Role
from permitcard.auth.service import CurrentUser, link_permit
from permitcard.ecard import service
from permitcard.ecard.errors import AlreadyRegistered, CodeRejected, DetailsDoNotMatch, TooManyAttempts
from permitcard.shared import audit, clock
from permitcard.shared.errors import ValidationFailed
from tests.factories import make_user
from tests.integration.ecard.conftest import PASSWORD, code_mails, form, last_code


class _Counting:
    def __init__(self, real):
        self.real, self.hashed = real, []

    def hash(self, password):
        self.hashed.append(password)
        return self.real.hash(password)

    def __getattr__(self, name):
        return getattr(self.real, name)


def _count_hashes(monkeypatch):
    counting = _Counting(service.password_hasher)
    monkeypatch.setattr(service, "password_hasher", counting)
    return counting.hashed


def _pending(db, started):
    holder = service.holder_for(db, started.token, kinds=("pending",))
    assert holder is not None
    return holder


def test_register_with_the_permit_number_then_the_code_verifies(db, person, maildir):
    info, _ = person
    started = service.register(db, **form(info))
    assert not started.verified and started.contact_masked == "m•••@example.com" and not started.contact_is_account
    [mail] = code_mails(db, maildir)
    assert mail["To"] == "me@example.com" and "10 minutes" in mail.get_content()
    token = service.verify_code(db, holder=_pending(db, started), code=last_code(db, maildir))
    holder = service.holder_for(db, token, kinds=("session",))
    assert holder is not None and holder.verified and holder.permit_number == info.permit_number
    with db.uow(write=False) as s:
        actions = [r.action for r in audit.history(s, target_type="ecard_account", target_id=holder.account_id)]
    assert actions[:2] == ["ecard_account.verified", "ecard_account.registered"]


def test_register_with_the_social_security_number(db, person, maildir):
    info, ssn = person
    started = service.register(db, **form(info, number_kind="ssn", number=ssn))
    token = service.verify_code(db, holder=_pending(db, started), code=last_code(db, maildir))
    holder = service.holder_for(db, token, kinds=("session",))
    assert holder is not None and holder.permit_number == info.permit_number


@pytest.mark.parametrize("wrong", [
    {"family_name": "SOMEONE ELSE"},
    {"passport_number": "X1234567"},
    {"number": "ZZ99999999"},
    {"number_kind": "ssn", "number": "944724199001011230"},
])
def test_every_wrong_combination_gets_the_same_answer_after_the_same_work(db, person, maildir, monkeypatch, wrong):
    info, _ = person
    hashed = _count_hashes(monkeypatch)
    with pytest.raises(DetailsDoNotMatch) as caught:
        service.register(db, **form(info, **wrong))
    assert caught.value.message == DetailsDoNotMatch.title and hashed == [PASSWORD]
    assert not code_mails(db, maildir)


def test_the_right_combination_does_the_same_work(db, person, maildir, monkeypatch):
    info, _ = person
    hashed = _count_hashes(monkeypatch)
    service.register(db, **form(info))
    assert hashed == [PASSWORD]


@pytest.mark.parametrize(("password", "field"), [("short1", "password"), ("onlyletters", "password"),
                                                  ("Password1", "password"), ("Abcdefgh1234567890", "password")])
def test_the_e_card_password_rules(db, person, password, field):
    info, _ = person
    with pytest.raises(ValidationFailed) as caught:
        service.register(db, **form(info, password=password, password_again=password))
    assert [e.field for e in caught.value.errors] == [field]


def test_the_code_goes_to_the_linked_account_when_there_is_one(db, person, maildir):
    info, _ = person
    uid = make_user(db, Role.APPLICANT, "linked@example.com")
    link_permit(db, user=CurrentUser(uid, "linked@example.com", "x", "applicant", None, None, None),
                family_name=info.family_name, given_names=info.given_names, permit_number=info.permit_number,
                passport_number=info.passport_number)
    started = service.register(db, **form(info, email="attacker@example.com"))
    assert started.contact_is_account and started.contact_masked == "l•••@example.com"
    assert [m["To"] for m in code_mails(db, maildir)] == ["linked@example.com"]


def test_a_wrong_code_five_times_sends_a_new_one(db, person, maildir):
    info, _ = person
    holder = _pending(db, service.register(db, **form(info)))
    first = last_code(db, maildir)
    wrong = "000000" if first != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRejected) as caught:
            service.verify_code(db, holder=holder, code=wrong)
        assert caught.value.params == {"left": left}
    with pytest.raises(CodeRejected) as caught:
        service.verify_code(db, holder=holder, code=wrong)
    assert "5 times" in caught.value.message
    second = last_code(db, maildir)
    with pytest.raises(TooManyAttempts) as waiting:  # and the account waits 30 s before trying again
        service.verify_code(db, holder=holder, code=second)
    assert waiting.value.retry_after <= 31
    start = clock.now()
    with clock.frozen(start + timedelta(seconds=31)), pytest.raises(CodeRejected):
        service.verify_code(db, holder=holder, code=first)  # the old code is dead; the wait doubles
    with clock.frozen(start + timedelta(seconds=31 + 61)):
        assert service.verify_code(db, holder=holder, code=second)


def test_a_code_is_valid_10_minutes_then_a_new_one_is_sent(db, person, maildir):
    info, _ = person
    holder = _pending(db, service.register(db, **form(info)))
    code = last_code(db, maildir)
    with clock.frozen(clock.now() + timedelta(minutes=10, seconds=1)):
        with pytest.raises(CodeRejected) as caught:
            service.verify_code(db, holder=holder, code=code)
        assert "expired" in caught.value.message
        assert len(code_mails(db, maildir)) == 2


def test_a_code_is_single_use(db, registered, maildir):
    holder = registered()
    assert service.verify_code(db, holder=holder, code="123456") == ""  # already verified: nothing happens


def test_registering_again_after_verification_says_sign_in(db, person, registered):
    info, _ = person
    registered()
    with pytest.raises(AlreadyRegistered):
        service.register(db, **form(info))


def test_registration_attempts_are_limited_per_address(db, person, maildir):
    info, _ = person
    for _ in range(5):
        with pytest.raises(DetailsDoNotMatch):
            service.register(db, ip="10.9.9.9", **form(info, passport_number="X0000000"))
    with pytest.raises(TooManyAttempts) as caught:
        service.register(db, ip="10.9.9.9", **form(info))
    assert 1 <= caught.value.retry_after <= 31
    with pytest.raises(TooManyAttempts):  # the same permit number from another address waits too
        service.register(db, ip="10.9.9.8", **form(info))
    with pytest.raises(DetailsDoNotMatch):  # another number from another address is not held up
        service.register(db, ip="10.9.9.8", **form(info, number="ZZ12345678"))


def test_sign_in_is_limited_per_account_and_every_attempt_audited(db, person, registered):
    info, _ = person
    registered()
    for i in range(5):
        with pytest.raises(Exception) as caught:
            service.sign_in(db, number=info.permit_number, password="wrong-pass1", ip=f"10.1.1.{i}")
        assert caught.value.status == 401  # type: ignore[attr-defined]
    with pytest.raises(TooManyAttempts):
        service.sign_in(db, number=info.permit_number, password=PASSWORD, ip="10.1.1.99")
    with db.uow(write=False) as s:
        failed = [r for r in audit.history(s, target_type="ecard_account", target_id=_account_id(db, info))
                  if r.action == "ecard_account.sign_in_failed"]
    assert len(failed) == 5
    with db.uow(write=False) as s:
        blocked = audit.history(s, target_type="ecard_account", target_id="")
    assert [r.after["kind"] for r in blocked if r.action == "ecard_account.attempt_blocked"] == ["login"]


def _account_id(db, info):
    from permitcard.ecard import repository

    with db.uow(write=False) as s:
        account = repository.account_by_permit(s, info.permit_number)
        assert account is not None
        return account.id
