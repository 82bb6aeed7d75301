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


@pytest.fixture
def photo_bytes() -> bytes:
    return make_photo()
