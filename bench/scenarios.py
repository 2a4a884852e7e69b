"""Scenarios of the card journey, added as the contexts land. Each returns (ours, raw baseline)."""

from __future__ import annotations

from collections.abc import Callable

from permitcard.db import Database

ALL: list[Callable[[Database], tuple]] = []
