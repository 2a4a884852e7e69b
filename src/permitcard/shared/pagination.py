"""One shape for every staff queue and list: a page of items, the total, counts per state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def bounds(page: int, per_page: int, *, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int, int]:
    """A page number and size within limits, and the row offset: (page, per_page, offset)."""
    per_page = min(max(per_page, 1), max_per_page)
    page = max(page, 1)
    return page, per_page, (page - 1) * per_page
