"""How damaged a photo is: JPEG quality (from the file's tables and from its pixels) and noise.

- **File quality.** A JPEG's luminance quantisation table is matched against libjpeg's
  (IJG) tables for qualities 1-100 (what Pillow, libjpeg-turbo, most editors and phones
  scale); the best match is the quality the file was *last* saved at.
- **Pixel quality (double compression).** A photo saved at quality 35 and re-saved at 90 (a
  marketplace re-export) carries q90 tables but q35 damage. Its decoded pixels remember the
  first compression: the 8 x 8 DCT coefficients of the luma cluster at multiples of the
  *coarsest* quantiser step they went through. For a few low-frequency coefficients the
  largest step whose multiples fit the coefficients is found (a periodicity score) and the
  IJG quality with those steps is the effective quality. It needs the JPEG grid where it was
  (an uncropped photo) and works on PNGs made from JPEGs too.
- **Noise.** Immerkaer's operator (the difference of two Laplacians, blind to linear
  ramps) gives a sigma per 16 x 16 block of luma; noise is read from the flattest blocks
  (a low percentile), skipping clipped blocks (a white backdrop hides noise at 255).

Pure numpy + Pillow. Photos over 2 MP are read in bands of rows (a bounded cost, ~0.5 s).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: libjpeg's standard luminance table (natural order; ``Image.quantization`` is too).
STD_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)  # fmt: skip

#: Low-frequency coefficients (row, column) whose steps reveal an earlier compression.
_PROBES = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2))
_MAX_BLOCKS = 20_000
_MIN_SUPPORT = 40
_MAX_PIXELS = 2_000_000
#: Luma noise per unit of independent per-channel noise: sqrt(0.299^2 + 0.587^2 + 0.114^2).
_LUMA_GAIN = 0.6686


def ijg_table(quality: int) -> np.ndarray:
    """libjpeg's luminance table for ``quality`` (1-100), float64 (64,), natural order."""
    q = min(100, max(1, int(quality)))
    scale = 5000 / q if q < 50 else 200 - 2 * q
    return np.clip(np.floor((STD_LUMA * scale + 50) / 100), 1, 255)


_TABLES = np.stack([ijg_table(q) for q in range(1, 101)])  # (100, 64)


def quality_from_table(table: np.ndarray | list[int]) -> int:
    """The IJG quality (1-100) whose luminance table is closest (mean |log ratio|)."""
    t = np.asarray(table, dtype=np.float64).reshape(-1)[:64]
    err = np.abs(np.log(_TABLES) - np.log(np.maximum(t, 1))).mean(axis=1)
    return int(np.argmin(err)) + 1


def file_quality(data: bytes) -> int | None:
    """The quality a JPEG file was last saved at (1-100), from its header only; None for
    other formats or a JPEG without a readable luminance table."""
    if not data.startswith(b"\xff\xd8"):
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            tables = getattr(im, "quantization", None) or {}
    except (OSError, ValueError):
        return None
    luma = tables.get(0)
    return quality_from_table(list(luma)) if luma is not None and len(luma) >= 64 else None


def _rgb(image: Image.Image) -> np.ndarray:
    """uint8 (H, W, 3) of ``image``, composited on white if transparent; over
    :data:`_MAX_PIXELS`, only bands of 64 rows (on the 8 px grid) spread over the height."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    a = np.asarray(image.convert("RGB"))
    h, w = a.shape[:2]
    if h * w > _MAX_PIXELS and h > 128:
        keep = max(1, _MAX_PIXELS // (64 * w))
        starts = np.linspace(0, (h - 64) // 8, keep).round().astype(int) * 8
        a = np.concatenate([a[s : s + 64] for s in np.unique(starts)])
    return a


def _luma(rgb: np.ndarray) -> np.ndarray:
    """JPEG's Y (BT.601, float64, 0-255) of uint8 (H, W, 3)."""
    a = rgb.astype(np.float64)
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def _dct_matrix() -> np.ndarray:
    k = np.arange(8)
    m = np.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16) * math.sqrt(2 / 8)
    m[0] /= math.sqrt(2)
    return m  # orthonormal: JPEG's DCT (its coefficients are what the tables divide)


_DCT = _dct_matrix()


