"""The dynamic QR code, verified online (the public page, the API) and offline (the CLI), and the e-card
following the physical card."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from permitcard.cards import repository as card_repo
from permitcard.cards import service as cards
from permitcard.cli import app as cli
from permitcard.config import get_settings
from permitcard.ecard import qr, views
from permitcard.ecard.errors import EcardSuspended
from permitcard.shared import audit, clock
from tests.card_factories import bank_clerk, paper_application
from tests.insurance_factories import photo_for


def _token(db, holder):
    return views.issue_qr(db, holder=holder).token


def test_a_fresh_code_verifies_and_shows_only_what_a_verifier_needs(db, client, person, registered):
    info, ssn = person
    holder = registered()
    code = views.issue_qr(db, holder=holder)
    assert code.lifetime == 60 and code.url.endswith(f"/verify/{code.token}")
    assert info.permit_number not in code.token and ssn not in code.token
    page = client.get(f"/verify/{code.token}")
    assert page.status_code == 200 and "E-card confirmed" in page.text
    assert info.given_names in page.text and "Valid" in page.text
    assert info.passport_number not in page.text and ssn not in page.text and info.permit_number not in page.text
    assert "residence permit" in page.text  # another authority's check is served here
    api = client.get(f"/api/v1/ecard/verifications/{code.token}").json()
    assert api["valid"] is True and api["permit_status"] == "valid" and "ssn" not in json.dumps(api).lower()


def test_the_same_code_may_be_opened_again_while_it_is_valid(db, person, registered):
    token = _token(db, registered())
    assert views.verify_online(db, token).ok and views.verify_online(db, token).ok


def test_expired_and_replayed_after_expiry_are_refused_with_their_reasons(db, client, person, registered):
    holder = registered()
    never_seen, seen = _token(db, holder), _token(db, holder)
    assert views.verify_online(db, seen).ok
    with clock.frozen(clock.now() + timedelta(seconds=61)):
        assert views.verify_online(db, never_seen).reason == qr.EXPIRED
        assert views.verify_online(db, seen).reason == qr.REPLAYED
        page = client.get(f"/verify/{seen}")
    assert "We cannot confirm this e-card" in page.text and 'data-reason="replayed"' in page.text


def test_tampered_unknown_key_and_wrong_key_are_refused(db, client, person, registered, monkeypatch):
    holder = registered()
    token = _token(db, holder)
    head, body, sig = token.split(".")
    claims = json.loads(qr.b64d(body))
    claims["ref"] = "someone-elses-card"
    tampered = f"{head}.{qr.b64e(json.dumps(claims).encode())}.{sig}"
    assert views.verify_online(db, tampered).reason == qr.TAMPERED
    stranger = Ed25519PrivateKey.generate()
    unknown = qr.sign(stranger, card_ref=holder.card_ref, expires_at=int(clock.now().timestamp()) + 60)
    assert views.verify_online(db, unknown).reason == qr.UNKNOWN_KEY
    retired = Ed25519PrivateKey.generate()
    monkeypatch.setattr(get_settings(), "ecard_retired_public_keys", qr.b64e(qr.raw_public(retired.public_key())))
    relabelled = qr.sign(retired, card_ref=holder.card_ref, expires_at=int(clock.now().timestamp()) + 60,
                         kid=qr.kid_of(views.current_key().public_key()))
    assert views.verify_online(db, relabelled).reason == qr.WRONG_KEY
    old = qr.sign(retired, card_ref=holder.card_ref, expires_at=int(clock.now().timestamp()) + 60)
    assert views.verify_online(db, old).ok  # rotated keys stay valid while published
    for reason, tok in (("tampered", tampered), ("unknown_key", unknown)):
        assert f'data-reason="{reason}"' in client.get(f"/verify/{tok}").text
    zh = client.get(f"/verify/{tampered}", headers={"Accept-Language": "zh-CN"})
    assert "签名" in zh.text or "篡改" in zh.text


def test_published_keys_and_the_offline_verifier(db, client, tmp_path, person, registered, monkeypatch):
    holder = registered()
    keys = client.get("/.well-known/permitcard-ecard-keys.json").json()
    [current] = keys["keys"]
    assert current["kty"] == "OKP" and current["crv"] == "Ed25519" and current["status"] == "current"
    assert current["kid"] == qr.kid_of(views.current_key().public_key())
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(keys))
    token = _token(db, holder)
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify-qr", token, "--public-key", str(key_file)])
    assert ok.exit_code == 0 and ok.stdout.startswith("valid")
    late = runner.invoke(cli, ["verify-qr", token, "--public-key", str(key_file),
                               "--at", str(int(clock.now().timestamp()) + 61)])
    assert late.exit_code == 1 and late.stdout.startswith("invalid: expired")
    other = tmp_path / "other.pub"
    other.write_text(qr.b64e(qr.raw_public(Ed25519PrivateKey.generate().public_key())))
    wrong = runner.invoke(cli, ["verify-qr", f"http://x/verify/{token}", "--public-key", str(other)])
    assert wrong.exit_code == 1 and "unknown_key" in wrong.stdout


def _card_for(db, info):
    clerk = bank_clerk(db)
    app = paper_application(db, clerk, info, photo_for(db, info), channel="instant")
    app = cards.produce_instant(db, actor=clerk, application_id=app.id, version=app.version)
    cards.hand_over(db, actor=clerk, application_id=app.id, version=app.version, passport_number=info.passport_number)
    return clerk


def test_the_e_card_follows_the_physical_card(db, client, person, registered, maildir):
    from tests.card_factories import seed_branches

    info, _ = person
    seed_branches(db)
    holder = registered()
    before = views.ecard(db, holder=holder)
    assert before.service_state == "waiting" and before.waiting and "no social security card" in before.waiting
    clerk = _card_for(db, info)
    received = views.ecard(db, holder=holder)
    assert received.service_state == "active" and received.card.card_state == "issued" and received.waiting is None
    card_id = received.card.card_id or 0
    cards.activate(db, actor=clerk, card_id=card_id, version=received.card.card_version,
                   passport_number=info.passport_number)
    assert views.ecard(db, holder=holder).card.card_state == "active"
    token = _token(db, holder)
    active = views.ecard(db, holder=holder)
    assert active.can_report_loss
    views.report_loss(db, holder=holder, card_id=card_id, version=active.card.card_version)  # from the e-card
    with db.uow(write=False) as s:
        card = card_repo.card(s, card_id)
        assert card is not None and card.state == "suspended" and card.loss_reported_via == "ecard"
    assert views.ecard(db, holder=holder).service_state == "suspended"
    assert views.verify_online(db, token).reason == qr.SUSPENDED
    with pytest.raises(EcardSuspended):
        views.issue_qr(db, holder=holder)
    from tests.integration.ecard.conftest import mails

    subjects = [m["Subject"] for m in mails(db, maildir)]
    assert "Your e-card is suspended" in subjects, subjects


def test_showing_the_ssn_is_audited(db, person, registered):
    _info, ssn = person
    holder = registered()
    assert views.ecard(db, holder=holder).ssn_masked.endswith(ssn[-4:])
    assert views.reveal_ssn(db, holder=holder, ip="10.2.2.2") == ssn
    with db.uow(write=False) as s:
        [row] = [r for r in audit.history(s, target_type="ecard_account", target_id=holder.account_id)
                 if r.action == "ecard_account.ssn_shown"]
    assert row.ip == "10.2.2.2"
