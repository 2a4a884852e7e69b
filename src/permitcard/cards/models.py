"""ORM classes of the cards context."""

from __future__ import annotations

from permitcard.db import Base  # noqa: F401
