"""Scene compositing: a product cutout on a generated backdrop, with colour harmonisation.

The product's pixels are never redrawn: harmonisation only applies a bounded per-channel gain
(at most ±12 %) that moves the product's mean colour a little towards the backdrop's light, the
way a real scene's light would tint it. Backdrops are softened (depth of field) and vignetted
so the product, sharp and centred, reads as the subject.

A product cut by its photo's frame (a model photographed from the thighs up, trousers cut at
the waist) is never floated: :func:`place_product` anchors each cut edge to the scene's frame
edge on the same side, fills the dimension when both opposite sides are cut (cropping the rest
by the frame), and puts no contact shadow under a cut.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from gan_imaging.core.vision.layout import SIDES
from gan_imaging.core.vision.shadow import apply_shadow, contact_shadow

#: Duotone palettes (dark, light) for the bundled grey texture styles.
PALETTES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "brick": ((78, 46, 38), (206, 160, 132)),
    "gravel": ((74, 70, 64), (214, 206, 192)),
}
_DEFAULT_PALETTE = ((60, 60, 62), (220, 218, 214))


RGB = tuple[int, int, int]


def duotone(grey: np.ndarray, dark: RGB, light: RGB) -> Image.Image:
    """Colour a uint8 (H, W) or (H, W, 1) grey texture between two RGB colours (0–255)."""
    g = grey.reshape(grey.shape[0], grey.shape[1], 1).astype(np.float32) / 255
    out = np.array(dark, np.float32) * (1 - g) + np.array(light, np.float32) * g
    return Image.fromarray((out + 0.5).astype(np.uint8), "RGB")


def palette_for(style: str) -> tuple[RGB, RGB]:
    """The (dark, light) duotone of a bundled style (a neutral one for unknown styles)."""
    return PALETTES.get(style, _DEFAULT_PALETTE)


def harmonise(product: Image.Image, backdrop: Image.Image, strength: float = 0.25) -> Image.Image:
    """``product`` (RGBA) with a per-channel gain towards ``backdrop``'s (RGB) mean colour.

    ``strength`` 0–1 is the share of the colour-cast difference applied; each gain is clamped
    to 0.88–1.12 so the product's own colours stay recognisable, and the gains about keep its luma.
    Alpha is unchanged.
    """
    arr = np.asarray(product, np.float32)
    a = arr[..., 3:4] / 255
    weight = float(a.sum())
    if weight < 1:
        return product
    p_mean = (arr[..., :3] * a).sum(axis=(0, 1)) / weight
    b = np.asarray(backdrop.convert("RGB").reduce(8), np.float32).reshape(-1, 3).mean(axis=0)
    # Compare chromaticities (colour casts), not brightness: a white product on dark bricks
    # should stay white, only a little warmer.
    p_chroma = p_mean / max(1.0, float(p_mean.mean()))
    b_chroma = b / max(1.0, float(b.mean()))
    gain = np.clip((b_chroma / np.maximum(p_chroma, 1e-3)) ** strength, 0.88, 1.12)
    # A tint, not a relight: keep the product's luma (BT.601 weights).
    gain = np.clip(gain / float(gain @ np.array([0.299, 0.587, 0.114])), 0.88, 1.12)
    rgb = np.clip(arr[..., :3] * gain, 0, 255)
    out = np.concatenate([rgb, arr[..., 3:4]], axis=2)
    return Image.fromarray((out + 0.5).astype(np.uint8), "RGBA")


#: Height share (0–1) of a product cut at the bottom (it stands on the frame's bottom edge).
CUT_HEIGHT_SHARE = 0.86
#: Width share (0–1) an uncut side may use at most (the rest is air around the product).
WIDTH_SHARE = 0.8


@dataclass(frozen=True)
class Placement:
    """Where a product goes in a scene. ``size``: its scaled (w, h) px; ``at``: its top-left
    corner (px, negative or past the scene where the frame crops it); ``anchored``: the scene
    sides its cut edges lie on; ``cropped``: the scene sides that crop it; ``shadow``: whether
    it may cast a contact shadow (never under a cut); ``scale``: the uniform scale factor."""

    size: tuple[int, int]
    at: tuple[int, int]
    anchored: tuple[str, ...]
    cropped: tuple[str, ...]
    shadow: bool
    scale: float

    def meta(self) -> dict[str, Any]:
        """JSON-ready: anchored and cropped sides, shadow, scale, box (x0, y0, x1, y1 px)."""
        x, y = self.at
        return {"anchored": list(self.anchored), "cropped": list(self.cropped),
                "shadow": self.shadow, "scale": round(self.scale, 4),
                "box": [x, y, x + self.size[0], y + self.size[1]]}  # fmt: skip


def place_product(
    product: tuple[int, int],
    scene: tuple[int, int],
    edges: Collection[str] = (),
    *,
    height_share: float = 0.62,
    floor: float = 0.88,
) -> Placement:
    """Where a ``product`` (w, h px, cropped to it) cut by its photo's ``edges`` (any of
    :data:`SIDES`) goes in a ``scene`` (w, h px). Uniform scale only.

    * uncut: ``height_share`` (0–1) of the scene height, at most :data:`WIDTH_SHARE` of its
      width, centred, base at ``floor`` (0–1 of the height), with a contact shadow;
    * cut at the bottom: :data:`CUT_HEIGHT_SHARE` of the height, cut row on the last row;
    * cut at the top: flush with the top, base at ``floor`` (shadow under the base);
    * cut at the left/right: flush with that side (vertical placement as above);
    * cut on two opposite sides: fills that dimension exactly, the frame crops the rest.
    """
    cut = set(edges) & set(SIDES)
    pw0, ph0 = max(1, product[0]), max(1, product[1])
    w, h = scene
    fill_x, fill_y = {"left", "right"} <= cut, {"top", "bottom"} <= cut
    if fill_x or fill_y:
        scale = max(w / pw0 if fill_x else 0.0, h / ph0 if fill_y else 0.0)
    else:
        share = CUT_HEIGHT_SHARE if "bottom" in cut else floor if "top" in cut else height_share
        width_share = 1.0 if cut & {"left", "right"} else WIDTH_SHARE
        scale = min(share * h / ph0, width_share * w / pw0)
    pw, ph = max(1, round(pw0 * scale)), max(1, round(ph0 * scale))
    # Whole pixels: a filled dimension is never a pixel short (no gap along the frame).
    pw, ph = (max(pw, w) if fill_x else pw), (max(ph, h) if fill_y else ph)
    x = _align(pw, w, cut, "left", "right", (w - pw) // 2)
    y = _align(ph, h, cut, "top", "bottom", round(floor * h) - ph if ph <= h else (h - ph) // 2)
    y = max(0, y) if ph <= h else y
    cropped = tuple(side for side, over in zip(SIDES, (x < 0, y < 0, x + pw > w, y + ph > h),
                                               strict=True) if over)  # fmt: skip
    anchored = tuple(side for side in SIDES if side in cut)
    shadow = "bottom" not in cut and "bottom" not in cropped
    return Placement((pw, ph), (x, y), anchored, cropped, shadow, scale)


def _align(size: int, frame: int, cut: set[str], low: str, high: str, free: int) -> int:
    """Offset (px) along one axis: flush with a cut side, centred when both are cut."""
    if low in cut and high in cut:
        return (frame - size) // 2
    if low in cut:
        return 0
    if high in cut:
        return frame - size
    return free


def render_scene(
    cutout: Image.Image,
    backdrop: Image.Image,
    *,
    edges: Collection[str] = (),
    height_share: float = 0.62,
    floor: float = 0.88,
    shadow: bool = True,
    harmonise_strength: float = 0.25,
) -> tuple[Image.Image, dict[str, Any]]:
    """Place ``cutout`` (RGBA, cropped to the product) on ``backdrop`` (RGB, the scene size):
    an uncut product is scaled to ``height_share`` of the scene height (or 80 % of its width if
    that is smaller), centred horizontally, its base at ``floor`` (fraction of the height).

    ``edges``: the sides of the photo that cut the product (see
    :func:`~.packshot.cut_edges`); placement per :func:`place_product`. ``shadow`` allows the
    contact shadow (drawn only where the placement allows one). Returns the RGB scene, the
    size of ``backdrop``, and the placement's meta (``anchored``, ``cropped``, ``shadow``...).
    """
    w, h = backdrop.size
    place = place_product(cutout.size, (w, h), edges, height_share=height_share, floor=floor)
    product = cutout.resize(place.size, Image.Resampling.LANCZOS)
    scene = backdrop.convert("RGB").filter(ImageFilter.GaussianBlur(max(0.5, h / 900)))
    scene = _vignette(scene, 0.18)
    shadowed = shadow and place.shadow
    if shadowed:
        scene = apply_shadow(scene, contact_shadow(product.getchannel("A"), (w, h), place.at,
                                                   opacity=0.6))  # fmt: skip
    product = harmonise(product, scene, harmonise_strength)
    scene.paste(product, place.at, product)
    meta = place.meta()
    meta["shadow"] = shadowed
    return scene, meta


def _vignette(im: Image.Image, amount: float) -> Image.Image:
    w, h = im.size
    yy, xx = np.ogrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    falloff = 1 - amount * np.clip((xx**2 + yy**2) / 2, 0, 1) ** 1.5
    arr = np.asarray(im, np.float32) * falloff[..., None].astype(np.float32)
    return Image.fromarray((arr + 0.5).astype(np.uint8), "RGB")
