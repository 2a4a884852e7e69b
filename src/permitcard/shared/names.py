"""People's names: the passport name in the Latin letters of the MRZ, and an optional Chinese name.

A passport name is what the machine-readable zone can carry (ICAO 9303): the letters A-Z, and in the
visual zone spaces, hyphens and apostrophes. Letters with diacritics are written as in the MRZ
(``García`` -> ``GARCIA``, ``Müller`` -> ``MULLER``, ``Øster`` -> ``OESTER``); anything else (Chinese
characters, Cyrillic, digits, control characters) is refused, pointing to the Chinese name field.
"""

from __future__ import annotations

import re
import unicodedata

# ICAO 9303 Part 3, 6.A: letters that do not decompose into a base letter and a mark.
_SPECIAL = {"ß": "SS", "Æ": "AE", "æ": "AE", "Ø": "OE", "ø": "OE", "Œ": "OE", "œ": "OE", "Þ": "TH", "þ": "TH",
            "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Ð": "D", "ð": "D", "ı": "I", "’": "'", "‘": "'", "‐": "-"}
_PASSPORT = re.compile(r"^[A-Z](?:[A-Z '\-]*[A-Z])?$")
# Han characters (CJK Unified Ideographs and Extension A) with the middle dot of transliterated names.
_CHINESE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+(?:[·•・][\u3400-\u4dbf\u4e00-\u9fff]+)*$")
CHINESE_NAME_MAX = 50


def passport_name(raw: str | None) -> str | None:
    """The name in MRZ letters (upper case, single spaces), or None when it holds other characters."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    latin = "".join(_SPECIAL.get(ch, ch) for ch in text)
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(ch)).upper()
    return folded if _PASSPORT.match(folded) else None


def fold(name: str) -> str:
    """For comparing names: MRZ letters only, no spaces, hyphens or apostrophes (``O'Neil`` == ``ONEIL``)."""
    latin = passport_name(name)
    text = latin if latin is not None else name.upper()
    return "".join(ch for ch in text if ch.isalnum())


def chinese_name(raw: str | None) -> str | None:
    """A Chinese name (Han characters, a middle dot between parts), or None when it is not one."""
    text = "".join((raw or "").split()).replace("．", "·").replace(".", "·")
    if not text:
        return ""
    return text if _CHINESE.match(text) and len(text) <= CHINESE_NAME_MAX else None
