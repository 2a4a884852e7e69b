"""Two languages: English (the message ids) and Simplified Chinese (``locale/zh_Hans``).

The language of a request: the switcher's cookie, then Accept-Language, then English. Babel does
not map ``zh``, ``zh-CN``, ``zh-SG`` to ``zh_Hans``; ``normalise`` does. Catalogs are compiled in
memory from the ``.po`` files at start-up, so a stale ``.mo`` can never be served.
"""

from __future__ import annotations

import contextvars
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from permitcard.shared import clock
from permitcard.shared.errors import Plural

LOCALES = ("en", "zh_Hans")
DEFAULT = "en"
HTML_LANG = {"en": "en", "zh_Hans": "zh-Hans"}
COOKIE = "lang"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("permitcard_locale", default=DEFAULT)


def normalise(tag: str | None) -> str | None:
    """Map a language tag to one of LOCALES, or None."""
    if not tag:
        return None
    t = tag.strip().replace("_", "-").lower()
    if t in ("zh-hans", "zh_hans") or t == "zh" or t.startswith(("zh-hans", "zh-cn", "zh-sg", "zh-my")):
        return "zh_Hans"
    if t.startswith("zh"):
        return "zh_Hans"  # Traditional readers are served Simplified rather than English
    if t == "en" or t.startswith("en-"):
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Tags by descending quality."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        weighted.append((-q, i, tag.strip()))
    return [tag for q, _, tag in sorted(weighted) if q < 0]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    chosen = normalise(cookie)
    if chosen:
        return chosen
    for tag in parse_accept_language(accept_language):
        chosen = normalise(tag)
        if chosen:
            return chosen
    return DEFAULT


@lru_cache
def translations(locale: str) -> NullTranslations:
    po = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT or not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def get_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in LOCALES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT)


def _text(message: str, params: dict[str, Any] | None) -> str:
    """The translation of a message id, in its plural form when it has one (``errors.NP_``)."""
    if isinstance(message, Plural) and params and message.count_param in params:
        return str(translations(get_locale()).ngettext(message, message.plural, int(params[message.count_param])))
    return str(translations(get_locale()).gettext(message))


def gettext(message: str, **params: Any) -> str:
    text = _text(message, params)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(get_locale()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def pgettext(context: str, message: str) -> str:
    """A message whose translation depends on its context (e.g. a permit's "Cancelled" is 已注销,
    an application's is 已取消)."""
    return str(translations(get_locale()).pgettext(context, message))


_ = gettext


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    """Translate a message id carried by a domain error, then fill its parameters."""
    text = _text(message, params)
    if params:
        localised = {k: localise_value(v) for k, v in params.items()}
        try:
            return text % localised
        except (KeyError, ValueError, TypeError):
            return text
    return text


def localise_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return value


# The Babel locale that formats dates, times and numbers for each language: English pages are written
# for readers in China and abroad, in British style (12 April 1988, 28/11/2026), never US style.
FORMAT_LOCALE = {"en": "en_GB", "zh_Hans": "zh_Hans"}


def babel_locale(locale: str | None = None) -> Locale:
    chosen = locale or get_locale()
    return Locale.parse(FORMAT_LOCALE.get(chosen, chosen))


def format_date(value: date | datetime | None, fmt: str = "long") -> str:
    """A date in the reader's format. An instant is first put on the Asia/Shanghai calendar."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local(value).date()
    return str(_format_date(value, format=fmt, locale=babel_locale()))


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """An instant as Asia/Shanghai time in the reader's format (naive values are UTC)."""
    if value is None:
        return ""
    return str(_format_datetime(clock.local(value), format=fmt, locale=babel_locale()))


def rfc3339(value: datetime | date | None) -> str:
    """For machine-readable attributes (``<time datetime>``): an instant with its offset, a date as is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.local(value).isoformat()
    return value.isoformat()


def country_name(alpha2: str | None) -> str:
    if not alpha2:
        return ""
    return str(babel_locale().territories.get(alpha2.upper(), alpha2))


@lru_cache
def _country_choices(locale: str) -> list[tuple[str, str]]:
    import pycountry

    names = Locale.parse(locale).territories
    codes = [c.alpha_2 for c in pycountry.countries if c.alpha_2 != "CN"]
    return sorted(((c, str(names.get(c, c))) for c in codes), key=lambda x: x[1])


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166 country but China (foreign nationals), named in the reader's language."""
    return _country_choices(get_locale())


def html_lang(locale: str | None = None) -> str:
    return HTML_LANG[locale or get_locale()]


def colon() -> str:
    """What follows a label before its value: a full-width colon in Chinese (社会保障号码：…), ": " in English."""
    return "：" if get_locale().startswith("zh") else ": "


def jinja_globals() -> dict[str, Any]:
    return {
        "colon": colon,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "rfc3339": rfc3339,
        "country_name": country_name,
        "get_locale": get_locale,
        "html_lang": html_lang,
        "Markup": Markup,
    }
