"""EXIF orientation is applied for every format: pixels land where the tag says."""

from __future__ import annotations

import pytest
from PIL import Image

from gan_imaging.core.imaging.decode import decode
from tests.core.imaging.helpers import (
    QUADRANTS,
    exif_with,
    quadrant_card,
    quadrant_centres,
    save,
    stored_for,
)

LOSSY = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}, "AVIF": {"quality": 90}}


def _assert_upright(im: Image.Image, tolerance: int) -> None:
    assert im.size == (48, 32)
    got = quadrant_centres(im)
    for corner, want in QUADRANTS.items():
        diff = max(abs(a - b) for a, b in zip(got[corner], want))
        assert diff <= tolerance, (corner, got[corner], want)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "AVIF", "PNG", "TIFF"])
def test_every_orientation_in_every_format(fmt, orientation):
    stored = Image.fromarray(stored_for(quadrant_card(), orientation))
    data = save(stored, fmt, exif=exif_with(orientation), **LOSSY.get(fmt, {}))
    im, info = decode(data)
    _assert_upright(im, tolerance=0 if fmt in ("PNG", "TIFF") else 40)
    assert im.info == {}


def test_the_stored_image_really_is_sideways():
    # Guards the test above: without applying the tag, the card would not be upright.
    stored = Image.fromarray(stored_for(quadrant_card(), 6))
    im, _ = decode(save(stored, "PNG"))
    assert im.size == (32, 48)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_damaged_exif_keeps_the_photo():
    stored = Image.fromarray(quadrant_card())
    data = save(stored, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff", quality=95)
    im, _ = decode(data)
    _assert_upright(im, tolerance=40)


def test_draft_size_is_in_display_orientation():
    stored = Image.fromarray(stored_for(quadrant_card(800, 600), 6)).convert("RGB")
    data = save(stored, "JPEG", exif=exif_with(6), quality=90)
    im, info = decode(data, draft_to=(200, 150))
    assert (info.width, info.height) == (600, 800)  # as stored: on its side
    # 1/4 scale: stored 150 × 200 ≥ the request turned on its side, then shown upright.
    # Without the swap 1/4 would leave the stored width at 150 < 200, so 1/2 would be used.
    assert im.size == (200, 150)
