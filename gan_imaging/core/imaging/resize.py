"""Resizing. Pillow resamples RGBA premultiplied, so edges of cut-outs do not darken."""

from __future__ import annotations

from PIL import Image


def height_for_width(size: tuple[int, int], width: int) -> int:
    """Height in px that keeps the aspect ratio of ``size`` (w, h) at ``width`` px; ≥ 1."""
    w, h = size
    return max(1, round(h * width / w))


def fit_width(im: Image.Image, width: int) -> Image.Image:
    """Downscale ``im`` to ``width`` px wide keeping the aspect ratio (never upscales)."""
    if width >= im.width:
        return im
    size = (width, height_for_width(im.size, width))
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
