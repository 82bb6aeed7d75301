"""Packshot rendering: the real product, cut out, centred on a plain (white) square canvas.

The product's bounding box spans ``fill`` of the canvas side on its longer axis (Amazon's
85 %). The canvas side is the product's own resolution divided by ``fill``, at least
``min_long_side`` (1000 px: Amazon zoom) and at most ``max_long_side``; a product too small
for the minimum is enlarged by the ``upscale`` callable (a super-resolution model) or Lanczos.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.errors import InvalidImageError, gettext_noop
from gan_imaging.core.vision.compliance import PRODUCT_TOLERANCE
from gan_imaging.core.vision.cutout import Matte, apply_matte
from gan_imaging.core.vision.layout import SIDES
from gan_imaging.core.vision.shadow import apply_shadow, contact_shadow

#: ``upscale(image, scale) -> image``: enlarges an RGB image ``scale`` (2–4) times per side.
Upscaler = Callable[[Image.Image, int], Image.Image]

#: A side cuts the product when the solid matte runs along it for at least this share of the
#: side's length (and :data:`CUT_MIN_PX`): a few stray pixels touching the border are no cut.
CUT_SHARE = 0.03
CUT_MIN_PX = 4

_MAX_MODEL_SCALE = 4
#: Enlargements up to 2 % (rounding the canvas to whole pixels) are plain resizes.
_SAME = 1.02


@dataclass
class Product:
    """A cleaned product cutout: ``rgba`` cropped to the product, and how it was found."""

    rgba: Image.Image
    box: tuple[int, int, int, int]
    touches_edge: bool
    meta: dict[str, Any] = field(default_factory=dict)
    #: The photo's sides that cut the product (see :func:`cut_edges`), in :data:`SIDES` order.
    edges: tuple[str, ...] = ()


def _longest_run(on: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D bool array."""
    if not on.any():
        return 0
    padded = np.concatenate([[False], on, [False]]).astype(np.int8)
    starts, ends = np.flatnonzero(np.diff(padded) == 1), np.flatnonzero(np.diff(padded) == -1)
    return int((ends - starts).max())


def cut_edges(
    alpha: np.ndarray,
    *,
    share: float = CUT_SHARE,
    min_px: int = CUT_MIN_PX,
    threshold: int = 128,
    depth: int = 2,
) -> tuple[str, ...]:
    """The sides of the photo that cut the product, in :data:`SIDES` order.

    ``alpha``: the matte, uint8 (H, W), 0–255, the size of the photo. A side cuts the product
    when, in its outer ``depth`` px, the solid matte (alpha ≥ ``threshold``) runs unbroken
    along it for at least ``share`` (0–1) of the side's length and ``min_px`` px.
    """
    h, w = alpha.shape[:2]
    d = max(1, min(depth, h, w))
    solid = np.asarray(alpha) >= threshold
    bands = {
        "left": solid[:, :d].max(axis=1), "top": solid[:d].max(axis=0),
        "right": solid[:, -d:].max(axis=1), "bottom": solid[-d:].max(axis=0),
    }  # fmt: skip
    return tuple(side for side in SIDES
                 if _longest_run(bands[side]) >= max(min_px, share * bands[side].size))  # fmt: skip


def clean_alpha(alpha: np.ndarray, min_share: float = 0.01) -> np.ndarray:
    """Drop specks: alpha (uint8 (H, W), 0–255) components (alpha ≥ 8) smaller than
    ``min_share`` of the largest one are set to 0. Returns a new array."""
    mask = alpha >= 8
    labels, n = ndimage.label(mask)
    if n <= 1:
        return alpha.copy()
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(sizes >= min_share * sizes.max()) + 1
    return np.where(np.isin(labels, keep) | ~mask, alpha, 0).astype(np.uint8)


def extract_product(image: Image.Image, matte: Matte) -> Product:
    """Cut the product out of ``image`` with ``matte`` and crop to it (specks removed).

    ``touches_edge``: the product's box reaches the photo's border; ``edges``: the sides that
    cut it over a meaningful length (:func:`cut_edges`), where scenes and banners anchor it.

    Raises :class:`InvalidImageError` when no product is found (an empty matte).
    """
    alpha = clean_alpha(np.asarray(matte.alpha))
    cleaned = Matte(Image.fromarray(alpha, "L"), matte.method, matte.background,
                    matte.plainness, matte.model_version)  # fmt: skip
    box = cleaned.box(8)
    if box is None:
        raise InvalidImageError(gettext_noop(
            "No product could be found in this photo. Upload a photo where the product stands "
            "out from its background, ideally on a plain or white backdrop."
        ))
    rgba = apply_matte(image, cleaned).crop(box)
    w, h = image.size
    touches = box[0] == 0 or box[1] == 0 or box[2] == w or box[3] == h
    return Product(rgba, box, touches, edges=cut_edges(alpha) if touches else ())


