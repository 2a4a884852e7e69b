"""The card face with the longest names allowed, in both languages, at 375 and 1280 px: the page never
scrolls sideways, the photo and the name stay inside the card (the printing rule: cards.card_name)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import pytest

from permitcard.bootstrap import template_dirs
from permitcard.permits.domain import NAME_MAX
from permitcard.shared import i18n
from permitcard.shared.web import PACKAGE_DIR, templates, use_template_dirs
from tests.e2e.conftest import DESKTOP, MOBILE, shot

NAMES = {
    "longest": ("W" * NAME_MAX, "H" * NAME_MAX),  # one unbroken word each: the worst case for wrapping
    "sixty": ("OKONKWO-ADEYEMI", "CHUKWUEMEKA OLUWASEUN BABATUNDE ALEXANDRE M"),  # 60 characters
    "many_words": ("DE LA CRUZ Y FERNANDEZ DE CORDOBA", "MARIA DEL PILAR ANTONIA GUADALUPE " * 2),
}
PHOTO = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="128"><rect width="96" height="128" fill="#789"/></svg>'
).decode()


def _card_face_page(lang: str, family: str, given: str) -> str:
    import permitcard.cards.pages  # noqa: F401 - registers the card templates' globals

    use_template_dirs(template_dirs())
    card = SimpleNamespace(family_name=family, given_names=given, permit_number="WP" + "7" * 30,
                           permit_status="valid", card_number="A12345678",
                           chinese_name="")
    with i18n.use_locale("zh_Hans" if lang == "zh-Hans" else "en"):
        face = templates.from_string('{% import "cards/_card.html" as c %}{{ c.card_face(card, ssn, photo) }}').render(
            card=card, ssn="944025219880412001X", photo=PHOTO)
    css = (PACKAGE_DIR / "static" / "app.css").read_text()
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>'
            f'<body><div class="container"><main id="main">{face}</main></div></body></html>')


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["375", "1280"])
@pytest.mark.parametrize("which", list(NAMES))
def test_card_face_holds_the_longest_names(browser: Any, lang: str, viewport: dict[str, int], which: str) -> None:
    context = browser.new_context(viewport=viewport, locale=lang)
    page = context.new_page()
    try:
        page.set_content(_card_face_page(lang, *NAMES[which]))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
        card = page.locator(".card-face").bounding_box()
        for part in (".card-face-photo", ".card-face-name span", ".card-face-number", ".card-face-title"):
            box = page.locator(part).bounding_box()
            assert box and card and _inside(box, card), (part, box, card)
        name_lines = page.evaluate("""() => { const s = document.querySelector('.card-face-name span');
            return Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)); }""")
        assert name_lines <= 2
        shot(page, f"card-face-{which}-{lang}-{viewport['width']}")
    finally:
        context.close()
