"""ORM classes of the permits context."""

from __future__ import annotations

from permitcard.db import Base  # noqa: F401
