"""The e-card's dynamic QR token (SPEC §5): signed with Ed25519, short-lived, verifiable offline.

Pure: no database, no settings — the keys and the time are arguments, so the offline verifier
(``permitcard verify-qr``), the online page and the unit tests run the same code.

Format (``PC1`` = version 1)::

    PC1.<base64url(JSON payload)>.<base64url(Ed25519 signature of "PC1.<payload>")>
    payload = {"kid": key id, "ref": opaque card reference, "n": nonce, "exp": expiry (Unix seconds)}

The token carries nothing else: no name, no card number, no SSN. ``kid`` names the signing key
(the first 9 bytes of the SHA-256 of its raw public key, base64url): keys can be rotated while the
old public keys stay published for verification (``/.well-known/permitcard-ecard-keys.json``).

Refusals, each with its own reason:
  malformed     not a permitcard e-card token at all;
  unknown_key   its ``kid`` names no key of the key set (offline: the key file given);
  wrong_key     its ``kid`` names a known key, but it was signed with another known key (relabelled);
  tampered      its signature verifies with no known key (content changed, or forged);
  expired       past its expiry;
  replayed      past its expiry and already presented before (online only: the nonce was seen);
  suspended     the card it refers to is suspended (online only);
  unknown_card  its card reference names no e-card (online only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from permitcard.shared.errors import N_

PREFIX = "PC1"
MAX_TOKEN_LENGTH = 400

MALFORMED, UNKNOWN_KEY, WRONG_KEY, TAMPERED = "malformed", "unknown_key", "wrong_key", "tampered"
EXPIRED, REPLAYED, SUSPENDED, UNKNOWN_CARD = "expired", "replayed", "suspended", "unknown_card"

REASONS = {
    MALFORMED: N_("This is not an e-card code."),
    UNKNOWN_KEY: N_("The code was signed with a key that is not known here."),
    WRONG_KEY: N_("The code names one signing key but was signed with another."),
    TAMPERED: N_("The code has been changed or forged: its signature does not match."),
    EXPIRED: N_("The code has expired. Ask the holder to show the code on their e-card again."),
    REPLAYED: N_("This code was already shown before and has expired: it is being reused."),
    SUSPENDED: N_("The social security card of this e-card is suspended (reported lost or stopped)."),
    UNKNOWN_CARD: N_("No e-card belongs to this code."),
}


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(key: Ed25519PublicKey) -> str:
    return b64e(hashlib.sha256(raw_public(key)).digest()[:9])


@dataclass(frozen=True)
class Claims:
    kid: str
    card_ref: str
    nonce: str
    expires_at: int  # Unix seconds


@dataclass(frozen=True)
class Verdict:
    reason: str | None  # None: valid
    claims: Claims | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        return REASONS[self.reason] if self.reason else N_("Valid")


def sign(private: Ed25519PrivateKey, *, card_ref: str, expires_at: int, nonce: str | None = None,
         kid: str | None = None) -> str:
    """A token for ``card_ref`` valid until ``expires_at`` (``kid`` only to forge tests' relabelled tokens)."""
    payload = {"kid": kid or kid_of(private.public_key()), "ref": card_ref, "n": nonce or b64e(secrets.token_bytes(12)),
               "exp": int(expires_at)}
    body = f"{PREFIX}.{b64e(json.dumps(payload, separators=(',', ':'), sort_keys=True).encode())}"
    return f"{body}.{b64e(private.sign(body.encode()))}"


def extract(text: str) -> str:
    """The token itself from what a scanner read: the token, or the verification URL ending in it."""
    text = text.strip()
    if "/verify/" in text:
        text = text.rsplit("/verify/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0]


def parse(token: str) -> tuple[bytes, bytes, Claims] | None:
    """(signed part, signature, claims), or None when it is not a well-formed token."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    try:
        data = json.loads(b64d(parts[1]))
        signature = b64d(parts[2])
        claims = Claims(kid=str(data["kid"]), card_ref=str(data["ref"]), nonce=str(data["n"]),
                        expires_at=int(data["exp"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(data, dict) or set(data) != {"kid", "ref", "n", "exp"} or len(signature) != 64:
        return None
    return f"{parts[0]}.{parts[1]}".encode(), signature, claims


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def verify(token: str, keys: Mapping[str, Ed25519PublicKey], *, now: int) -> Verdict:
    """Signature, key and expiry; what needs the database (replay, card state) is the caller's."""
    parsed = parse(extract(token))
    if parsed is None:
        return Verdict(MALFORMED)
    message, signature, claims = parsed
    key = keys.get(claims.kid)
    if key is None:
        return Verdict(UNKNOWN_KEY, claims)
    if not _verifies(key, signature, message):
        others = (k for kid, k in keys.items() if kid != claims.kid)
        return Verdict(WRONG_KEY if any(_verifies(k, signature, message) for k in others) else TAMPERED, claims)
    if now >= claims.expires_at:
        return Verdict(EXPIRED, claims)
    return Verdict(None, claims)


# --- publishing and reading public keys -------------------------------------------------------------

def jwk(key: Ed25519PublicKey, *, status: str) -> dict[str, str]:
    """RFC 8037 OKP key with its ``kid``; ``status`` is "current" (signing now) or "retired"."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64e(raw_public(key)), "kid": kid_of(key), "use": "sig",
            "alg": "EdDSA", "status": status}


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from base64/base64url of its 32 raw bytes."""
    raw = b64d(text.strip().replace("+", "-").replace("/", "_"))
    return Ed25519PublicKey.from_public_bytes(raw)


def load_keys(content: bytes) -> dict[str, Ed25519PublicKey]:
    """Keys from a file: the published JSON key set (or one JWK), a PEM public key, or raw base64."""
    text = content.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        data = json.loads(text)
        items = data.get("keys", [data]) if isinstance(data, dict) else []
        keys = [public_key_from_text(str(k["x"])) for k in items if k.get("crv") == "Ed25519"]
    elif text.startswith("-----BEGIN"):
        loaded = serialization.load_pem_public_key(content)
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        keys = [loaded]
    else:
        keys = [public_key_from_text(line) for line in text.splitlines() if line.strip()]
    if not keys:
        raise ValueError("no Ed25519 public key in the file")
    return {kid_of(k): k for k in keys}
