"""Predicting the encoder quality that meets an SSIM floor, from the image itself.

The exact per-image search (:func:`~.quality.search_quality`) spends about 2.5 encodes plus
an SSIM per rendition. Here the rendition's luma predicts where its SSIM crosses the floor:

1. Two quantisation proxies (:mod:`.quality_proxy`) estimate the SSIM a JPEG (8×8 DCT,
   standard table) and a WebP/VP8 (4×4 DCT, RFC 6386 steps) encoder would leave at each grid
   quality, from a fixed-seed sample of the luma's blocks, without encoding; where each
   estimate crosses the floor (a fractional grid index) is a feature. The JPEG proxy's
   crossing correlates 0.95–0.98 with the real crossing of AVIF and JPEG on the corpus, 0.895
   with WebP's; the VP8 proxy's adds what WebP does differently.
2. A linear model per format maps those and four content features to the grid index.
3. Within one chain (a mode and format, smallest width first) each rendition's measured
   crossing corrects the next prediction by ``bias_weight`` of the mean error so far.

The rendition is encoded once at the prediction plus ``margin`` (rounded up), verified, and
corrected at most once by a jump the size of the measured shortfall; if that still misses,
a third encode is aimed by the slope the two misses measured, and only if that misses too does
the bounded search take over, so the floor holds for every rendition. The weights are
data (``core/weights/quality_model.json``) fitted by ``scripts/train_quality_model.py``.
"""

from __future__ import annotations

import functools
import json
import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_imaging.core.imaging.quality import (
    MAX_PROBES,
    Choice,
    SsimReference,
    search_quality,
    steps_to_floor,
)
from gan_imaging.core.imaging.quality_proxy import proxy_crossing, vp8_crossing

#: Feature names, in the order of each format's weight vector (after the bias).
FEATURES = ("proxy", "info", "flat", "detail", "log_px", "vp8")
BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "weights" / "quality_model.json"
FORMAT = "gan_imaging.quality_model/3"


def features(ref: SsimReference, floor: float) -> np.ndarray:
    """:data:`FEATURES` of an uncompressed rendition (its SSIM reference) for ``floor``:

    ``proxy``: the JPEG proxy's crossing (fractional grid index 0–16); ``info``: mean information
    weight log(1 + σ²/C2) of its 8×8 windows (0 = flat, ~6 = busy); ``flat``: share 0–1 of
    windows with σ < 2 levels; ``detail``: log1p of the mean absolute 4-neighbour Laplacian
    (0–255 scale); ``log_px``: natural log of the pixel count; ``vp8``: the VP8 proxy's
    crossing on the WebP grid (0–16).
    """
    var = ref.window_variance()
    info = float(np.log1p(var / ref.C2).mean()) if var.size else 0.0
    flat = float((var < 4.0).mean()) if var.size else 1.0
    h, w = ref.luma.shape
    if h > 2 and w > 2:
        # int16 holds 4·255 exactly and moves a quarter of float64's bytes: ~2.5× faster.
        x = ref.luma.astype(np.int16)
        lap = x[1:-1, 1:-1] * np.int16(4)
        lap -= x[:-2, 1:-1]
        lap -= x[2:, 1:-1]
        lap -= x[1:-1, :-2]
        lap -= x[1:-1, 2:]
        np.abs(lap, out=lap)
        detail = math.log1p(int(lap.sum(dtype=np.int64)) / lap.size)
    else:
        detail = 0.0
    log_px = math.log(max(1, h * w))
    proxy = proxy_crossing(ref.luma, floor)
    vp8 = vp8_crossing(ref.luma, floor)
    return np.array([proxy, info, flat, detail, log_px, vp8], np.float64)


@dataclass(frozen=True)
class QualityModel:
    """Per format: ``weights`` (bias first, then :data:`FEATURES`) predicting the grid index
    (0 = the grid's lowest quality) where SSIM crosses the floor; ``margin`` grid steps added
    before rounding up; ``bias_weight`` (0–1) of a chain's mean error carried to its next
    rendition. ``version`` names the fit."""

    weights: dict[str, tuple[float, ...]]
    margin: dict[str, float]
    bias_weight: float
    version: str

    def index(self, fmt: str, feats: np.ndarray) -> float | None:
        """The raw predicted grid index for ``fmt`` (None for a format the model lacks)."""
        w = self.weights.get(fmt)
        return None if w is None else float(w[0] + np.dot(w[1:], feats))

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": self.version,
                           "features": list(FEATURES), "weights": self.weights,
                           "margin": self.margin, "bias_weight": self.bias_weight},
                          indent=1, sort_keys=True)


#: A chain's rendition *k* learns from renditions 0 … *k* − 1 − PREDICT_LAG, so that
#: neighbours can be encoded at the same time (see :mod:`...pipelines.thumbnail_encode`).
PREDICT_LAG = 1


