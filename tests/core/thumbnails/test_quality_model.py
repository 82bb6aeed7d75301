"""The quality model: features, prediction, the predict → verify → correct-once search."""

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.imaging import quality_model
from gan_imaging.core.imaging.quality import QUALITY_GRIDS, SsimReference, luma
from gan_imaging.core.imaging.quality_model import (
    FEATURES,
    QualityModel,
    features,
    load,
    predicted_search,
)

GRID = QUALITY_GRIDS["webp"]


def ref_of(arr: np.ndarray) -> SsimReference:
    return SsimReference(luma(Image.fromarray(arr.astype(np.uint8))))


def test_features_tell_a_flat_backdrop_from_a_busy_texture():
    rng = np.random.default_rng(0)
    flat = np.full((96, 128, 3), 240)
    busy = rng.integers(0, 255, (96, 128, 3))
    f_flat, f_busy = features(ref_of(flat), 0.97), features(ref_of(busy), 0.97)
    assert len(f_flat) == len(FEATURES)
    info, flat_share, detail = (FEATURES.index(n) for n in ("info", "flat", "detail"))
    assert f_flat[info] == 0 and f_flat[flat_share] == 1 and f_flat[detail] == 0
    assert f_busy[info] > 3 and f_busy[flat_share] < 0.05 and f_busy[detail] > 3
    assert features(ref_of(flat), 0.99)[FEATURES.index("floor")] > f_flat[FEATURES.index("floor")]


def crossing_probe(crossing: int, calls: list[int]):
    """A fake encoder whose SSIM crosses 0.97 exactly at quality ``crossing``."""

    def probe(q: int) -> tuple[bytes, float]:
        calls.append(q)
        return bytes([q]), 0.97 + (q - crossing) * 0.002

    return probe


def test_a_right_prediction_costs_one_encode():
    calls: list[int] = []
    choice = predicted_search(crossing_probe(64, calls), GRID, 0.97, 64, ratio=0.91)
    assert (choice.quality, choice.probes, calls) == (64, 1, [64])


def test_a_low_prediction_is_corrected_once_and_meets_the_floor():
    calls: list[int] = []
    choice = predicted_search(crossing_probe(68, calls), GRID, 0.97, 60, ratio=0.91)
    assert choice.met_floor and choice.score >= 0.97 and choice.probes == 2
    assert calls[0] == 60 and choice.quality >= 68


def test_a_far_too_low_prediction_still_ends_above_the_floor():
    calls: list[int] = []
    choice = predicted_search(crossing_probe(96, calls), GRID, 0.97, 40, ratio=0.99)
    assert choice.met_floor and choice.quality >= 96 and len(calls) <= 9


def test_the_model_round_trips_and_predicts_on_the_grid(tmp_path):
    model = QualityModel({"webp": (2.0, 1.0, 0.0, 0.0, 0.0, 0.0)}, {"webp": 0.5}, "q-test")
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    again = load(path)
    assert again == model
    feats = np.array([1.2, 0, 0, 0, 0])  # index 2 + 1.2 + 0.5 margin = 3.7 → 4
    assert again.predict("webp", feats, GRID) == GRID[4]
    assert again.predict("avif", feats, GRID) is None
    assert load(tmp_path / "missing.json") is None


@pytest.mark.parametrize("fmt", ["avif", "webp", "jpeg"])
def test_the_bundled_model_knows_every_lossy_format(fmt):
    model = quality_model.bundled()
    if model is None:
        pytest.skip("no bundled quality model")
    assert model.predict(fmt, np.zeros(len(FEATURES)), QUALITY_GRIDS[fmt]) in QUALITY_GRIDS[fmt]
