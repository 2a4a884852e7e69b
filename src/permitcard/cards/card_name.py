"""The name printed on the card face (pure rule, unit-tested)."""

from __future__ import annotations

from dataclasses import dataclass

# P (ICAO 9303 Part 3, 4.6, the rule of the passport the name comes from): the primary identifier
# (family name) comes first and stays whole; when the name does not fit, the secondary identifier
# (given names) is shortened first, to initials, then cut. D: the card's name field holds two lines
# of CARD_NAME_LINE characters; up to one line prints at full size, up to two lines in a smaller size.
CARD_NAME_LINE = 30
CARD_NAME_MAX = 2 * CARD_NAME_LINE


@dataclass(frozen=True)
class CardName:
    text: str
    size: str  # "normal" (one line) or "small" (two lines)
    shortened: bool  # the full name did not fit: initials or a cut (the record keeps it whole)


def card_name(family_name: str, given_names: str) -> CardName:
    family, given = " ".join(family_name.split()), " ".join(given_names.split())
    full = f"{family} {given}".strip()
    if len(full) <= CARD_NAME_LINE:
        return CardName(full, "normal", False)
    if len(full) <= CARD_NAME_MAX:
        return CardName(full, "small", False)
    initials = " ".join(part[0] for part in given.replace("-", " ").split())
    short = f"{family} {initials}".strip()
    if len(short) > CARD_NAME_MAX:
        short = short[:CARD_NAME_MAX].rstrip()
    return CardName(short, "small", True)