class ChainPredictor:
    """Predictions for one chain of renditions (one mode and format, smallest width first):
    each :meth:`learn` from a measured result shifts the later predictions. With ``index``
    (0 = the chain's smallest rendition), rendition *k*'s prediction uses only what renditions
    before *k* − :data:`PREDICT_LAG` taught, whatever order they finished in; without it,
    everything learnt so far."""

    def __init__(self, model: QualityModel, fmt: str, grid: Sequence[int], ratio: float):
        self.model, self.fmt, self.grid, self.ratio = model, fmt, grid, ratio
        self.errors: dict[int, float] = {}

    def predict(self, feats: np.ndarray, index: int | None = None) -> int | None:
        """The quality to encode first, or None when the model has no weights for the format."""
        raw = self.model.index(self.fmt, feats)
        if raw is None:
            return None
        known = [e for j, e in self.errors.items() if index is None or j < index - PREDICT_LAG]
        shift = self.model.bias_weight * float(np.mean(known)) if known else 0.0
        index_ = raw + shift + self.model.margin.get(self.fmt, 0.0)
        return self.grid[min(len(self.grid) - 1, max(0, math.ceil(index_ - 1e-9)))]

    def learn(self, feats: np.ndarray, choice: Choice, floor: float,
              index: int | None = None) -> None:  # fmt: skip
        """Record how far the prediction was from the crossing the encodes measured."""
        raw = self.model.index(self.fmt, feats)
        if raw is None or not choice.met_floor:
            return
        room = steps_to_floor(choice.score, floor, self.ratio)  # ≥ 0 once the floor is met
        measured = self.grid.index(choice.quality) - min(1.5, max(0.0, room))
        self.errors[len(self.errors) if index is None else index] = measured - raw


def load(path: str | Path = BUNDLED_MODEL) -> QualityModel | None:
    """The model at ``path``; None when it is absent or not this format (then searches run
    exactly as without a model)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or data.get("features") != list(
            FEATURES):
        return None
    return QualityModel({k: tuple(map(float, v)) for k, v in data["weights"].items()},
                        {k: float(v) for k, v in data.get("margin", {}).items()},
                        float(data.get("bias_weight", 0.0)), str(data.get("version", "")))


@functools.lru_cache(maxsize=1)
def bundled() -> QualityModel | None:
    """The bundled model, read once per process."""
    return load(BUNDLED_MODEL)


def predicted_search(
    probe: Callable[[int], tuple[bytes, float]],
    grid: Sequence[int],
    floor: float,
    predicted: int,
    *,
    ratio: float = 0.9,
) -> Choice:
    """Encode at ``predicted``; keep it when it meets ``floor``; else jump up once by the
    measured shortfall (at least one grid step) and keep that when it meets the floor. When
    that misses too, the curve is flatter there than ``ratio`` says: the third encode is aimed
    along the slope the two misses measured (:func:`_aim`) and kept when it meets the floor;
    else the bounded :func:`~.quality.search_quality` finishes above it (its probes counted).
    Never returns below the floor unless the grid's top misses it too."""
    n = len(grid)
    i = min(bisect_left(grid, predicted), n - 1)
    data, score = probe(grid[i])
    if score >= floor or i == n - 1:
        return Choice(grid[i], score, data, 1, score >= floor)
    j = min(n - 1, i + max(1, math.ceil(-steps_to_floor(score, floor, ratio))))
    data2, score2 = probe(grid[j])
    if score2 >= floor or j == n - 1:
        return Choice(grid[j], score2, data2, 2, score2 >= floor)
    k = min(n - 1, j + _aim(score, score2, j - i, floor, ratio))
    data3, score3 = probe(grid[k])
    if score3 >= floor or k == n - 1:
        return Choice(grid[k], score3, data3, 3, score3 >= floor)
    rest = search_quality(probe, grid[k + 1:], floor, ratio=ratio, hint=grid[k + 1])
    return Choice(rest.quality, rest.score, rest.data, min(MAX_PROBES + 3, rest.probes + 3),
                  rest.met_floor)


#: The most grid steps an aimed third probe jumps: a nearly flat slope is noise, not a
#: reason to encode at the grid's top.
_MAX_AIM = 4


def _aim(first: float, second: float, steps: int, floor: float, ratio: float) -> int:
    """Grid steps (≥ 1) above a missed probe scoring ``second`` to the floor, from the slope
    of log(1 − score) between it and an earlier miss ``steps`` grid steps below scoring
    ``first``; by ``ratio`` where the two did not improve (encoder noise). Two misses mean the
    curve is flatter there than the median ``ratio``: on the benchmark's 40 photos at floor
    0.95 the bounded search restarting above them spent 18 WebP encodes on 13 renditions, the
    aimed third encode 13, each meeting the floor (at the default 0.97: 609 -> 607 encodes in
    all, bytes +0.01 %)."""
    slope = (math.log(max(1e-9, 1 - second)) - math.log(max(1e-9, 1 - first))) / steps
    if slope >= 0:
        return max(1, math.ceil(-steps_to_floor(second, floor, ratio)))
    need = (math.log(1 - floor) - math.log(max(1e-9, 1 - second))) / slope
    return max(1, min(_MAX_AIM, math.ceil(need - 1e-9)))
