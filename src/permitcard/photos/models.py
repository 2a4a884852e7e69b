"""ORM classes of the photos context."""

from __future__ import annotations

from permitcard.db import Base  # noqa: F401