def visible_box(
    rgba: Image.Image, background: tuple[int, int, int], tolerance: int = PRODUCT_TOLERANCE
) -> tuple[int, int, int, int] | None:
    """Box (px) of the pixels that differ visibly from ``background`` once composited on it
    (alpha-weighted channel difference > ``tolerance``, 0–255): what a marketplace checker
    measures as the product. Faint matte fringes (a mockup's soft shadow) fall outside."""
    arr = np.asarray(rgba, np.int16)
    diff = np.abs(arr[..., :3] - np.array(background, np.int16)).max(axis=2)
    seen = diff.astype(np.int32) * arr[..., 3] > tolerance * 255
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    if not rows.size:
        return None
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _enlarge(rgba: Image.Image, size: tuple[int, int], upscale: Upscaler | None) -> tuple[
    Image.Image, str, str
]:
    """``rgba`` resized to ``size``; enlargements go through ``upscale`` when given (colour
    channels only: alpha is resized on its own with Lanczos, so the model never sees it)."""
    if size[0] <= rgba.width * _SAME and size[1] <= rgba.height * _SAME:
        return rgba.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), "none", ""
    if upscale is None:
        return rgba.resize(size, Image.Resampling.LANCZOS), "lanczos", ""
    # Super-resolution models come in x2 and x4; Lanczos makes up the rest.
    factor = 2 if size[0] <= rgba.width * 2 else _MAX_MODEL_SCALE
    up = upscale(rgba.convert("RGB"), factor)
    version = str(up.info.get("model_version") or getattr(upscale, "model_version", "injected"))
    rgb = up.convert("RGB")
    alpha = rgba.getchannel("A").resize(rgb.size, Image.Resampling.LANCZOS)
    rgb.putalpha(alpha)
    return rgb.resize(size, Image.Resampling.LANCZOS), "model", version


def render_packshot(
    product: Product,
    *,
    fill: float = 0.85,
    min_long_side: int = 1000,
    max_long_side: int = 2000,
    background: tuple[int, int, int] = (255, 255, 255),
    shadow: bool = False,
    upscale: Upscaler | None = None,
) -> tuple[Image.Image, dict[str, Any]]:
    """The packshot: an RGB square canvas of ``background`` with the product centred.

    ``fill`` (0.5–1) is the product box's share of the side on its longer axis; the side is
    ``ceil(product long side / fill)`` clamped to ``min_long_side``–``max_long_side`` px.
    ``shadow`` adds a soft contact shadow (then the background is no longer pure, so keep it
    off for marketplace exports). Returns (image, meta: size, scale, upscaler used, ...).
    """
    rgba = product.rgba
    box = visible_box(rgba, background)
    if box is not None and box != (0, 0, rgba.width, rgba.height):
        rgba = rgba.crop(box)
    pw, ph = rgba.size
    side = min(max_long_side, max(min_long_side, math.ceil(max(pw, ph) / fill)))
    scale = fill * side / max(pw, ph)
    # Round the product's size up so the rendered box never falls short of ``fill``.
    size = (max(1, min(side, math.ceil(pw * scale))), max(1, min(side, math.ceil(ph * scale))))
    placed, upscaler, upscale_model = _enlarge(rgba, size, upscale)
    canvas = Image.new("RGB", (side, side), background)
    at = ((side - size[0]) // 2, (side - size[1]) // 2)
    if shadow:
        canvas = apply_shadow(canvas, contact_shadow(placed.getchannel("A"), canvas.size, at))
    canvas.paste(placed, at, placed)
    meta = {
        "width": side, "height": side, "fill": fill, "scale": round(scale, 4),
        "upscaler": upscaler, "shadow": shadow, "product_box": list(product.box),
        "touches_edge": product.touches_edge,
    }  # fmt: skip
    if upscale_model:
        meta["upscale_model"] = upscale_model
    return canvas, meta
