"""The quality model: the DCT proxy, features, chain predictions, predict → verify → correct."""

import io

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.imaging import quality_model
from gan_imaging.core.imaging.quality import (
    QUALITY_GRIDS,
    SsimReference,
    decoded_luma,
    luma,
)
from gan_imaging.core.imaging.quality_model import (
    FEATURES,
    ChainPredictor,
    QualityModel,
    features,
    load,
    predicted_search,
)
from gan_imaging.core.imaging.quality_proxy import (
    Vp8Proxy,
    crossing,
    crossing_of,
    curve_of,
    proxy_crossing,
    proxy_curve,
    vp8_crossing,
)

GRID = QUALITY_GRIDS["webp"]


def photo(seed: int = 0, size=(160, 120)) -> Image.Image:
    """A smooth gradient with a block of fine texture: something between flat and busy."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, size[0])[None, :, None] * np.ones((size[1], 1, 3))
    x[30:90, 40:120] = rng.integers(0, 255, (60, 80, 3))
    return Image.fromarray(x.astype(np.uint8))


def ref_of(im: Image.Image) -> SsimReference:
    return SsimReference(luma(im))


def test_the_proxy_rises_with_quality_and_tracks_real_jpeg_ssim():
    im = photo()
    curve = proxy_curve(luma(im))
    assert len(curve) == len(GRID) and np.all(np.diff(curve) >= -1e-6) and curve[-1] > 0.99
    ref = ref_of(im)
    real = []
    for q in (40, 64, 88):
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        real.append(ref.scores(decoded_luma(buf.getvalue()))[1])
    est = [curve[GRID.index(q)] for q in (40, 64, 88)]
    assert np.all(np.diff(real) > 0) and np.all(np.diff(est) > 0)
    assert max(abs(a - b) for a, b in zip(real, est, strict=True)) < 0.08


def test_the_vp8_proxy_maps_quality_as_libwebp_and_tracks_real_webp_ssim():
    # libwebp's QualityToCompression: 100 -> index 0 (finest), 75 -> 26, 0 -> 127.
    assert [Vp8Proxy.index(q) for q in (100, 75, 0)] == [0, 26, 127]
    im = photo()
    curve = curve_of(Vp8Proxy(luma(im)), GRID)
    assert np.all(np.diff(curve) >= -1e-6) and curve[-1] > 0.99
    ref = ref_of(im)
    real = []
    for q in (40, 64, 88):
        buf = io.BytesIO()
        im.save(buf, "WEBP", quality=q, method=4)
        real.append(ref.scores(decoded_luma(buf.getvalue()))[1])
    est = [curve[GRID.index(q)] for q in (40, 64, 88)]
    assert np.all(np.diff(real) > 0) and np.all(np.diff(est) > 0)
    assert max(abs(a - b) for a, b in zip(real, est, strict=True)) < 0.08


def test_crossing_interpolates_between_grid_points():
    assert crossing(np.array([0.9, 0.96, 0.98, 0.99]), 0.97) == pytest.approx(1.5)
    assert crossing(np.array([0.98, 0.99]), 0.97) == 0.0
    assert crossing(np.array([0.90, 0.95]), 0.97) == 2.0


@pytest.mark.parametrize("size", [(160, 120), (700, 620), (7, 5), (8, 8)])
@pytest.mark.parametrize("floor", [0.9, 0.97, 0.995, 1.0])
def test_the_bisected_crossing_equals_the_full_curves(size, floor):
    # 700 × 620 has more blocks than PROXY_BLOCKS: the sampled-gather path.
    plane = (luma(photo(1, size)) if min(size) > 90 else
             np.random.default_rng(1).integers(0, 255, size[::-1]).astype(np.uint8))
    assert proxy_crossing(plane, floor) == pytest.approx(crossing(proxy_curve(plane), floor),
                                                         abs=1e-12)
    assert vp8_crossing(plane, floor) == pytest.approx(
        crossing(curve_of(Vp8Proxy(plane), GRID), floor), abs=1e-12)
    assert crossing_of(Vp8Proxy(plane), floor, GRID) == vp8_crossing(plane, floor)


def test_features_tell_a_flat_backdrop_from_a_busy_texture():
    flat = Image.new("RGB", (128, 96), (240, 240, 240))
    busy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 128, 3))
                           .astype(np.uint8))
    f_flat, f_busy = features(ref_of(flat), 0.97), features(ref_of(busy), 0.97)
    assert len(f_flat) == len(FEATURES)
    proxy, info, flat_share, vp8 = (FEATURES.index(n) for n in ("proxy", "info", "flat", "vp8"))
    assert f_flat[info] == 0 and f_flat[flat_share] == 1 and f_flat[proxy] == f_flat[vp8] == 0
    assert f_busy[info] > 3 and f_busy[flat_share] < 0.05 and f_busy[proxy] > 5
    # Faint fine grain (σ 6 levels) is what coarse quantisation wipes out: both proxies say
    # it needs a high quality.
    grain = np.random.default_rng(0).normal(128, 6, (96, 128, 3)).clip(0, 255)
    f_grain = features(ref_of(Image.fromarray(grain.astype(np.uint8))), 0.97)
    assert f_grain[vp8] > 10 and f_grain[proxy] > 10


def crossing_probe(cross: int, calls: list[int]):
    """A fake encoder whose SSIM crosses 0.97 exactly at quality ``cross``."""

    def probe(q: int) -> tuple[bytes, float]:
        calls.append(q)
        return bytes([q]), 0.97 + (q - cross) * 0.002

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


def test_two_misses_aim_the_third_encode_along_their_slope():
    """A curve much flatter than ``ratio``: the shortfall jump misses too; the third encode,
    aimed by the slope the two misses measured, lands on the crossing and is kept."""
    calls: list[int] = []

    def probe(q: int) -> tuple[bytes, float]:
        calls.append(q)
        return bytes([q]), 1 - 0.03 * 0.96 ** (GRID.index(q) - 9.8)

    choice = predicted_search(probe, GRID, 0.97, GRID[4], ratio=0.91)
    assert calls == [GRID[4], GRID[7], GRID[10]]
    assert (choice.quality, choice.probes) == (GRID[10], 3) and choice.met_floor


def test_a_chain_learns_its_photos_bias():
    model = QualityModel({"webp": (4.0, 0, 0, 0, 0, 0, 0)}, {"webp": 0.0}, 1.0, "q-test")
    chain = ChainPredictor(model, "webp", GRID, 0.91)
    feats = np.zeros(len(FEATURES))
    assert chain.predict(feats) == GRID[4]
    # The photo needs two grid steps more than the model says: the next prediction moves up.
    calls: list[int] = []
    choice = predicted_search(crossing_probe(GRID[6], calls), GRID, 0.97, GRID[4], ratio=0.91)
    chain.learn(feats, choice, 0.97)
    assert chain.predict(feats) >= GRID[6] - 4


def test_a_rendition_learns_only_from_those_before_its_neighbour():
    model = QualityModel({"webp": (4.0, 0, 0, 0, 0, 0, 0)}, {"webp": 0.0}, 1.0, "q-test")
    chain = ChainPredictor(model, "webp", GRID, 0.91)
    feats = np.zeros(len(FEATURES))
    choice = predicted_search(crossing_probe(GRID[8], []), GRID, 0.97, GRID[4], ratio=0.91)
    chain.learn(feats, choice, 0.97, index=1)  # rendition 1 finished first
    # Rendition 2 may run beside rendition 1, so it does not learn from it; 3 does.
    assert chain.predict(feats, index=2) == GRID[4]
    assert chain.predict(feats, index=3) >= GRID[7]


def test_the_model_round_trips(tmp_path):
    model = QualityModel({"webp": (2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)}, {"webp": 0.5}, 0.5, "q-t")
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    assert load(path) == model
    assert load(tmp_path / "missing.json") is None
    path.write_text('{"format": "gan_imaging.quality_model/1"}')
    assert load(path) is None


@pytest.mark.parametrize("fmt", ["avif", "webp", "jpeg"])
def test_the_bundled_model_knows_every_lossy_format(fmt):
    model = quality_model.bundled()
    if model is None:
        pytest.skip("no bundled quality model")
    chain = ChainPredictor(model, fmt, QUALITY_GRIDS[fmt], 0.9)
    assert chain.predict(features(ref_of(photo()), 0.97)) in QUALITY_GRIDS[fmt]
