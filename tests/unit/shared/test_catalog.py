"""Every message in the code and templates has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

SRC = Path(__file__).resolve().parents[3] / "src" / "permitcard"
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"},
           "**/templates/**.txt": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "NP_": (1, 2), "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _source_messages() -> dict[tuple[str, str | None], str]:
    found: dict[tuple[str, str | None], str] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(SRC), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((msgid, context), filename)
    return found


def test_every_message_is_translated_into_simplified_chinese():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    missing = []
    for (msgid, context), where in sorted(_source_messages().items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        entry = catalog.get(msgid, context=context)
        text = entry.string if entry is not None else ""
        if isinstance(text, tuple):
            text = text[0]
        if not text or (entry is not None and entry.fuzzy):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} messages lack a zh_Hans translation (run make i18n-update):\n" + "\n".join(
        missing[:50])


def test_translations_keep_every_placeholder():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    import re

    bad = []
    for m in catalog:
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strs = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for s in strs:
            if s and set(re.findall(r"%\(\w+\)[sd]", s)) != want:
                bad.append(m.id)
    assert not bad, f"placeholders differ: {bad[:20]}"


# A number of things shown to people: a message with a count before a plural noun has a plural form.
COUNTED = re.compile(r"%\(\w+\)s (working )?(years?|days?|months?|hours?|minutes?|seconds?|characters?|entries|"
                     r"applications?|cards?|rows?|times?)\b")


def test_every_message_with_a_count_has_a_plural_form():
    """"at most 1 years": a count goes through ngettext / NP_ (errors.NP_), never a plain message."""
    singular_only = []
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(SRC), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, str) and COUNTED.search(message):
            singular_only.append(f"{filename}: {message!r}")
    assert singular_only == []
