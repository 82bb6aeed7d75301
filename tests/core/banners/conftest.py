"""Shared banner fixtures: a synthetic product cut-out and photo."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw


def make_product(width: int = 240, height: int = 300) -> Image.Image:
    """An RGBA cut-out: a red bottle shape with a white label on transparency."""
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((40, 30, width - 40, height - 10), radius=30, fill=(200, 40, 60, 255))
    d.rectangle((60, 120, width - 60, 200), fill=(250, 250, 250, 255))
    return im


@pytest.fixture(scope="session")
def product() -> Image.Image:
    return make_product()


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A product photo without alpha: a packshot on white."""
    im = Image.new("RGB", (320, 240), (255, 255, 255))
    ImageDraw.Draw(im).ellipse((100, 40, 220, 200), fill=(30, 90, 160))
    return im
