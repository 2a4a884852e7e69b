"""Pure rules of card photos: ICAO 9303 for the card (SPEC §4) and the receipt number plan.

A photo is checked by what the bytes are (Pillow), never by the file name. What is stored is a
fresh JPEG re-encoded from the pixels, so nothing the camera or an editor wrote (EXIF, GPS, ICC
profiles, comments, thumbnails) survives.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from stdnum import luhn

from permitcard.shared.errors import N_, FieldError, ValidationFailed
from permitcard.shared.names import fold

MIN_WIDTH, MIN_HEIGHT = 354, 472
MAX_BYTES = 1024 * 1024  # "under 1 MB"
# A card photo is printed at 358x441; a studio's camera file may be larger, but 12 megapixels (4000x3000)
# is plenty. The declared size is checked from the header before a pixel is decoded (decoding 12 MP
# takes ~40 MB and a fraction of a second; a 3.9 KB JPEG may declare 6000x6600 = 650 MB).
MAX_PIXELS = 12_000_000
# Pillow itself refuses (DecompressionBombError) anything above twice this, wherever it is used.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
JPEG_QUALITY = 90
FIELD = "file"

RECEIPT_PREFIX = "PR-"
RECEIPT_BODY = 8
# Crockford-like alphabet (no I, L, O, U), as shared.ids.reference; the check character is
# Luhn mod N over the same alphabet, so one mistyped character or a swap of neighbours is caught.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


@dataclass(frozen=True)
class CheckedPhoto:
    jpeg: bytes  # re-encoded, metadata-free
    width: int
    height: int


def photo_problems(data: bytes, *, max_pixels: int = MAX_PIXELS) -> list[str]:
    """Every reason this file is not an acceptable card photo (message ids); empty if it is. Reads only
    the header: nothing is decoded here."""
    if not data:
        return [N_("Choose a photo file to upload")]
    problems: list[str] = []
    if len(data) >= MAX_BYTES:
        problems.append(N_("The photo file must be smaller than 1 MB. Save it again with more compression"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            width, height = _upright_size(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # declared far too large
        return [*problems, N_("The photo is too large in pixels. Make it at most %(megapixels)s megapixels")]
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return [*problems, N_("The file is not a photo. Upload the JPEG file the photo studio made")]
    if fmt != "JPEG":
        problems.append(N_("The photo must be a JPEG file. This file is a %(format)s image"))
        return problems
    if width * height > max_pixels:
        problems.append(N_("The photo is too large in pixels. Make it at most %(megapixels)s megapixels"))
        return problems
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        problems.append(N_("The photo must be at least 354 pixels wide and 472 pixels high"))
    if width >= height:
        problems.append(N_("The photo must be portrait: higher than it is wide"))
    return problems


def _upright_size(img: Image.Image) -> tuple[int, int]:
    """Width and height as shown, after the EXIF orientation (a turned phone photo)."""
    width, height = img.size
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # unreadable EXIF: the pixels as stored
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _format_name(data: bytes) -> str:
    try:
        return str(Image.open(io.BytesIO(data)).format or "unknown")
    except Exception:
        return "unknown"


def check_photo(data: bytes, *, max_pixels: int = MAX_PIXELS) -> CheckedPhoto:
    """The re-encoded photo, or ValidationFailed naming every problem on the ``file`` field. The
    declared size is checked (header only) before the pixels are decoded; a file whose pixels cannot
    be decoded (truncated, corrupt) is refused as not a photo. Slow: call it off the event loop."""
    problems = photo_problems(data, max_pixels=max_pixels)
    if problems:
        fmt = _format_name(data)
        params = {"format": fmt, "megapixels": max_pixels // 1_000_000}
        raise ValidationFailed([FieldError(FIELD, p, params) for p in problems])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return reencode(data)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed.one(FIELD, N_(
            "The photo file is damaged or incomplete and cannot be read. Upload the JPEG file the photo studio "
            "made again")) from exc


def reencode(data: bytes) -> CheckedPhoto:
    """A fresh baseline JPEG of the upright pixels, with no metadata at all."""
    with Image.open(io.BytesIO(data)) as src:
        upright = ImageOps.exif_transpose(src)
        rgb = upright.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    quality = JPEG_QUALITY
    while True:
        out = io.BytesIO()
        clean.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() < MAX_BYTES or quality <= 60:
            break
        quality -= 10
    return CheckedPhoto(out.getvalue(), clean.width, clean.height)


# --- receipt numbers ------------------------------------------------------------------------


def new_receipt_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_BODY))
    return RECEIPT_PREFIX + body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def normalise_receipt(raw: str) -> str | None:
    """``pr 7k3m-9q2t x`` -> ``PR-7K3M9Q2TX``; None if it cannot be a receipt number."""
    value = re.sub(r"[\s\-_.]+", "", raw or "").upper()
    if value.startswith("PR") and len(value) == len(RECEIPT_PREFIX) - 1 + RECEIPT_BODY + 1:
        value = value[2:]  # the prefix, not a body that happens to begin with P and R
    value = value.translate(_READ_ALIKES)
    if len(value) != RECEIPT_BODY + 1 or any(ch not in ALPHABET for ch in value):
        return None
    if not luhn.is_valid(value, alphabet=ALPHABET):
        return None
    return RECEIPT_PREFIX + value


def names_equal(a: str, b: str) -> bool:
    """Family names as in the passport: case, spaces, hyphens, apostrophes and diacritics (the MRZ
    writes García as GARCIA) do not count: the one comparison of ``shared.names.fold``."""
    return bool(fold(a)) and fold(a) == fold(b)
