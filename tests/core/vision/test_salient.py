"""Salient product finding on tiny synthetic photos: objects found, non-objects refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from gan_imaging.core.vision import salient
from gan_imaging.core.vision.saliency import barrier_distance
from gan_imaging.core.vision.salient import fallback, matte_quality, passes, salient_matte

W, H = 240, 180


def textured_background(seed: int = 0) -> np.ndarray:
    """A blue-to-green gradient with blurred mottling: no plain backdrop to key on."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, W)[None, :, None]
    y = np.linspace(0, 1, H)[:, None, None]
    base = np.array([60, 90, 140]) * (1 - x) + np.array([70, 140, 90]) * x + 30 * y
    mottle = Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8))
    mottle = mottle.filter(ImageFilter.GaussianBlur(3))
    return np.asarray(mottle, np.float32)[..., None] * 0.25 - 32 + base


def object_photo(seed: int = 0) -> tuple[Image.Image, np.ndarray]:
    """An orange bottle-like object (ellipse body + neck, antialiased) on the background,
    and its ground-truth mask (coverage ≥ 0.5)."""
    big = Image.new("L", (W * 4, H * 4), 0)
    d = ImageDraw.Draw(big)
    d.ellipse((330, 180, 630, 620), fill=255)
    d.rectangle((440, 90, 520, 220), fill=255)
    cover = np.asarray(big.resize((W, H), Image.Resampling.BOX), np.float32)[..., None] / 255
    shade = np.linspace(1.0, 0.8, H)[:, None, None]
    fg = np.array([230, 120, 40], np.float32) * shade
    rgb = cover * fg + (1 - cover) * textured_background(seed)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), cover[..., 0] >= 0.5


def star_field(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (W, H), (4, 4, 10))
    d = ImageDraw.Draw(im)
    for _ in range(150):
        x, y, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(0.4, 1.6)
        v = int(rng.uniform(100, 255))
        d.ellipse((x - r, y - r, x + r, y + r), fill=(v, v, v))
    return im


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_object_on_a_textured_background_is_found_whole():
    im, truth = object_photo()
    found = salient_matte(im)
    assert found is not None
    assert found.alpha.shape == truth.shape and found.alpha.dtype == np.uint8
    assert iou(found.alpha >= 128, truth) > 0.8
    assert found.alpha.min() == 0 and found.alpha.max() == 255
    assert 0.01 <= found.share <= 0.95 and found.border <= salient.MAX_BORDER
    left, top, right, bottom = found.box
    assert left < W / 2 < right and top < H / 2 < bottom


@pytest.mark.parametrize(
    "photo",
    [
        Image.new("RGB", (W, H), (120, 110, 100)),
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)),
        star_field(),
    ],
    ids=["uniform", "noise", "star field"],
)
def test_nothing_stands_out_is_refused(photo):
    assert salient_matte(photo) is None


def test_same_photo_same_matte():
    im, _truth = object_photo(seed=3)
    a, b = salient_matte(im), salient_matte(im.copy())
    assert a is not None and b is not None
    assert np.array_equal(a.alpha, b.alpha) and a.box == b.box


def test_barrier_distance_is_the_colour_range_to_the_border():
    img = np.zeros((7, 7, 1), np.float32)
    img[2:5, 2:5] = 10.0  # a plateau: every path out climbs down 10
    img[3, 3] = 25.0
    d = barrier_distance(img)
    assert d[0, 0] == 0 and d[2, 2] == 10 and d[3, 3] == 25


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), (255, 0, 0)),
        Image.new("RGB", (500, 3), (0, 0, 0)),
        Image.new("La", (40, 30)),
        Image.new("I;16", (40, 30)),
        Image.new("F", (40, 30), 1e9),
        Image.new("P", (40, 30)),
    ],
    ids=["1px", "sliver", "La", "I;16", "F", "P"],
)
def test_odd_images_give_none_without_raising(image):
    assert salient_matte(image) is None


@pytest.mark.parametrize(
    "prob", [np.full((5, 5), np.nan), np.zeros((3, 4, 2)), np.full((90, 120), 255, np.uint8)]
)
def test_odd_network_probabilities_never_raise(prob):
    im, truth = object_photo()
    found = salient_matte(im, prob)
    assert found is None or found.alpha.shape == truth.shape


def test_fallback_replaces_an_empty_or_fragmentary_network_matte():
    im, truth = object_photo()
    empty = np.zeros(truth.shape, np.uint8)
    alpha, method = fallback(im, empty, "network")
    assert method == "salient" and iou(alpha >= 128, truth) > 0.8
    fragment = np.zeros(truth.shape, np.uint8)
    fragment[100:120, 110:130] = 255  # a patch of the body
    alpha, method = fallback(im, fragment, "network")
    assert method == "salient" and iou(alpha >= 128, truth) > 0.8


def test_fallback_keeps_a_good_network_matte_and_refuses_a_star_field():
    im, truth = object_photo()
    good = (truth * 255).astype(np.uint8)
    assert fallback(im, good, "network") == (good, "network")
    stars = star_field()
    specks = (np.asarray(stars.convert("L")) > 60).astype(np.uint8) * 255
    q = matte_quality(stars, specks)
    assert q["gathered"] < salient.MIN_GATHERED and not passes(q, "plain")
    alpha, method = fallback(stars, specks, "plain")
    assert method == "none" and not alpha.any()
