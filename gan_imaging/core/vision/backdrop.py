"""Banner backdrops: the brand's colours harmonised with the product, painted as a gradient or
laid over a texture.

:func:`backdrop_colours` takes the brand primary and its secondary pulled towards the product's
dominant colour (:func:`palette`); :func:`gradient` paints them as a dithered linear ramp, and
:func:`colourise` maps a grey texture's luminance onto the same ramp. Colours are sRGB
(r, g, b) 0–255.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

Rgb = tuple[int, int, int]


def palette(image: Image.Image, n: int = 4) -> list[Rgb]:
    """Up to ``n`` dominant colours of a product image (RGBA: opaque pixels only), most
    common first, skipping near-white and near-black (backdrop and shadows)."""
    im = image.convert("RGBA")
    im.thumbnail((64, 64))
    arr = np.asarray(im).reshape(-1, 4)
    rgb = arr[arr[:, 3] > 128][:, :3]
    lum = rgb.astype(np.int32).sum(axis=1)
    rgb = rgb[(lum > 60) & (lum < 705)]
    if len(rgb) == 0:
        return []
    q = Image.fromarray(rgb.reshape(1, -1, 3).astype(np.uint8), "RGB").quantize(
        n, method=Image.Quantize.MEDIANCUT
    )
    counts: list[tuple[int, int]] = sorted(q.getcolors() or [], reverse=True)  # type: ignore[arg-type]
    pal = q.getpalette() or []
    return [(pal[3 * i], pal[3 * i + 1], pal[3 * i + 2]) for _c, i in counts]


def mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    """``a`` moved a fraction ``t`` (0–1) towards ``b``, per sRGB channel."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))  # fmt: skip


def gradient(width: int, height: int, c0: Rgb, c1: Rgb, angle_deg: float) -> Image.Image:
    """A linear ``c0`` → ``c1`` gradient at ``angle_deg`` (0 = left to right), with a smooth
    (smoothstep) ramp and ±0.5 level ordered dither so JPEG shows no banding."""
    a = math.radians(angle_deg)
    xs = np.arange(width, dtype=np.float32) * math.cos(a)
    ys = np.arange(height, dtype=np.float32) * math.sin(a)
    t = ys[:, None] + xs[None, :]
    t -= t.min()
    t /= max(1e-6, float(t.max()))
    t = t * t * (3 - 2 * t)
    out = np.asarray(c0, np.float32) + t[..., None] * (np.asarray(c1, np.float32) -
                                                        np.asarray(c0, np.float32))  # fmt: skip
    bayer = np.array([[0, 2], [3, 1]], np.float32) / 4 - 0.375
    out += np.tile(bayer, (height // 2 + 1, width // 2 + 1))[:height, :width, None]
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "RGB")


def colourise(texture: Image.Image, c0: Rgb, c1: Rgb, strength: float = 0.55) -> Image.Image:
    """Map a texture's luminance onto the ``c0`` → ``c1`` ramp, its contrast scaled by
    ``strength`` (0–1) so text stays readable over it. Returns RGB of the same size."""
    lum = np.asarray(texture.convert("L"), np.float32) / 255.0
    t = np.clip(0.5 + (lum - float(lum.mean())) * strength * 2, 0, 1)[..., None]
    out = np.asarray(c0, np.float32) * (1 - t) + np.asarray(c1, np.float32) * t
    return Image.fromarray(np.rint(out).astype(np.uint8), "RGB")


def backdrop_colours(primary: Rgb, secondary: Rgb, product: Image.Image | None) -> tuple[Rgb, Rgb]:
    """The two backdrop colours of a brand: its ``primary``, and its ``secondary`` pulled 35 %
    towards the product's dominant colour so background and product harmonise."""
    pal = palette(product) if product is not None else []
    accent = mix(secondary, pal[0], 0.35) if pal else secondary
    return primary, mix(primary, accent, 0.55)
