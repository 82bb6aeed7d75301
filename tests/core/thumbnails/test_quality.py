"""SSIM on luma and the bounded quality search."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image, ImageFilter

from gan_imaging.core.imaging.encode import encode, flatten
from gan_imaging.core.imaging.quality import (
    MAX_PROBES,
    QUALITY_GRIDS,
    STEP_RATIO,
    SsimReference,
    decoded_luma,
    luma,
    search_quality,
    ssim,
    webp_colour_only,
)


def test_identical_images_score_exactly_one(photo):
    assert ssim(photo, photo.copy()) == 1.0
    flat = Image.new("RGB", (64, 48), (200, 10, 10))
    assert ssim(flat, flat) == 1.0


def test_degradation_lowers_the_score_and_more_degradation_lowers_it_more(photo):
    mild = photo.filter(ImageFilter.GaussianBlur(0.6))
    strong = photo.filter(ImageFilter.GaussianBlur(2.5))
    s_mild, s_strong = ssim(photo, mild), ssim(photo, strong)
    assert 0.0 < s_strong < s_mild < 1.0
    noisy = Image.fromarray(
        np.clip(
            np.asarray(photo, dtype=np.int16)
            + np.random.default_rng(1).integers(-40, 41, (180, 240, 3)),
            0,
            255,
        ).astype(np.uint8)
    )
    assert ssim(photo, noisy) < 0.9


def test_ssim_is_symmetric(photo):
    other = photo.filter(ImageFilter.BoxBlur(1))
    assert ssim(photo, other) == pytest.approx(ssim(other, photo), abs=1e-12)


def test_ssim_matches_a_direct_window_by_window_computation(photo):
    """The strided-sum implementation equals the textbook formula on 8×8 windows, stride 4
    (to float32 moments: within 1e-5)."""
    a = luma(photo).astype(np.float64)
    b = luma(photo.filter(ImageFilter.GaussianBlur(1))).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    scores = []
    for y in range(0, a.shape[0] - 7, 4):
        for x in range(0, a.shape[1] - 7, 4):
            wa, wb = a[y : y + 8, x : x + 8], b[y : y + 8, x : x + 8]
            ma, mb = wa.mean(), wb.mean()
            va, vb = wa.var(), wb.var()
            cov = ((wa - ma) * (wb - mb)).mean()
            num = (2 * ma * mb + c1) * (2 * cov + c2)
            scores.append(num / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    assert ssim(a.astype(np.uint8), b.astype(np.uint8)) == pytest.approx(np.mean(scores), abs=1e-5)


def test_ssim_handles_planes_smaller_than_a_window_and_refuses_mismatched_shapes():
    a = np.full((5, 30), 100, np.uint8)
    assert ssim(a, a) == 1.0
    with pytest.raises(ValueError):
        SsimReference(a).score(np.zeros((5, 29), np.uint8))


def test_ssim_refuses_a_candidate_that_is_not_uint8_luma(photo):
    plane = luma(photo)
    with pytest.raises(ValueError):
        SsimReference(plane).scores(plane.astype(np.float32))


def test_large_values_sum_exactly():
    """Block sums of products run in integers: a saturated plane against a black one, and
    one against itself, give the closed-form scores."""
    white, black = np.full((64, 64), 255, np.uint8), np.zeros((64, 64), np.uint8)
    c1 = (0.01 * 255) ** 2
    assert SsimReference(white).score(white) == 1.0
    assert SsimReference(white).score(black) == pytest.approx(c1 / (255**2 + c1), rel=1e-6)


def test_alpha_is_scored_as_shown_on_the_background():
    im = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert luma(im, (255, 255, 255)).min() == 255
    assert luma(im, (0, 0, 0)).max() == 0
    # Partial alpha: exactly the luma of the image flattened on that background.
    rng = np.random.default_rng(3)
    rgba = Image.fromarray(rng.integers(0, 256, (40, 56, 4), dtype=np.uint8), "RGBA")
    for bg in ((255, 255, 255), (30, 200, 90)):
        assert np.array_equal(luma(rgba, bg), np.asarray(flatten(rgba, bg).convert("L")))


def _cutout(photo):
    """``photo`` with a soft-edged, partly transparent alpha (a cut-out with a shadow)."""
    h, w = photo.height, photo.width
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = np.clip(400 - np.hypot(yy - h / 2, xx - w / 2) * 4, 0, 255).astype(np.uint8)
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha))
    return rgba


@pytest.mark.parametrize("quality", [40, 80, 100])
def test_webp_alpha_is_lossless_so_its_colour_alone_gives_the_same_luma(photo, quality):
    rgba = _cutout(photo)
    data = encode(rgba, "webp", quality=quality)
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert np.array_equal(np.asarray(im.getchannel("A")), np.asarray(rgba.getchannel("A")))
    for bg in ((255, 255, 255), (20, 120, 200)):
        assert np.array_equal(decoded_luma(data, bg, rgba.getchannel("A")), decoded_luma(data, bg))


def test_only_a_webp_with_an_alpha_chunk_has_its_colour_split_off(photo):
    assert webp_colour_only(encode(_cutout(photo), "webp", quality=80)) is not None
    assert webp_colour_only(encode(photo, "webp", quality=80)) is None
    assert webp_colour_only(encode(_cutout(photo), "avif", quality=80)) is None
    assert webp_colour_only(b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\xff" * 8) is None


def _fake(scores, grid):
    calls = []

    def probe(q):
        calls.append(q)
        return b"%d" % q, scores[grid.index(q)]

    return probe, calls


@pytest.mark.parametrize("ratio", [0.6, 0.82, 0.9, 0.95])
def test_search_is_exact_on_smooth_curves_for_every_hint_within_the_bound(ratio):
    """Scores shaped like real encoders' (1 − SSIM shrinking geometrically with quality), for
    every position of the answer and every hint, with a model ratio that may be wrong."""
    grid = QUALITY_GRIDS["webp"]
    for c in [0.001 * 1.5**k for k in range(20)]:
        scores = [1 - c * ratio**i for i in range(len(grid))]
        exact = next((i for i, s in enumerate(scores) if s >= 0.97), len(grid) - 1)
        for hint in [None, *grid]:
            probe, calls = _fake(scores, grid)
            choice = search_quality(probe, grid, 0.97, hint=hint, ratio=0.85)
            assert choice.quality == grid[exact]
            assert choice.met_floor == (scores[exact] >= 0.97)
            assert choice.data == b"%d" % grid[exact] and choice.score == scores[exact]
            assert choice.probes == len(set(calls)) <= MAX_PROBES + 1


@pytest.mark.parametrize("thorough", [True, False])
def test_search_never_returns_a_failing_quality_when_one_passes_and_stays_in_budget(thorough):
    """Adversarial all-or-nothing scores: the answer passes and the budget holds."""
    grid = QUALITY_GRIDS["jpeg"]
    for threshold, hint in itertools.product(range(len(grid) + 1), [None, *grid]):
        scores = [1.0 if i >= threshold else 0.0 for i in range(len(grid))]
        probe, calls = _fake(scores, grid)
        choice = search_quality(
            probe, grid, 0.5, hint=hint, thorough=thorough
        )
        assert choice.probes == len(set(calls)) <= MAX_PROBES + 1
        if threshold < len(grid):
            assert choice.met_floor and choice.quality >= grid[threshold]
        else:
            assert not choice.met_floor and choice.quality == grid[-1]


def test_a_passing_hint_with_little_headroom_is_kept_when_not_thorough():
    grid = QUALITY_GRIDS["avif"]
    scores = [1 - 0.05 * 0.8**i for i in range(len(grid))]  # 0.97 is crossed at index 3
    probe, calls = _fake(scores, grid)
    choice = search_quality(probe, grid, 0.97, hint=grid[3], ratio=0.8,
                            thorough=False)  # fmt: skip
    assert (choice.quality, choice.probes) == (grid[3], 1)
    probe, calls = _fake(scores, grid)
    choice = search_quality(probe, grid, 0.97, hint=grid[3], ratio=0.8)
    assert (choice.quality, choice.probes) == (grid[3], 2)  # thorough: checks the step below


def _decoded_luma(data):
    with Image.open(io.BytesIO(data)) as im:
        return luma(im)


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif"])
@pytest.mark.parametrize("floor", [0.90, 0.95, 0.98])
def test_search_agrees_with_a_brute_force_scan_on_a_real_encoder(photo, fmt, floor):
    small = photo.resize((96, 72))
    ref = SsimReference(luma(small))
    grid = QUALITY_GRIDS[fmt]

    def probe(q):
        data = encode(small, fmt, quality=q, threads=1)
        return data, ref.score_iw(_decoded_luma(data))

    scores = {q: probe(q)[1] for q in grid}
    passing = [q for q in grid if scores[q] >= floor]
    brute = passing[0] if passing else grid[-1]
    for hint in (None, grid[0], brute, grid[-1]):
        choice = search_quality(probe, grid, floor, hint=hint, ratio=STEP_RATIO[fmt])
        assert choice.probes <= MAX_PROBES + 1
        assert choice.score >= floor or not passing
        # Encoders are monotone only up to noise: never worse than the first value with
        # every higher one passing, never below the floor.
        safe = next(q for q in grid if all(scores[p] >= floor for p in grid if p >= q))
        assert brute <= choice.quality <= safe
