"""Run Alembic from code (CLI `db upgrade`, tests, `make run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """What Alembic compares: not the name-search objects (FTS5 tables, trigram indexes), which the models
    declare through DDL events (``shared.search``), not as tables and indexes."""
    from permitcard.shared.search import is_search_object

    return not is_search_object(name)


def upgrade(url: str | None = None, connection: Connection | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url, connection), revision)