def _blocks(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unclipped 8 x 8 blocks on the JPEG grid (at most :data:`_MAX_BLOCKS`), (N, 8, 8)."""
    h, w = (y.shape[0] // 8) * 8, (y.shape[1] // 8) * 8
    b = y[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    keep = (b.min(axis=(1, 2)) > 2) & (b.max(axis=(1, 2)) < 253)
    b = b[keep]
    if len(b) > _MAX_BLOCKS:
        b = b[np.sort(rng.choice(len(b), _MAX_BLOCKS, replace=False))]
    # Repeated blocks (drawn graphics, flat fills) would make a few values look periodic:
    # keep one of each (keyed by a random projection of the block, a fast 1-D unique).
    keys = b.reshape(len(b), 64).round(1) @ np.random.default_rng(1).normal(size=64)
    return b[np.sort(np.unique(keys, return_index=True)[1])]


def _largest_step(c: np.ndarray) -> int:
    """The largest quantiser step (2-255) whose multiples the values ``c`` sit on; 1: none."""
    a = np.abs(c)
    best = 1
    for s in range(2, 256):
        nz = a[a > s / 2]
        if len(nz) < _MIN_SUPPORT:
            break
        # Multiples of the step, and more than one multiple: one repeated value fits any
        # of its divisors.
        if float(np.cos(2 * math.pi * nz / s).mean()) >= 0.5 and len(
                np.unique(np.round(nz / s))) >= 2:
            best = s
    return best


def pixel_quality(image: Image.Image | np.ndarray) -> int | None:
    """The effective JPEG quality (1-100) the pixels show, from the coarsest quantiser steps
    of low-frequency DCT coefficients on the 8 x 8 grid; None when no JPEG grid is found
    (never compressed, compressed at about 85 or finer, cropped or resized since)."""
    rgb = _rgb(image) if isinstance(image, Image.Image) else image
    blocks = _blocks(_luma(rgb), np.random.default_rng(0))
    if len(blocks) < _MIN_SUPPORT:
        return None
    coefs = np.einsum("ij,njk,lk->nil", _DCT, blocks, _DCT)
    estimates = []
    for r, c in _PROBES:
        step = _largest_step(coefs[:, r, c])
        if step < 3:  # steps of 1-2 are within decoding's rounding: nothing seen
            continue
        col = _TABLES[:, r * 8 + c]
        estimates.append(int(np.argmin(np.abs(np.log(col) - math.log(step)))) + 1)
    if len(estimates) < 3:
        return None
    return int(np.median(estimates))


def noise_sigma(image: Image.Image | np.ndarray) -> float:
    """Per-channel noise standard deviation on the 0-255 scale (about 0-50), from the
    flattest 16 x 16 blocks of luma (the 10th percentile of Immerkaer's estimate over blocks
    no channel clips, or over all blocks when fewer than 16 do not), divided by the luma gain
    of independent channel noise; 0.0 for images under 18 px."""
    rgb = _rgb(image) if isinstance(image, Image.Image) else image
    y = _luma(rgb)
    if min(y.shape) < 18:
        return 0.0
    # Any channel near 0 or 255 may have clipped the noise (a white backdrop): skip the block.
    inner = rgb[1:-1, 1:-1]
    hi, lo = inner.max(axis=2), inner.min(axis=2)
    # Immerkaer 1996: the mask [[1,-2,1],[-2,4,-2],[1,-2,1]] has a zero response to planes.
    lap = (y[:-2, :-2] - 2 * y[:-2, 1:-1] + y[:-2, 2:]
           - 2 * y[1:-1, :-2] + 4 * y[1:-1, 1:-1] - 2 * y[1:-1, 2:]
           + y[2:, :-2] - 2 * y[2:, 1:-1] + y[2:, 2:])  # fmt: skip
    h, w = (lap.shape[0] // 16) * 16, (lap.shape[1] // 16) * 16
    blk = lambda a: a[:h, :w].reshape(h // 16, 16, w // 16, 16)  # noqa: E731
    clipped = (blk(hi).max(axis=(1, 3)) >= 250) | (blk(lo).min(axis=(1, 3)) <= 5)
    est = math.sqrt(math.pi / 2) / 6 * np.abs(blk(lap)).mean(axis=(1, 3))
    vals = est[~clipped] if int((~clipped).sum()) >= 16 else est.reshape(-1)
    if vals.size == 0:
        return 0.0
    return float(np.percentile(vals, 10)) / _LUMA_GAIN


@dataclass(frozen=True)
class Assessment:
    """What a photo shows. ``file_quality``: the quality its JPEG tables say (1-100; None:
    not a JPEG). ``pixel_quality``: the coarsest compression its pixels show (None: no JPEG
    grid found). ``noise``: sigma on the 0-255 scale."""

    file_quality: int | None
    pixel_quality: int | None
    noise: float

    @property
    def quality(self) -> int | None:
        """The effective JPEG quality: the pixels' for a photo saved twice (or not a JPEG
        file), else the tables' (the pixel estimate reads ~10 % low); None when unknown."""
        if self.file_quality is None or self.double_jpeg:
            return self.pixel_quality
        return self.file_quality

    @property
    def double_jpeg(self) -> bool:
        """Saved at a lower quality before its last save (pixels 10+ below the tables)."""
        return (self.file_quality is not None and self.pixel_quality is not None
                and self.pixel_quality <= self.file_quality - 10)  # fmt: skip


def assess(image: Image.Image, data: bytes | None = None) -> Assessment:
    """Assess ``image`` (any mode, as decoded at full size) and its file bytes ``data``."""
    rgb = _rgb(image)
    return Assessment(
        file_quality=file_quality(data) if data else None,
        pixel_quality=pixel_quality(rgb),
        noise=round(noise_sigma(rgb), 2),
    )
