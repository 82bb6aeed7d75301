"""Shared test set-up. Core tests need no database; app tests use pytest-django."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def make_photo(width: int = 800, height: int = 600, fmt: str = "JPEG", **save: object) -> bytes:
    """A synthetic photo: a colour gradient with a dark block in the top-left quarter."""
    im = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    r, g, b = im.split()
    g = g.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    im = Image.merge("RGB", (r, g, b.point(lambda v: 255 - v)))
    im.paste((20, 30, 40), (0, 0, width // 4, height // 4))
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def make_packshot(width: int = 1200, height: int = 900) -> bytes:
    """A synthetic studio shot: a shaded brass-coloured desk lamp (shade, stem, base) on a
    white backdrop, JPEG."""
    from PIL import ImageDraw

    im = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    cx, unit = width // 2, min(width, height) // 12
    for i in range(unit * 3):  # the shade, lighter towards its rim
        tone = 150 + 60 * i // (unit * 3)
        draw.line([(cx - unit - i, 2 * unit + i), (cx + unit + i, 2 * unit + i)],
                  fill=(tone, tone * 3 // 4, 40))
    draw.rectangle([cx - unit // 5, 5 * unit, cx + unit // 5, 9 * unit], fill=(120, 90, 30))
    draw.ellipse([cx - 2 * unit, 8 * unit + unit // 2, cx + 2 * unit, 10 * unit],
                 fill=(90, 70, 25))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def photo_bytes() -> bytes:
    return make_photo()
