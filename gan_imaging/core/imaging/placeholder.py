"""Placeholders shown while renditions are pending: a BlurHash and a tiny inline WebP.

BlurHash follows the reference algorithm (github.com/woltapp/blurhash, ``Algorithm.md``):
a DCT of the linear-light image, the DC term as 24-bit sRGB, AC terms quantised to 19 levels
per channel after a square-root companding, all in base 83. Both are made from a ≤ 32 px
proxy, so the cost does not depend on the source size beyond one box reduction.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from gan_imaging.core.imaging.encode import flatten

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

LQIP_SIDE = 32  # px, long side of the inline WebP
LQIP_QUALITY = 40  # WebP quality; the browser blurs it anyway
BLURHASH_SIDE = 32  # px, long side of the proxy the BlurHash DCT runs on


@dataclass(frozen=True)
class Placeholder:
    """``blurhash`` (ASCII, 6 + 2·(x·y − 1) chars), ``data_uri`` (``data:image/webp;base64,…``,
    typically 200–700 bytes), the source's ``width``/``height`` in px (for the aspect ratio of
    the box the placeholder fills) and ``webp``, the data URI's bytes."""

    blurhash: str
    data_uri: str
    width: int
    height: int
    webp: bytes


def base83(value: int, length: int) -> str:
    """``value`` (0 ≤ value < 83**length) as ``length`` base-83 digits, most significant first."""
    digits = []
    for i in range(length - 1, -1, -1):
        digits.append(_BASE83[(value // 83**i) % 83])
    return "".join(digits)


def _to_linear(srgb: np.ndarray) -> np.ndarray:
    v = srgb / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _to_srgb(value: float) -> int:
    v = min(max(value, 0.0), 1.0)
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exp: float) -> float:
    return math.copysign(abs(value) ** exp, value)


def blurhash(im: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """BlurHash of an ``RGB`` image (pass a small one: the cost is O(w·h·x·y)).

    Components are 1–9 each. Alpha must be composited first (BlurHash has no alpha).
    """
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("BlurHash components must be 1–9.")
    rgb = _to_linear(np.asarray(im.convert("RGB"), dtype=np.float64))
    h, w = rgb.shape[:2]
    # Reference basis: cos(π·i·x / width) for x = 0 … width − 1 (no half-pixel offset).
    bx = np.cos(np.pi * np.arange(x_components)[:, None] * np.arange(w)[None, :] / w)
    by = np.cos(np.pi * np.arange(y_components)[:, None] * np.arange(h)[None, :] / h)
    # factors[j, i, c] = Σ_y Σ_x by[j, y] · bx[i, x] · rgb[y, x, c]
    factors = np.einsum("jy,ix,yxc->jic", by, bx, rgb) / (w * h)
    factors[1:, :, :] *= 2
    factors[0, 1:, :] *= 2
    dc = factors[0, 0]
    ac = [factors[j, i] for j in range(y_components) for i in range(x_components) if i or j]
    out = base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(float(np.max(np.abs(c))) for c in ac)
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        out += base83(quantised_max, 1)
    else:
        maximum = 1.0
        out += base83(0, 1)
    out += base83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for c in ac:
        q = [int(max(0, min(18, math.floor(_sign_pow(v / maximum, 0.5) * 9 + 9.5)))) for v in c]
        out += base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return out


def proxy(im: Image.Image, side: int) -> Image.Image:
    """A copy of ``im`` whose long side is at most ``side`` px (≥ 1 px each way)."""
    scale = side / max(im.size)
    if scale >= 1:
        return im.copy()
    # A box reduction first keeps the cost flat for huge sources (12 MP → ~1 ms per step).
    factor = int(1 / scale) // 2
    small = im.reduce(factor) if factor >= 2 else im
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return small.resize(size, Image.Resampling.BOX)


def make_placeholder(
    im: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
) -> Placeholder:
    """BlurHash (4×3 components, 3×4 for portrait) and inline WebP of an RGB/RGBA image.

    The WebP keeps alpha; the BlurHash is of the image composited on ``background``.
    """
    small = proxy(im, max(LQIP_SIDE, BLURHASH_SIDE))
    lqip = proxy(small, LQIP_SIDE)
    buf = io.BytesIO()
    lqip.info = {}
    lqip.save(buf, "WEBP", quality=LQIP_QUALITY, method=6, exact=False)
    webp = buf.getvalue()
    xc, yc = (4, 3) if im.width >= im.height else (3, 4)
    hashed = blurhash(flatten(proxy(small, BLURHASH_SIDE), background), xc, yc)
    uri = "data:image/webp;base64," + base64.b64encode(webp).decode("ascii")
    return Placeholder(hashed, uri, im.width, im.height, webp)
