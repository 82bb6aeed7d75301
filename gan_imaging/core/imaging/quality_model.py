"""Predicting the encoder quality that meets an SSIM floor, from the image itself.

The exact per-image search (:func:`~.quality.search_quality`) spends about 2.2 encodes plus an
SSIM per rendition. Here a small linear model per format maps content features of the
uncompressed rendition's luma — how much of it is textured, how strong its fine detail is, its
size — and the floor to the grid position where the SSIM crosses the floor; the rendition is
encoded once at the prediction (rounded up by a margin), verified, and corrected at most once
by a jump sized from the measured shortfall; only if that still misses does the bounded search
take over, so the floor holds for every rendition.

The weights are data: ``core/weights/quality_model.json``, fitted by
``scripts/train_quality_model.py`` on corpus renditions (see its docstring and the weights
README for the recipe). Features are cheap: they reuse the SSIM reference's window moments.
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

#: Feature names, in the order of each format's weight vector (after the bias).
FEATURES = ("info", "flat", "detail", "log_px", "floor")
BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "weights" / "quality_model.json"


def features(ref: SsimReference, floor: float) -> np.ndarray:
    """Content features of an uncompressed rendition (its SSIM reference) and the floor:

    ``info``: mean information weight log(1 + σ²/C2) of its 8×8 windows (0 = flat, ~6 = busy);
    ``flat``: share 0–1 of windows with σ < 2 levels (backdrop);
    ``detail``: log1p of the mean absolute 4-neighbour Laplacian of the luma (0–255 scale);
    ``log_px``: natural log of the pixel count; ``floor``: −ln(1 − floor).
    """
    var = ref.window_variance()
    info = float(np.log1p(var / ref.C2).mean()) if var.size else 0.0
    flat = float((var < 4.0).mean()) if var.size else 1.0
    x = ref.luma
    if x.shape[0] > 2 and x.shape[1] > 2:
        lap = np.abs(4 * x[1:-1, 1:-1] - x[:-2, 1:-1] - x[2:, 1:-1] - x[1:-1, :-2] - x[1:-1, 2:])
        detail = math.log1p(float(lap.mean()))
    else:
        detail = 0.0
    log_px = math.log(max(1, x.shape[0] * x.shape[1]))
    return np.array([info, flat, detail, log_px, -math.log(1 - floor)], np.float64)


@dataclass(frozen=True)
class QualityModel:
    """Per format: ``weights`` (bias first, then :data:`FEATURES`) predicting the grid index
    (0 = the grid's lowest quality) where SSIM crosses the floor, and ``margin`` grid steps
    added before rounding up (fitted so the first encode meets the floor for most
    renditions). ``version`` names the fit."""

    weights: dict[str, tuple[float, ...]]
    margin: dict[str, float]
    version: str

    def predict(self, fmt: str, feats: np.ndarray, grid: Sequence[int]) -> int | None:
        """Predicted grid quality for ``fmt``, or None for a format the model does not know."""
        w = self.weights.get(fmt)
        if w is None:
            return None
        index = float(w[0] + np.dot(w[1:], feats)) + self.margin.get(fmt, 0.0)
        return grid[min(len(grid) - 1, max(0, math.ceil(index - 1e-9)))]

    def to_json(self) -> str:
        return json.dumps({"format": "gan_imaging.quality_model/1", "version": self.version,
                           "features": list(FEATURES), "weights": self.weights,
                           "margin": self.margin}, indent=1, sort_keys=True)


def load(path: str | Path = BUNDLED_MODEL) -> QualityModel | None:
    """The model at ``path``; None when it is absent or not this format (then searches run
    exactly as without a model)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != "gan_imaging.quality_model/1" or data.get("features") != list(
            FEATURES):
        return None
    return QualityModel({k: tuple(map(float, v)) for k, v in data["weights"].items()},
                        {k: float(v) for k, v in data.get("margin", {}).items()},
                        str(data.get("version", "")))


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
    measured shortfall plus one grid step and keep that when it meets the floor; else finish
    with the bounded :func:`~.quality.search_quality` from there (its probes counted). Never
    returns below the floor unless the grid's top misses it too."""
    n = len(grid)
    i = min(bisect_left(grid, predicted), n - 1)
    data, score = probe(grid[i])
    if score >= floor:
        return Choice(grid[i], score, data, 1, True)
    j = min(n - 1, i + max(1, math.ceil(-steps_to_floor(score, floor, ratio))) + 1)
    data2, score2 = probe(grid[j])
    if score2 >= floor:
        return Choice(grid[j], score2, data2, 2, True)
    rest = search_quality(probe, grid[j + 1:] or grid[-1:], floor, ratio=ratio,
                          hint=grid[min(n - 1, j + 1)])
    return Choice(rest.quality, rest.score, rest.data, min(MAX_PROBES + 3, rest.probes + 2),
                  rest.met_floor)
