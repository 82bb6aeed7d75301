"""Soft contact shadows under a placed product.

The shadow is the product's own silhouette squashed flat onto the floor at its base and
blurred (a wide soft penumbra plus a tight dark core where the product touches the floor).
It is computed at a quarter of the canvas resolution and upsampled: shadows have no detail.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

_REDUCE = 4


def contact_shadow(
    alpha: Image.Image,
    canvas: tuple[int, int],
    at: tuple[int, int],
    *,
    opacity: float = 0.45,
    spread: float = 1.0,
) -> Image.Image:
    """Shadow strength as an ``"L"`` image of ``canvas`` (w, h) px, 0 = none, 255 = black.

    ``alpha``: the product's matte (mode ``"L"``) as placed; ``at``: its top-left corner on the
    canvas (px). ``opacity`` 0–1 scales the darkest point; ``spread`` (0.5–2) scales the blur
    and the length of the squashed silhouette.
    """
    cw, ch = max(1, canvas[0] // _REDUCE), max(1, canvas[1] // _REDUCE)
    pw, ph = max(1, alpha.width // _REDUCE), max(1, alpha.height // _REDUCE)
    small = alpha.resize((pw, ph), Image.Resampling.BILINEAR)
    # The solid part (alpha ≥ 50 %) decides where the floor is: a mockup's own faint shadow
    # in the matte must not push ours below it.
    rows = np.flatnonzero((np.asarray(small) >= 128).any(axis=1))
    top, end = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, ph)
    # The base: the solid silhouette's bottom 30 %, where the product meets the floor.
    base = small.crop((0, top + int((end - top) * 0.7), pw, end))
    ph = end - top
    x0, bottom = at[0] // _REDUCE, at[1] // _REDUCE + end
    field = np.zeros((ch, cw), np.float32)
    for height, blur, weight in ((0.10, 0.035, 0.55), (0.025, 0.008, 0.9)):
        sh = max(1, round(ph * height * spread))
        flat = np.asarray(base.resize((pw, sh), Image.Resampling.BILINEAR), np.float32) / 255
        layer = np.zeros((ch, cw), np.float32)
        top = bottom - (sh * 2) // 3
        y0, y1 = max(0, top), min(ch, top + sh)
        x1 = min(cw, x0 + pw)
        if y1 > y0 and x1 > max(0, x0):
            layer[y0:y1, max(0, x0) : x1] = flat[y0 - top : y1 - top, max(0, -x0) : x1 - x0]
        sigma = max(0.5, ph * blur * spread)
        field += weight * ndimage.gaussian_filter(layer, sigma, mode="constant")
    field = np.clip(field, 0, 1) * (255 * float(np.clip(opacity, 0, 1)))
    out = Image.fromarray((field + 0.5).astype(np.uint8), "L")
    return out.resize(canvas, Image.Resampling.BILINEAR)


def apply_shadow(background: Image.Image, shadow: Image.Image) -> Image.Image:
    """Darken an RGB ``background`` by ``shadow`` (multiply: the floor's colour shows through)."""
    bg = np.asarray(background.convert("RGB"), np.float32)
    s = np.asarray(shadow, np.float32)[..., None] / 255
    return Image.fromarray((bg * (1 - s) + 0.5).astype(np.uint8), "RGB")
