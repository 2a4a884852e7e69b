"""Field encryption (AES-256-GCM), blind indexes for look-ups, masking, Ed25519 signatures.

Keys come from settings. In development an unset key is created once in ``var_dir``; in
production an unset key stops the start-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from permitcard.config import get_settings


class KeyMissing(RuntimeError):
    pass


@lru_cache
def _master_key() -> bytes:
    settings = get_settings()
    if settings.data_key:
        key = base64.b64decode(settings.data_key)
    else:
        if settings.is_production:
            raise KeyMissing("PERMITCARD_DATA_KEY must be set in production")
        path = Path(settings.var_dir) / "dev-data.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
            os.chmod(path, 0o600)
        key = base64.b64decode(path.read_text().strip())
    if len(key) != 32:
        raise KeyMissing("PERMITCARD_DATA_KEY must be base64 of 32 bytes")
    return key


def _derive(label: str) -> bytes:
    return hmac.new(_master_key(), label.encode(), hashlib.sha256).digest()


def encrypt(plaintext: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_derive("field-encryption")).encrypt(nonce, plaintext.encode(), b"permitcard")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.removeprefix("v1:"))
    return AESGCM(_derive("field-encryption")).decrypt(raw[:12], raw[12:], b"permitcard").decode()


def blind_index(value: str) -> str:
    """Keyed hash of a normalised value, for equality look-ups on encrypted columns."""
    normal = "".join(value.split()).upper()
    return hmac.new(_derive("blind-index"), normal.encode(), hashlib.sha256).hexdigest()


def mask(value: str | None, keep: int = 4) -> str:
    """``E12345678`` -> ``•••••5678``. Shown in lists and logs."""
    if not value:
        return ""
    if len(value) <= keep:
        return "•" * len(value)
    return "•" * (len(value) - keep) + value[-keep:]


class Encrypted(TypeDecorator[str]):
    """A text column stored encrypted; the ORM sees plaintext."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)


@lru_cache
def signing_key() -> Ed25519PrivateKey:
    settings = get_settings()
    seed = base64.b64decode(settings.signing_key) if settings.signing_key else _derive("ed25519")
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def sign(message: bytes) -> str:
    return base64.urlsafe_b64encode(signing_key().sign(message)).decode().rstrip("=")


def verify_signature(message: bytes, signature_b64: str) -> bool:
    try:
        padded = signature_b64 + "=" * (-len(signature_b64) % 4)
        public_key().verify(base64.urlsafe_b64decode(padded), message)
    except Exception:
        return False
    return True
