"""Number plans and check digits, on python-stdnum where a standard exists."""

from __future__ import annotations

import re
import secrets

import pycountry
from stdnum import luhn
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_11_2

_PERMIT_RE = re.compile(r"^[A-Z0-9]{6,32}$")
# Crockford-like alphabet for references read aloud at a counter: no I, L, O, U.
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# ICAO 9303 codes in a passport's MRZ that are not ISO 3166 alpha-3 but name an ISO country.
_MRZ_CODES = {"D": "DE"}


def country_alpha2(raw: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country given as alpha-2 (``SE``) or alpha-3 as in the passport's MRZ
    (``SWE``, ``D<<`` for Germany), in any case and padding; None when it names no country. One stored form."""
    code = (raw or "").strip().upper().rstrip("<")
    if code in _MRZ_CODES:
        return _MRZ_CODES[code]
    country = None
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    return str(country.alpha_2) if country is not None else None


def normalise_permit_number(raw: str) -> str | None:
    """Trimmed, upper-cased, 6–32 letters/digits; any registry's numbers are opaque strings."""
    value = re.sub(r"\s+", "", raw or "").upper()
    return value if _PERMIT_RE.match(value) else None


def is_valid_uscc(code: str) -> bool:
    """Unified social credit code (GB 32100-2015), via python-stdnum."""
    try:
        uscc.validate(code)
    except StdnumError:
        return False
    return True


def compact_uscc(code: str) -> str:
    return str(uscc.compact(code))


def mod11_2_check(body: str) -> str:
    """ISO 7064 MOD 11-2 check character for ``body`` (as GB 11643 identity numbers)."""
    return str(mod_11_2.calc_check_digit(body))


def mod11_2_valid(number: str) -> bool:
    return bool(mod_11_2.is_valid(number))


def luhn_complete(body: str) -> str:
    return body + str(luhn.calc_check_digit(body))


def luhn_valid(number: str) -> bool:
    return bool(luhn.is_valid(number))


def reference(prefix: str, length: int = 8) -> str:
    """A random human-friendly reference, e.g. ``WP-7K3M9Q2T``: five random bits a character (the
    alphabet has 32), read from one call to the system's random source rather than one a character."""
    bits = int.from_bytes(secrets.token_bytes((5 * length + 7) // 8))
    return prefix + "-" + "".join(_REF_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
