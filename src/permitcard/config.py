"""Settings: every setting is an environment variable (prefix PERMITCARD_) with a safe default."""

from __future__ import annotations

from decimal import Decimal
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

    city_code: str = "4419"
    city_name_en: str = "Dongguan"
    city_name_zh: str = "东莞"
    province_code: str = "44"

    # Work permit rules (SPEC §2): years of validity per category.
    permit_max_years_a: int = 5
    permit_max_years_b: int = 2
    permit_max_years_c: int = 1
    card_ready_working_days: int = 12
    card_replacement_fee: Decimal = Decimal("20.00")

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
