"""Quantisation proxies: the SSIM an encoder would leave, estimated without encoding.

A proxy takes a rendition's luma (uint8, H × W), cuts it into transform blocks (a fixed-seed
sample of at most ``max_blocks``), and for a quality of the encoder's grid zeroes every
coefficient smaller than its dead zone (error c²) or rounds it (error Q²/12) with that
quality's quantiser step Q; each block's error becomes an SSIM estimate
(2σ² + C2) / (2σ² + MSE + C2), pooled with information weights log(1 + σ²/C2)·2 as the
floor's metric is (:class:`~.quality.SsimReference`). Two encoders are modelled:

* :class:`JpegProxy`: 8×8 DCT blocks, the JPEG standard luminance table scaled to the quality
  as libjpeg scales it, dead zone Q/2. Its crossing of the floor correlates 0.95–0.98 with
  the real crossing of AVIF and JPEG on the corpus, 0.895 with WebP's.
* :class:`Vp8Proxy`: what libwebp's lossy (VP8) encoder does with a quality: 4×4 DCT blocks
  (VP8's transform scales coefficients by 2 against the orthonormal DCT), the quality mapped
  to a quantiser index as ``QualityToCompression`` maps it (``c = q·2/3`` below 0.75 else
  ``2q − 1``; index = 127·(1 − c^(1/3))), the RFC 6386 DC and AC step tables, and the
  dead zone of libwebp's rounding bias for luma AC (110/256: coefficients below 0.57 Q
  vanish). Segment-wise modulation (SNS), intra prediction and the loop filter are left out:
  modelling SNS made the fit worse. Beside the JPEG proxy it cuts the WebP crossing's
  residual from 1.48 to 1.32 grid steps (train split, 536 renditions).

Both estimates never fall as the quality rises (a finer step lowers every coefficient's
error), so the first grid index reaching a floor is found by bisection (:func:`crossing_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np
from scipy.fft import dct

from gan_imaging.core.imaging.quality import QUALITY_GRIDS, SsimReference

_C2 = SsimReference.C2
_JPEG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], np.float32).reshape(64)  # ITU-T T.81 Annex K, table K.1
# RFC 6386 section 14.1: dequantisation steps by quantiser index 0–127.
_VP8_DC = np.array([
    4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 19, 20, 20, 21, 21, 22, 22,
    23, 23, 24, 25, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 37, 38, 39, 40, 41,
    42, 43, 44, 45, 46, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
    63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 76, 77, 78, 79, 80, 81, 82, 83,
    84, 85, 86, 87, 88, 89, 91, 93, 95, 96, 98, 100, 101, 102, 104, 106, 108, 110, 112, 114,
    116, 118, 122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 143, 145, 148, 151, 154, 157,
], np.float32)
_VP8_AC = np.array([
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
    28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 51, 52, 53, 54, 55, 56, 57, 58, 60, 62, 64, 66, 68, 70, 72, 74, 76, 78, 80, 82, 84,
    86, 88, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108, 110, 112, 114, 116, 119, 122, 125,
    128, 131, 134, 137, 140, 143, 146, 149, 152, 155, 158, 161, 164, 167, 170, 173, 177, 181,
    185, 189, 193, 197, 201, 205, 209, 213, 217, 221, 225, 229, 234, 239, 245, 249, 254, 259,
    264, 269, 274, 279, 284,
], np.float32)


@lru_cache(maxsize=64)
def _sample(n: int, k: int) -> np.ndarray:
    """The fixed-seed sample of ``k`` of ``n`` blocks (ascending indices; the ladder's widths
    recur from photo to photo; bounded: heights vary with every aspect ratio)."""
    out = np.sort(np.random.default_rng(0).choice(n, k, replace=False))
    out.flags.writeable = False
    return out


@cache
def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix D (n × n, float32): a block's coefficients are D·B·Dᵀ
    (one batched matmul, ~2× scipy's dctn on thousands of tiny blocks)."""
    out: np.ndarray = dct(np.eye(n, dtype=np.float32), norm="ortho", axis=0)
    out.flags.writeable = False
    return out


