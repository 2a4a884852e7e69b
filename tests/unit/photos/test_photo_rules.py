"""Card photo rules (ICAO 9303 for the card) and receipt numbers, with images made here by Pillow."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from permitcard.photos import domain as d
from permitcard.shared.errors import ValidationFailed


def image_bytes(width: int, height: int, fmt: str = "JPEG", *, noise: bool = False, **save: object) -> bytes:
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise \
        else Image.new("RGB", (width, height), (200, 180, 160))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def problems(data: bytes) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        d.check_photo(data)
    assert all(e.field == "file" for e in exc.value.errors)
    return [e.message % e.params if e.params and "%(" in e.message else e.message for e in exc.value.errors]


def test_good_photo_passes_and_is_reencoded() -> None:
    checked = d.check_photo(image_bytes(413, 531))
    assert (checked.width, checked.height) == (413, 531)
    assert Image.open(io.BytesIO(checked.jpeg)).format == "JPEG"


def test_minimum_size_is_inclusive() -> None:
    assert d.check_photo(image_bytes(354, 472)).width == 354
    assert any("at least 354" in p for p in problems(image_bytes(353, 472)))
    assert any("at least 354" in p for p in problems(image_bytes(354, 471)))


def test_too_small() -> None:
    assert problems(image_bytes(200, 260)) == ["The photo must be at least 354 pixels wide and 472 pixels high"]


def test_png_named_jpg_is_refused_by_its_content() -> None:
    # The file name plays no part: these bytes are a PNG whatever the upload calls them.
    assert problems(image_bytes(413, 531, "PNG")) == ["The photo must be a JPEG file. This file is a PNG image"]


def test_not_an_image() -> None:
    assert problems(b"%PDF-1.7 not a photo") == [
        "The file is not a photo. Upload the JPEG file the photo studio made"]
    assert problems(b"") == ["Choose a photo file to upload"]


def test_over_one_megabyte() -> None:
    big = image_bytes(1200, 1600, noise=True, quality=95)
    assert len(big) >= d.MAX_BYTES
    assert problems(big) == ["The photo file must be smaller than 1 MB. Save it again with more compression"]


def test_landscape() -> None:
    assert problems(image_bytes(640, 480)) == ["The photo must be portrait: higher than it is wide"]


def test_every_problem_is_named() -> None:
    assert len(problems(image_bytes(300, 200))) == 2  # too small and landscape


def test_phone_photo_turned_by_exif_is_judged_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    stored = image_bytes(531, 413, exif=exif.tobytes())
    checked = d.check_photo(stored)
    assert (checked.width, checked.height) == (413, 531)


def test_receipt_numbers_carry_a_check_character() -> None:
    number = d.new_receipt_number()
    assert number.startswith("PR-") and len(number) == 12
    assert d.normalise_receipt(number) == number
    assert d.normalise_receipt(number.lower().replace("-", " ")) == number
    body = number[3:]
    wrong = body[:4] + ("1" if body[4] != "1" else "2") + body[5:]
    assert d.normalise_receipt(wrong) is None
    assert d.normalise_receipt("PR-123") is None
    assert d.normalise_receipt("") is None


@given(st.text(alphabet=d.ALPHABET, min_size=8, max_size=8), st.integers(min_value=0, max_value=7),
       st.sampled_from(d.ALPHABET))
def test_any_single_substitution_is_caught(body: str, pos: int, ch: str) -> None:
    from stdnum import luhn

    number = body + luhn.calc_check_digit(body, alphabet=d.ALPHABET)
    changed = number[:pos] + ch + number[pos + 1:]
    assert (d.normalise_receipt(changed) is not None) == (changed == number)


def test_read_alikes_are_forgiven() -> None:
    from stdnum import luhn

    body = "10000000"
    number = "PR-" + body + luhn.calc_check_digit(body, alphabet=d.ALPHABET)
    assert d.normalise_receipt(number.replace("1", "I").replace("0", "O")) == number


def test_family_names_compare_as_in_passport() -> None:
    assert d.names_equal("O'Brien", "obrien")
    assert d.names_equal("García López", "GARCÍA-LÓPEZ")
    assert not d.names_equal("Smith", "Smyth")
    assert not d.names_equal("", "")
