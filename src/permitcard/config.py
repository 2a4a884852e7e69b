"""Settings: every setting is an environment variable (prefix PERMITCARD_) with a safe default.

Only infrastructure lives here (database, keys, adapters, sessions); business rules are policy rows."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERMITCARD_", env_file=".env", extra="ignore")

    # DATABASE_URL (without prefix) is honoured too, as most platforms set it.
    database_url: str = Field(
        default="sqlite:///var/permitcard.db",
        validation_alias="DATABASE_URL",
    )
    # A folder for the SQLite file, the development key, the mail drop.
    var_dir: Path = Path("var")
    # Base64 of 32 random bytes. Empty: a development key is created in var_dir (never in production).
    data_key: str = ""
    # Base64 of a 32-byte Ed25519 seed for signing QR tokens. Empty: derived from the data key.
    signing_key: str = ""
    # Base64 of 32 random bytes: the HMAC key every audit row is keyed with as it is written.
    # Empty: derived from the data key. Keep it off the database server.
    audit_key: str = ""
    # Base64 of a 32-byte Ed25519 seed signing the audit seals (tree heads). Empty: derived from the
    # data key. A seal signed with another key fails verification.
    audit_signing_key: str = ""
    # Audit rows younger than this are not sealed yet (their transaction may still be committing);
    # a gap in the ids older than audit_gap_seconds is recorded in the seal as never committed.
    audit_seal_grace_seconds: float = 2.0
    audit_gap_seconds: float = 60.0
    audit_seal_every_seconds: float = 5.0
    environment: str = "development"  # development | production | test
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Sessions one account may hold at once (devices); a new sign-in ends the oldest beyond it.
    session_max_per_user: int = 10

    # Rules a city or the ministry can change (validity limits, fees, working days, SSN codes,
    # same-day branches) are not settings: they are rows per city in the policy context.
    # The installation's own name in sign-in apps (TOTP issuer) and in staff invitations, read by
    # auth, which sits below the policy context; pages and rules read the city data instead.
    city_code: str = "4419"
    city_name_en: str = "Dongguan"
    city_name_zh: str = "东莞"

    # The e-card (SPEC §5). The QR lifetime is a city rule (policy); this is its default until one is set.
    ecard_qr_seconds: int = 60
    # Retired QR signing keys' public keys (base64url of the 32 raw bytes, comma-separated): published and
    # accepted, so codes signed before a key rotation still verify. The current key is PERMITCARD_SIGNING_KEY.
    ecard_retired_public_keys: str = ""
    ecard_access_minutes: int = 10  # bearer access tokens of the mobile API
    ecard_refresh_days: int = 30  # rotating refresh tokens
    ecard_session_minutes: int = 30  # the e-card's page session (idle)

    registry_backend: str = "builtin"  # the Work-in-China registry adapter
    card_producer: str = "builtin"  # the bank's card vendor adapter
    mail_backend: str = "file"  # file | smtp
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "permitcard@localhost"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
