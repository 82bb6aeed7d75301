"""Perceptual quality: SSIM on luma and the bounded per-image encoder-quality search.

SSIM follows Wang et al. (2004) with the windowing of x264 and FFmpeg's ``ssim`` filter: sums
over 4×4 pixel blocks, combined into overlapping 8×8 windows at a 4-px stride, so all moments
come from strided additions of integers (uint16/uint32 block sums, float32 window sums: all
exact) and the score from float32 (within ~1e-5 of float64's; about 2 ms per megapixel on
one x86 core, reference moments cached). Constants are the paper's,
C1 = (0.01·255)², C2 = (0.03·255)²; scores are in [-1, 1] (1 = identical). Luma is ITU-R
BT.601 (Pillow's ``convert("L")``).

Two poolings of the window map: the plain mean, and the information-weighted mean of Wang &
Li (IEEE TIP 2011, "Information content weighting for perceptual image quality assessment"),
weight = log((1 + σx²/C2)(1 + σy²/C2)). The quality floor uses the weighted one: on a packshot
most windows are flat backdrop that scores ≈ 1 at any quality, so the plain mean lets the
product itself break up (on the corpus a 0.95 plain-mean floor accepted JPEG q40 for half of
the packshots); flat windows get weight ≈ 0 and the product decides.
"""

from __future__ import annotations

