"""The e-card QR token: signed with Ed25519, carrying only a card reference, a nonce, the expiry and a
key id; every refusal has its own reason. Pure: no database."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from permitcard.ecard import qr

NOW = 1_800_000_000
CURRENT = Ed25519PrivateKey.generate()
RETIRED = Ed25519PrivateKey.generate()
STRANGER = Ed25519PrivateKey.generate()
KEYS = {qr.kid_of(CURRENT.public_key()): CURRENT.public_key(), qr.kid_of(RETIRED.public_key()): RETIRED.public_key()}


def token(key: Ed25519PrivateKey = CURRENT, *, exp: int = NOW + 60, **kw: str) -> str:
    return qr.sign(key, card_ref="c_Ref-123", expires_at=exp, **kw)


def payload(tok: str) -> dict[str, object]:
    return json.loads(qr.b64d(tok.split(".")[1]))


def test_a_fresh_token_is_valid_and_carries_only_reference_nonce_expiry_and_key_id():
    tok = token()
    verdict = qr.verify(tok, KEYS, now=NOW)
    assert verdict.ok and verdict.claims is not None
    assert verdict.claims.card_ref == "c_Ref-123" and verdict.claims.expires_at == NOW + 60
    assert set(payload(tok)) == {"kid", "ref", "n", "exp"}
    assert tok.startswith("PC1.") and len(tok) < 200


def test_every_token_has_a_new_nonce():
    assert payload(token())["n"] != payload(token())["n"]


def test_a_token_signed_with_a_retired_key_still_verifies():
    assert qr.verify(token(RETIRED), KEYS, now=NOW).ok


def test_expired():
    assert qr.verify(token(exp=NOW), KEYS, now=NOW).reason == qr.EXPIRED
    assert qr.verify(token(exp=NOW - 1), KEYS, now=NOW).reason == qr.EXPIRED


def test_tampered_payload():
    tok = token()
    head, _body, sig = tok.split(".")
    data = payload(tok)
    data["exp"] = NOW + 3600  # a longer life
    forged = ".".join([head, qr.b64e(json.dumps(data, separators=(",", ":"), sort_keys=True).encode()), sig])
    assert qr.verify(forged, KEYS, now=NOW).reason == qr.TAMPERED


def test_tampered_signature():
    head, body, sig = token().split(".")
    raw = bytearray(qr.b64d(sig))
    raw[10] ^= 0x01
    assert qr.verify(f"{head}.{body}.{qr.b64e(bytes(raw))}", KEYS, now=NOW).reason == qr.TAMPERED


def test_forged_with_another_key_under_our_key_id_is_tampered():
    tok = token(STRANGER, kid=qr.kid_of(CURRENT.public_key()))
    assert qr.verify(tok, KEYS, now=NOW).reason == qr.TAMPERED


def test_unknown_key():
    assert qr.verify(token(STRANGER), KEYS, now=NOW).reason == qr.UNKNOWN_KEY


def test_wrong_key_signed_with_one_known_key_but_naming_another():
    tok = token(RETIRED, kid=qr.kid_of(CURRENT.public_key()))
    assert qr.verify(tok, KEYS, now=NOW).reason == qr.WRONG_KEY


@pytest.mark.parametrize("text", ["", "hello", "PC1.a.b", "PC2." + token().split(".", 1)[1], "PC1..", "x" * 500,
                                  "PC1." + qr.b64e(b"[1,2]") + "." + qr.b64e(b"s" * 64)])
def test_malformed(text):
    assert qr.verify(text, KEYS, now=NOW).reason == qr.MALFORMED


def test_the_verification_url_is_accepted_as_well_as_the_token():
    tok = token()
    assert qr.verify(f"https://permitcard.example/verify/{tok}", KEYS, now=NOW).ok


def test_every_refusal_has_a_message():
    assert set(qr.REASONS) == {qr.MALFORMED, qr.UNKNOWN_KEY, qr.WRONG_KEY, qr.TAMPERED, qr.EXPIRED, qr.REPLAYED,
                               qr.SUSPENDED, qr.UNKNOWN_CARD}


def test_key_files_in_every_published_form():
    pub = CURRENT.public_key()
    kid = qr.kid_of(pub)
    jwks = json.dumps({"keys": [qr.jwk(pub, status="current"), qr.jwk(RETIRED.public_key(), status="retired")]})
    assert set(qr.load_keys(jwks.encode())) == set(KEYS)
    assert set(qr.load_keys(json.dumps(qr.jwk(pub, status="current")).encode())) == {kid}
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert set(qr.load_keys(pem)) == {kid}
    assert set(qr.load_keys(qr.b64e(qr.raw_public(pub)).encode())) == {kid}
    with pytest.raises(ValueError):
        qr.load_keys(b'{"keys": []}')