class _Proxy:
    """Sampled ``size`` × ``size`` DCT blocks of a uint8 luma plane (H × W), their variances
    and information weights; subclasses give the quantiser steps and dead zone."""

    size = 8
    max_blocks = 4000
    dead_zone = 0.5  # share of the step under which a coefficient vanishes

    def __init__(self, luma: np.ndarray):
        n_ = self.size
        nby, nbx = luma.shape[0] // n_, luma.shape[1] // n_
        self.empty = nby == 0 or nbx == 0
        if self.empty:
            return
        n = nby * nbx
        if n > self.max_blocks:
            # Gather only the sampled blocks (row-major block order, as a full reshape lists
            # them): the whole plane is never copied.
            by, bx = np.divmod(_sample(n, self.max_blocks), nbx)
            plane = np.ascontiguousarray(luma)
            width = plane.shape[1]
            offsets = (np.arange(n_)[:, None] * width + np.arange(n_)).reshape(-1)
            corners = by * (n_ * width) + bx * n_
            blocks = (np.take(plane.reshape(-1), corners[:, None] + offsets)
                      .reshape(-1, n_, n_).astype(np.float32) - 128.0)
        else:
            x = luma[: nby * n_, : nbx * n_].astype(np.float32) - 128.0
            blocks = x.reshape(nby, n_, nbx, n_).transpose(0, 2, 1, 3).reshape(-1, n_, n_)
        basis = _dct_matrix(n_)
        coef = (basis @ blocks @ basis.T).reshape(len(blocks), n_ * n_)
        self.var = blocks.reshape(len(blocks), n_ * n_).var(axis=1)
        self.weight = np.log1p(self.var / _C2) * 2.0  # σx ≈ σy: the floor's information weight
        self.total = float(self.weight.sum())
        self.coef, self.sq = np.abs(coef), coef * coef

    def steps(self, quality: int) -> np.ndarray:
        """Quantiser steps per coefficient (row-major block order), in orthonormal-DCT units."""
        raise NotImplementedError

    def at(self, quality: int) -> float:
        """Estimated information-weighted SSIM (0–1] at encoder ``quality`` (1–100)."""
        if self.empty or self.total <= 1e-9:
            return 1.0
        step = self.steps(quality)
        err = np.where(self.coef < step * self.dead_zone, self.sq, step * step / 12.0)
        mse = err.mean(axis=1)
        ssim = (2 * self.var + _C2) / (2 * self.var + mse + _C2)
        return float((ssim * self.weight).sum() / self.total)


class JpegProxy(_Proxy):
    """Baseline JPEG (libjpeg's quality scaling of the standard luminance table)."""

    def steps(self, quality: int) -> np.ndarray:
        scale = 5000 / quality if quality < 50 else 200 - 2 * quality
        return np.clip(np.floor((_JPEG_LUMA * scale + 50) / 100), 1, 255)


class Vp8Proxy(_Proxy):
    """libwebp's lossy encoder at a ``quality`` (see the module doc)."""

    size = 4
    max_blocks = 4000
    dead_zone = 1 - 110 / 256

    @staticmethod
    def index(quality: int) -> int:
        """libwebp's quantiser index (0–127, 0 = finest) for ``quality`` 0–100, without SNS."""
        q = quality / 100
        linear = q * 2 / 3 if q < 0.75 else 2 * q - 1
        return int(min(127, max(0, 127 * (1 - linear ** (1 / 3)))))

    def steps(self, quality: int) -> np.ndarray:
        i = self.index(quality)
        out = np.full(16, _VP8_AC[i] / 2, np.float32)  # VP8 units are 2 × orthonormal
        out[0] = _VP8_DC[i] / 2
        return out


def curve_of(proxy: _Proxy, grid: Sequence[int]) -> np.ndarray:
    """``proxy``'s estimate at every quality of ``grid``; values in (0, 1]."""
    return np.array([proxy.at(q) for q in grid])


def crossing(curve: np.ndarray, floor: float) -> float:
    """Fractional grid index where ``curve`` (ascending qualities) first reaches ``floor``;
    0 when it starts above, ``len(curve)`` when it never does."""
    above = np.nonzero(curve >= floor)[0]
    if not len(above):
        return float(len(curve))
    k = int(above[0])
    if k == 0:
        return 0.0
    lo, hi = float(curve[k - 1]), float(curve[k])
    return k - 1 + (floor - lo) / (hi - lo) if hi > lo else float(k)


def crossing_of(proxy: _Proxy, floor: float, grid: Sequence[int]) -> float:
    """``crossing(curve_of(proxy, grid), floor)`` from about log2(len(grid)) + 1 points of the
    curve instead of all of them, by bisection (the estimate never falls as quality rises)."""
    values: dict[int, float] = {}

    def at(k: int) -> float:
        if k not in values:
            values[k] = proxy.at(grid[k])
        return values[k]

    lo, hi = 0, len(grid)  # the first index reaching the floor lies in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if at(mid) >= floor:
            hi = mid
        else:
            lo = mid + 1
    if lo == len(grid):
        return float(len(grid))
    if lo == 0:
        return 0.0
    below, above = at(lo - 1), at(lo)
    return lo - 1 + (floor - below) / (above - below) if above > below else float(lo)


def proxy_curve(luma: np.ndarray, grid: Sequence[int] = QUALITY_GRIDS["jpeg"]) -> np.ndarray:
    """The JPEG proxy's estimate at each quality of ``grid`` for a uint8 luma plane."""
    return curve_of(JpegProxy(luma), grid)


def proxy_crossing(
    luma: np.ndarray, floor: float, grid: Sequence[int] = QUALITY_GRIDS["jpeg"]
) -> float:
    """Where the JPEG proxy's estimate for ``luma`` crosses ``floor`` (fractional index)."""
    return crossing_of(JpegProxy(luma), floor, grid)


def vp8_crossing(
    luma: np.ndarray, floor: float, grid: Sequence[int] = QUALITY_GRIDS["webp"]
) -> float:
    """Where the VP8 proxy's estimate for ``luma`` crosses ``floor`` (fractional index)."""
    return crossing_of(Vp8Proxy(luma), floor, grid)
