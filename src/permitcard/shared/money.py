"""Money is integer fen (分). Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency


def to_fen(amount: Decimal | str | int) -> int:
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(value * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_fen(fen: int, locale: str = "en") -> str:
    return str(format_currency(from_fen(fen), "CNY", locale=locale))