import io
import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def luma(im: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """BT.601 luma of ``im`` as a 2-D uint8 array (H, W); alpha is composited on ``background``
    (0–255 per channel) first, so the score measures what a page on that colour shows."""
    if im.mode in ("RGBA", "LA", "PA", "P"):
        if im.mode != "RGBA":
            im = im.convert("RGBA")
        base = Image.new("RGB", im.size, background)
        # An RGBA mask blends by its alpha band exactly as that band alone would, without
        # copying it out (or the image: convert() to its own mode copies).
        base.paste(im, (0, 0), im)
        im = base
    return np.asarray(im.convert("L") if im.mode != "L" else im)


def decoded_luma(
    data: bytes,
    background: tuple[int, int, int] = (255, 255, 255),
    alpha: Image.Image | None = None,
) -> np.ndarray:
    """BT.601 luma (uint8, H × W) of encoded ``data`` as a browser shows it on ``background``.

    ``alpha``: the encoded image's own alpha plane (mode ``L``) when ``data`` is a WebP that
    :func:`~.encode.encode` wrote: it stores alpha losslessly, so only the colour bitstream
    is decoded and composited with ``alpha`` (the same luma as a full decode, without decoding
    the lossless plane: ~40 % of a 1920 px RGBA WebP's decode)."""
    if alpha is not None and (colour := webp_colour_only(data)) is not None:
        with Image.open(io.BytesIO(colour), formats=["WEBP"]) as im:
            im.load()
            base = Image.new("RGB", im.size, background)
            base.paste(im, (0, 0), alpha)
            return np.asarray(base.convert("L"))
    with Image.open(io.BytesIO(data)) as im:
        if im.format == "JPEG":
            # libjpeg hands back its Y plane directly: no chroma upsampling or colour
            # conversion, ~35 % faster. Y is BT.601 luma, the same as the reference's.
            im.draft("L", im.size)
        im.load()
        return luma(im, background)


def webp_colour_only(data: bytes) -> bytes | None:
    """The lossy colour bitstream (``VP8 `` chunk) of an extended-format WebP with an alpha
    chunk, rewrapped as a simple WebP file; None for anything else."""
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP" or data[12:16] != b"VP8X":
        return None
    pos, found_alpha = 12, False
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + size + (size & 1)
        if end > len(data):
            return None
        if tag == b"ALPH":
            found_alpha = True
        elif tag == b"VP8 ":
            if not found_alpha:
                return None
            body = data[pos:end]
            return b"RIFF" + (4 + len(body)).to_bytes(4, "little") + b"WEBP" + body
        pos = end
    return None


def _sum4x4(t: np.ndarray, acc: type[np.unsignedinteger]) -> np.ndarray:
    """4×4-block sums of an integer plane (H, W multiples of 4), accumulated in ``acc``, as
    float32 (exact below 2²⁴). Strided adds beat reshape().sum() over a length-4 axis about
    4× (no tiny reductions)."""
    r = t[0::4].astype(acc)
    r += t[1::4]
    r += t[2::4]
    r += t[3::4]
    c = r[:, 0::4] + r[:, 1::4]
    c += r[:, 2::4]
    c += r[:, 3::4]
    return c.astype(np.float32)


def _block_sums(t: np.ndarray) -> np.ndarray:
    """4×4-block sums of a uint8 plane as float32 (exact: ≤ 16 · 255), summed in uint16
    straight from the bytes: a third of float32's memory traffic, no conversion of the plane."""
    return _sum4x4(t, np.uint16)


def _product_sums(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """4×4-block sums of ``a * b`` for uint16 planes of uint8 values, as float32: each product
    (≤ 255²) is exact in uint16, the sums (≤ 16 · 255² < 2²⁴) in uint32 and float32."""
    return _sum4x4(a * b, np.uint32)


def _windows32(s: np.ndarray) -> np.ndarray:
    """float32 4×4-block sums → 8×8-window sums at a 4-px stride (exact below 2²⁴)."""
    r = s[:-1, :-1] + s[1:, :-1]
    r += s[:-1, 1:]
    r += s[1:, 1:]
    return r


_N = np.float32(1 / 64)  # exact: a power of two
_C1_32, _C2_32 = np.float32(_C1), np.float32(_C2)


class SsimReference:
    """A reference luma plane whose window moments are computed once and reused for every
    candidate scored against it (the quality search scores several per rendition)."""

    C2 = _C2

    def __init__(self, ref: np.ndarray):
        if ref.ndim != 2 or ref.dtype != np.uint8:
            raise ValueError("SSIM needs a 2-D uint8 luma plane.")
        self.shape = ref.shape
        self.luma = ref
        h, w = ref.shape
        # Planes under two windows tall or wide are scored as one global window.
        self._global = h < 8 or w < 8
        self._h4, self._w4 = (h, w) if self._global else (h // 4 * 4, w // 4 * 4)
        x = ref[: self._h4, : self._w4]
        if self._global:
            self._x = x.astype(np.float32)
            return
        self._x16 = x.astype(np.uint16)
        # Block and window sums are integers, exact in float32: at most 64 × 255² < 2²⁴.
        sx = _windows32(_block_sums(x))
        sxx = _windows32(_product_sums(self._x16, self._x16))
        # Scoring works in float32 (half the memory traffic of float64; a moment is off by
        # at most ~0.01 levels², against C2 ≈ 58.5) with the reference's moments formed
        # exactly as the candidate's, so identical planes score exactly 1.
        self._mx32 = sx * _N
        self._vx32 = sxx * _N - self._mx32 * self._mx32
        self._lx32 = np.log1p(np.maximum(self._vx32, 0) / np.float32(_C2))
        mx = sx.astype(np.float64) / 64.0
        self._vx = sxx.astype(np.float64) / 64.0 - mx**2

    def window_variance(self) -> np.ndarray:
        """Luma variance (levels²) of each 8×8 window at a 4-px stride; empty for a plane
        scored as one global window."""
        return np.zeros(0) if self._global else self._vx

    def score(self, other: np.ndarray) -> float:
        """Mean SSIM of ``other`` (uint8 luma, same shape) against the reference, in [-1, 1]."""
        return self.scores(other)[0]

    def score_iw(self, other: np.ndarray) -> float:
        """Information-weighted SSIM of ``other`` against the reference, in [-1, 1]."""
        return self.scores(other)[1]

    def scores(self, other: np.ndarray) -> tuple[float, float]:
        """(mean SSIM, information-weighted SSIM) of ``other`` against the reference."""
        if other.shape != self.shape:
            raise ValueError(f"SSIM shapes differ: {self.shape} vs {other.shape}.")
        if other.dtype != np.uint8:
            raise ValueError("SSIM needs a 2-D uint8 luma plane.")
        y = other[: self._h4, : self._w4]
        if self._global:
            s = _global_ssim(self._x, y.astype(np.float32))
            return s, s
        mx, vx = self._mx32, self._vx32
        y16 = y.astype(np.uint16)
        my = _windows32(_block_sums(y)) * _N
        vy = _windows32(_product_sums(y16, y16)) * _N - my * my
        cov = _windows32(_product_sums(self._x16, y16)) * _N - mx * my
        num = (2 * mx * my + _C1_32) * (2 * cov + _C2_32)
        den = (mx * mx + my * my + _C1_32) * (vx + vy + _C2_32)
        smap = num / den
        w = self._lx32 + np.log1p(np.maximum(vy, 0) / _C2_32)
        w64 = w.astype(np.float64)
        tw = float(w64.sum())
        mean = float(smap.mean(dtype=np.float64))
        iw = float((smap * w64).sum() / tw) if tw > 1e-9 else mean
        return mean, iw


def _global_ssim(x: np.ndarray, y: np.ndarray) -> float:
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    mx, my = x64.mean(), y64.mean()
    vx, vy = x64.var(), y64.var()
    cov = ((x64 - mx) * (y64 - my)).mean()
    num = (2 * mx * my + _C1) * (2 * cov + _C2)
    return float(num / ((mx**2 + my**2 + _C1) * (vx + vy + _C2)))


def ssim(a: np.ndarray | Image.Image, b: np.ndarray | Image.Image) -> float:
    """Mean luma SSIM of two same-size images (arrays are uint8 luma planes), in [-1, 1].

    Symmetric; 1.0 exactly when the luma planes are identical.
    """
    la = a if isinstance(a, np.ndarray) else luma(a)
    lb = b if isinstance(b, np.ndarray) else luma(b)
    return SsimReference(la).score(lb)


# --------------------------------------------------------------------------- quality search

#: Candidate encoder qualities per format, ascending (16 values, 40–100). The low end stops
#: a flat backdrop (which scores ≈ 1 whatever the quality) from pulling a product into visible
#: blocking; the top is each encoder's best, so a floor can always be reached. A step of 4
#: costs ≤ ~5 % bytes against an exact integer search.
QUALITY_GRIDS: dict[str, tuple[int, ...]] = {
    "jpeg": tuple(range(40, 101, 4)),
    "webp": tuple(range(40, 101, 4)),
    "avif": tuple(range(40, 101, 4)),
}

#: Median ratio of (1 − SSIM) between neighbouring grid qualities (higher quality / lower),
#: measured on 24 corpus photos × every ladder width; used to aim each probe (a secant step
#: on log(1 − SSIM)), never to accept a result without measuring it.
STEP_RATIO: dict[str, float] = {"jpeg": 0.89, "webp": 0.91, "avif": 0.82}

#: Most encodes one search may spend, whatever the outcome (see :func:`search_quality`).
MAX_PROBES = 6


@dataclass(frozen=True)
class Choice:
    """The outcome of a search: encoder ``quality`` (1–100), its luma SSIM ``score``, the
    encoded ``data``, how many encodes (``probes``) the search spent, and whether the score
    meets the floor (False only when even the top of the grid misses it)."""

    quality: int
    score: float
    data: bytes
    probes: int
    met_floor: bool


def steps_to_floor(score: float, floor: float, ratio: float) -> float:
    """Grid steps from a probe scoring ``score`` to the floor (> 0: room to go lower),
    assuming (1 − score) shrinks by ``ratio`` per grid step."""
    return math.log((1 - floor) / max(1e-9, 1 - score)) / math.log(1 / ratio)


def search_quality(
    probe: Callable[[int], tuple[bytes, float]],
    grid: Sequence[int],
    floor: float,
    *,
    hint: int | None = None,
    ratio: float = 0.9,
    thorough: bool = True,
) -> Choice:
    """Lowest quality in ``grid`` (ascending) whose ``probe(q) -> (bytes, score)`` meets
    ``floor``, probing at most :data:`MAX_PROBES` times.

    The first probe is at ``hint`` (typically the answer for the neighbouring width; the
    grid's middle without one). Each next probe is aimed by a secant step on log(1 − score),
    assuming (1 − score) shrinks by ``ratio`` per grid step, and always lands strictly between
    the highest quality known to fail and the lowest known to pass, so the search narrows
    every time. It ends when those two are neighbours (the exact grid answer), when the budget
    is spent (the lowest passing quality found), or — with ``thorough=False``, used for large
    renditions where each probe is expensive — as soon as a passing quality is at most one
    unknown step above the answer: a pass with under two grid steps of predicted headroom and
    nothing below it tested, or a pass two steps above a failure. That costs ≤ 1 step.

    Assumes the score rises with quality (true of these encoders up to noise; a violation can
    only make the answer higher than needed, never below the floor). If no probe passes within
    the budget the top of the grid is encoded and returned, with ``met_floor`` telling whether
    it made it: the bound is :data:`MAX_PROBES` + 1 encodes in that case only.
    """
    n = len(grid)
    if n == 0:
        raise ValueError("empty quality grid")
    seen: dict[int, tuple[bytes, float]] = {}

    def run(i: int) -> float:
        if i not in seen:
            seen[i] = probe(grid[i])
        return seen[i][1]

    fail, ok = -1, n  # highest index known to fail, lowest known to pass (n: none yet)
    i = n // 2 if hint is None else min(bisect_left(grid, hint), n - 1)
    jump = 0  # last unbracketed jump; each next one at least doubles it (galloping)
    while True:
        score = run(i)
        if score >= floor:
            ok = i
        else:
            fail = i
        if ok - fail <= 1 or len(seen) >= MAX_PROBES:
            break
        if ok == n:  # nothing passes yet: jump up by the predicted shortfall
            jump = max(1, math.ceil(-steps_to_floor(seen[fail][1], floor, ratio)), 2 * jump)
            i = min(n - 1, fail + jump)
            continue
        room = steps_to_floor(seen[ok][1], floor, ratio)
        if not thorough and ((fail < 0 and room < 2) or (fail >= 0 and ok - fail <= 2)):
            break
        if fail < 0:  # jump down by the predicted headroom
            jump = max(1, math.floor(room), 2 * jump)
            i = max(0, ok - jump)
            continue
        # Bracketed: a secant estimate, pulled halfway to the midpoint while the bracket is
        # wide so that it at least roughly halves each time; strictly inside (fail, ok).
        s_fail, s_ok = seen[fail][1], seen[ok][1]
        lf, lo = math.log(max(1e-9, 1 - s_fail)), math.log(max(1e-9, 1 - s_ok))
        frac = (lf - math.log(1 - floor)) / (lf - lo) if lf != lo else 0.5
        secant = fail + frac * (ok - fail)
        if ok - fail > 3:
            secant = (secant + (fail + ok) / 2) / 2
        i = min(ok - 1, max(fail + 1, math.ceil(secant - 1e-9)))
    if ok == n:
        ok = n - 1
        run(ok)
    data, score = seen[ok]
    return Choice(grid[ok], score, data, len(seen), score >= floor)
