"""Input hygiene, in one place, for everything that enters over HTTP (issue 10).

``check_request`` is a dependency of the whole app (``create_app``), so it runs for every route, JSON and
page alike, before the route's own parameters are used. It refuses, with 422 naming the field:

* text with NUL or another control character, a lone surrogate, a non-character, or a character that
  changes the text direction (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C: "Trojan source" names
  shown reversed on a notice). Newlines and tabs only in the free-text fields (``MULTILINE_FIELDS``);
* an integer the database cannot hold: every ``int`` path parameter out of range is 404 (no record
  can have that id), every ``int`` query or form parameter and every JSON integer out of range is 422.

It looks at every query parameter, the path, every form field (urlencoded and multipart, files aside)
and every string and key of a JSON body. The same ``text_problem`` backs ``CleanStr`` for code that
validates strings elsewhere.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from pydantic import AfterValidator
from starlette.datastructures import UploadFile

from permitcard.shared.errors import N_, FieldError, NotFound, ValidationFailed

# Every id column is a 32-bit INTEGER on PostgreSQL; no number a person types needs more.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Free-text fields where a person may write several lines (textareas and their JSON twins).
MULTILINE_FIELDS = frozenset({"address", "reason", "note", "notes", "comment", "holidays", "workdays",
                              "message", "description"})
# Form fields and query parameters the pages parse as whole numbers by hand.
INT_FIELDS = frozenset({"version", "page", "per_page", "branch_id", "studio_id", "card_id", "application_id",
                        "permit_id", "employer_id", "account_id", "user_id"})

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NEWLINES = frozenset("\n\r\t")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

MESSAGE_CONTROL = N_("Remove the invisible control or text-direction characters from “%(field)s” (for example "
                     "NUL or U+202E) and send it again")
MESSAGE_NEWLINE = N_("“%(field)s” must be on one line")
MESSAGE_INT_RANGE = N_("Enter a whole number between %(min)s and %(max)s")


def _bad_char(ch: str, multiline: bool) -> str | None:
    """The kind of problem of one character, or None."""
    if ch in _NEWLINES or ch in "\u2028\u2029":
        return None if multiline else "newline"
    if ch in _BIDI:
        return "control"
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs"):
        return "control"
    code = ord(ch)
    if (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:  # non-characters
        return "control"
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The message id of what is wrong with this text, or None when it is clean."""
    if value.isascii() and value.isprintable():  # the common case, fast
        return None
    kinds = {_bad_char(ch, multiline) for ch in value} - {None}
    if "control" in kinds:
        return MESSAGE_CONTROL
    if "newline" in kinds:
        return MESSAGE_NEWLINE
    return None


def check_text(field: str, value: str, *, multiline: bool | None = None) -> None:
    """Raise ValidationFailed naming ``field`` when ``value`` is not clean text."""
    leaf = field.rsplit(".", 1)[-1]
    problem = text_problem(value, multiline=leaf in MULTILINE_FIELDS if multiline is None else multiline)
    if problem:
        raise ValidationFailed.one(field or "body", problem, field=field or "body")


def _clean(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError("control or text-direction characters are not allowed")
    return value


# A str that refuses control and text-direction characters (for pydantic models outside HTTP input).
CleanStr = Annotated[str, AfterValidator(_clean)]


def _int_out_of_range(raw: str) -> bool:
    if not _INTEGER.match(raw):
        return False
    try:
        return not INT_MIN <= int(raw) <= INT_MAX
    except ValueError:  # more digits than Python converts: certainly out of range
        return True


def _walk_json(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            yield f"{path}.{key}" if path else key, key  # the key itself is text too
            yield from _walk_json(v, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_json(v, f"{path}.{i}" if path else str(i))
    else:
        yield path, value


def check_json(body: Any) -> None:
    errors: list[FieldError] = []
    for path, value in _walk_json(body, ""):
        if isinstance(value, str):
            leaf = path.rsplit(".", 1)[-1]
            problem = text_problem(value, multiline=leaf in MULTILINE_FIELDS)
            if problem:
                errors.append(FieldError(path or "body", problem, {"field": path or "body"}))
        elif isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
            errors.append(FieldError(path or "body", MESSAGE_INT_RANGE, {"min": INT_MIN, "max": INT_MAX}))
        if len(errors) >= 20:
            break
    if errors:
        raise ValidationFailed(errors)


_INT_NAMES = "_permitcard_int_params"  # kept on each route, computed once


def _typed_ints(request: Request) -> frozenset[str]:
    """Names of the route's parameters (path, query, form) typed ``int``."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return frozenset()
    names: frozenset[str] | None = getattr(route, _INT_NAMES, None)
    if names is None:
        fields = [*get_flat_params(route.dependant), *route.dependant.body_params]
        names = frozenset(f.alias for f in fields if f.field_info.annotation in (int, int | None))
        setattr(route, _INT_NAMES, names)
    return names


async def check_request(request: Request) -> None:
    """The app-wide dependency: refuse unclean text and impossible numbers wherever they enter."""
    ints = _typed_ints(request)
    for name, raw in request.path_params.items():
        if isinstance(raw, str) and (text_problem(raw) or (name in ints and _int_out_of_range(raw))):
            raise NotFound()
    errors: list[FieldError] = []

    def check_pair(name: str, value: str) -> None:
        if text_problem(name):
            errors.append(FieldError("body", MESSAGE_CONTROL, {"field": "?"}))
            return
        problem = text_problem(value, multiline=name in MULTILINE_FIELDS)
        if problem:
            errors.append(FieldError(name, problem, {"field": name}))
        elif (name in ints or name in INT_FIELDS) and _int_out_of_range(value):
            errors.append(FieldError(name, MESSAGE_INT_RANGE, {"min": INT_MIN, "max": INT_MAX}))

    for name, text in request.query_params.multi_items():
        check_pair(name, text)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            for name, item in form.multi_items():
                check_pair(name, (item.filename or "") if isinstance(item, UploadFile) else item)
        elif content_type == "application/json" or content_type.endswith("+json"):
            body = await request.body()
            if body:
                try:
                    parsed = await request.json()
                except (ValueError, UnicodeDecodeError):
                    parsed = None  # FastAPI answers invalid JSON itself (422 json_invalid)
                if parsed is not None:
                    try:
                        check_json(parsed)
                    except ValidationFailed as exc:
                        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors[:20])


def loads_clean(raw: bytes | str) -> Any:
    """``json.loads`` and the same checks, for JSON that arrives some other way."""
    parsed = json.loads(raw)
    check_json(parsed)
    return parsed
