"""Scene compositing: a product cutout on a generated backdrop, with colour harmonisation.

The product's pixels are never redrawn: harmonisation only applies a bounded per-channel gain
(at most ±12 %) that moves the product's mean colour a little towards the backdrop's light, the
way a real scene's light would tint it. Backdrops are softened (depth of field) and vignetted
so the product, sharp and centred, reads as the subject.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

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


def compose_scene(
    cutout: Image.Image,
    backdrop: Image.Image,
    *,
    height_share: float = 0.62,
    floor: float = 0.88,
    shadow: bool = True,
    harmonise_strength: float = 0.25,
) -> Image.Image:
    """Place ``cutout`` (RGBA, cropped to the product) on ``backdrop`` (RGB, the scene size).

    The product is scaled to ``height_share`` of the scene height (or 80 % of its width if
    that is smaller), centred horizontally, its base at ``floor`` (fraction of the height).
    Returns the RGB scene, the size of ``backdrop``.
    """
    w, h = backdrop.size
    scale = min(height_share * h / cutout.height, 0.8 * w / cutout.width)
    pw, ph = max(1, round(cutout.width * scale)), max(1, round(cutout.height * scale))
    product = cutout.resize((pw, ph), Image.Resampling.LANCZOS)
    x, y = (w - pw) // 2, max(0, round(floor * h) - ph)
    scene = backdrop.convert("RGB").filter(ImageFilter.GaussianBlur(max(0.5, h / 900)))
    scene = _vignette(scene, 0.18)
    if shadow:
        scene = apply_shadow(scene, contact_shadow(product.getchannel("A"), (w, h), (x, y),
                                                   opacity=0.6))  # fmt: skip
    product = harmonise(product, scene, harmonise_strength)
    scene.paste(product, (x, y), product)
    return scene


def _vignette(im: Image.Image, amount: float) -> Image.Image:
    w, h = im.size
    yy, xx = np.ogrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    falloff = 1 - amount * np.clip((xx**2 + yy**2) / 2, 0, 1) ** 1.5
    arr = np.asarray(im, np.float32) * falloff[..., None].astype(np.float32)
    return Image.fromarray((arr + 0.5).astype(np.uint8), "RGB")
