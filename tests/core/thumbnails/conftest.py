"""Tiny synthetic images for the thumbnail engine's tests (pure: no Django)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


def textured(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like RGB image: smooth gradients plus seeded noise and a few edges."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [
            128 + 90 * np.sin(xs / 13.0) * np.cos(ys / 17.0),
            128 + 80 * np.cos((xs + ys) / 23.0),
            90 + 60 * np.sin(ys / 9.0),
        ],
        axis=-1,
    )
    base += rng.normal(0, 12, base.shape)
    base[height // 3 : height // 2, width // 4 : width // 2] = (30, 40, 200)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def packshot(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    """A dark product (``box`` px) with a little texture on a white studio backdrop."""
    im = Image.new("RGB", (width, height), (255, 255, 255))
    product = textured(box[2] - box[0], box[3] - box[1], seed=3).point(lambda v: v // 4)
    im.paste(product, box[:2])
    return im


@pytest.fixture
def photo() -> Image.Image:
    return textured(240, 180)
