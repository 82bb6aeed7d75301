"""Cutout mattes on tiny synthetic photos: soft alpha, the right path, the model files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFilter

from gan_imaging.core.errors import ModelError, SpecError
from gan_imaging.core.vision import segnet
from gan_imaging.core.vision.cutout import apply_matte, cutout, drop_specks, guided_filter


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def disc(size=(120, 100), bg=(255, 255, 255), fg=(180, 30, 30), ring=False):
    """An antialiased disc (drawn at 4x, reduced) and its ground-truth mask (alpha ≥ 0.5)."""
    big = Image.new("L", (size[0] * 4, size[1] * 4), 0)
    d = ImageDraw.Draw(big)
    d.ellipse((100, 80, 360, 320), fill=255)
    if ring:
        d.ellipse((190, 170, 270, 230), fill=0)
    alpha = big.resize(size, Image.Resampling.BOX)
    im = Image.composite(Image.new("RGB", size, fg), Image.new("RGB", size, bg), alpha)
    return im, np.asarray(alpha) >= 128


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def tiny_model(size=32):
    torch.manual_seed(0)
    net = segnet.TinyUNet(width=4, levels=3, max_width=8).eval()
    return segnet.SegModel("tiny_unet", {"width": 4, "levels": 3, "max_width": 8}, net, size)


def test_plain_backdrop_gives_a_soft_matte_close_to_the_truth():
    im, truth = disc()
    m = cutout(im)
    alpha = np.asarray(m.alpha)
    assert m.method == "plain" and m.background == (255, 255, 255)
    assert m.alpha.mode == "L" and m.alpha.size == im.size
    assert alpha.min() == 0 and alpha.max() == 255
    assert ((alpha > 0) & (alpha < 255)).sum() > 20  # soft edges, not a binary mask
    assert iou(alpha >= 128, truth) > 0.95


def test_a_rings_hole_showing_the_backdrop_is_removed():
    im, truth = disc(fg=(40, 40, 40), ring=True)  # a dark ring around a hole
    for method in ("auto", "plain"):
        alpha = np.asarray(cutout(im, method=method).alpha)
        assert alpha[50, 57] == 0  # enclosed backdrop: a hole, though not border-connected
        assert iou(alpha >= 128, truth) > 0.95


def test_light_parts_inside_the_product_that_differ_from_the_backdrop_stay_opaque():
    im, _ = disc(fg=(40, 40, 40))
    ImageDraw.Draw(im).ellipse((50, 40, 65, 60), fill=(215, 215, 215))  # a light label
    alpha = np.asarray(cutout(im, method="plain").alpha)
    assert alpha[50, 57] == 255


def test_coloured_backdrop_is_removed_from_edge_colours():
    im, _ = disc(bg=(20, 60, 220), fg=(230, 40, 40))
    m = cutout(im)
    assert m.method == "plain" and m.background == (20, 60, 220)
    rgba = np.asarray(apply_matte(im, m)).astype(int)
    edge = (rgba[..., 3] > 60) & (rgba[..., 3] < 200)
    assert edge.any()
    # Decontaminated edge pixels are the product's red, not a blue mixture.
    assert np.abs(rgba[edge][:, :3] - [230, 40, 40]).max() <= 40


def test_rgba_upload_uses_its_own_alpha():
    im, truth = disc()
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.fromarray((truth * 255).astype(np.uint8)))
    m = cutout(rgba)
    assert m.method == "alpha"
    assert np.array_equal(np.asarray(m.alpha) >= 128, truth)


def object_on_texture(size=(160, 120)):
    """An orange bottle-like object on a mottled blue-green gradient (no plain border to key
    on), and its ground-truth mask."""
    w, h = size
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    mottle = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).filter(
        ImageFilter.GaussianBlur(3))  # fmt: skip
    bg = (np.array([60, 90, 140]) * (1 - x) + np.array([70, 140, 90]) * x + 30 * y
          + np.asarray(mottle, np.float32)[..., None] * 0.25 - 32)  # fmt: skip
    big = Image.new("L", (w * 4, h * 4), 0)
    ImageDraw.Draw(big).ellipse((220, 120, 420, 410), fill=255)
    cover = np.asarray(big.resize(size, Image.Resampling.BOX), np.float32)[..., None] / 255
    rgb = cover * np.array([230, 120, 40]) + (1 - cover) * bg
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), cover[..., 0] >= 0.5


def test_busy_background_goes_to_the_network_when_forced():
    rng = np.random.default_rng(0)
    im = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    model = tiny_model()
    m = cutout(im, method="network", model=model)
    alpha = np.asarray(m.alpha)
    assert m.method == "network" and m.model_version == model.model_version
    assert alpha.shape == (48, 64) and alpha.dtype == np.uint8


def test_auto_finds_the_salient_object_where_the_network_fails():
    im, truth = object_on_texture()
    model = tiny_model()  # untrained: its matte is no product
    m = cutout(im, model=model)
    assert m.method == "salient" and m.background is None
    assert m.model_version == model.model_version
    assert iou(np.asarray(m.alpha) >= 128, truth) > 0.8


def test_auto_refuses_photos_where_nothing_stands_out():
    rng = np.random.default_rng(0)
    stars = Image.new("RGB", (160, 120), (4, 4, 10))
    d = ImageDraw.Draw(stars)
    for x, y in rng.uniform(0, 1, (60, 2)) * (160, 120):
        d.ellipse((x - 1, y - 1, x + 1, y + 1), fill=(220, 220, 200))
    flat = Image.new("RGB", (160, 120), (128, 120, 110))
    # Both have plain borders: the colour model's mattes (scattered specks, nothing) fail its
    # check and the salient search finds nothing either.
    for im in (stars, flat):
        m = cutout(im, model=tiny_model())
        assert m.method == "none" and np.asarray(m.alpha).max() == 0
        assert cutout(im, method="plain").method == "plain"  # forced: no check


def test_stray_parts_of_a_network_matte_are_dropped_with_their_fringe():
    alpha = np.zeros((100, 100), np.uint8)
    alpha[10:60, 10:60] = 255  # the product: 2,500 px
    alpha[9, 10:60] = 100  # its soft edge stays
    alpha[70:95, 70:95] = 255  # a second part, 625 px = 25 % of the largest: kept
    alpha[5:12, 80:87] = 255  # a speck, 49 px: dropped ...
    alpha[4, 80:87] = 90  # ... with its soft fringe
    out = drop_specks(alpha)
    assert out[5:13, 79:88].max() == 0 and out[4].max() == 0
    assert np.array_equal(out[13:, :], alpha[13:, :]) and np.array_equal(out[:, :70], alpha[:, :70])
    assert np.array_equal(drop_specks(out), out)
    single = np.zeros((20, 20), np.uint8)
    single[5:9, 5:9] = 200
    assert drop_specks(single) is single


def test_unknown_method_is_refused():
    with pytest.raises(SpecError):
        cutout(Image.new("RGB", (8, 8)), method="magic")


def test_guided_filter_keeps_a_constant_and_follows_edges():
    guide = np.zeros((20, 20), np.float32)
    guide[:, 10:] = 1
    flat = guided_filter(guide, np.full((20, 20), 0.3, np.float32), 3, 1e-3)
    assert np.allclose(flat, 0.3, atol=1e-4)
    blurry = np.clip((np.arange(20, dtype=np.float32) - 6) / 8, 0, 1)[None].repeat(20, 0)
    sharp = guided_filter(guide, blurry, 3, 1e-4)
    assert sharp[10, 8] < blurry[10, 8] and sharp[10, 11] > blurry[10, 11]


def test_model_files_round_trip(tmp_path):
    model = tiny_model()
    weights, sidecar = segnet.save_model(model, tmp_path / "cut")
    meta = json.loads(sidecar.read_text())
    assert meta["format"] == segnet.FORMAT and meta["arch"] == "tiny_unet"
    loaded = segnet.load_model(weights)
    assert loaded.model_version == model.model_version == meta["model_version"]
    x = torch.zeros(1, 3, 32, 32)
    assert torch.equal(segnet.predict(loaded, x), segnet.predict(model, x))


def test_altered_or_missing_model_files_raise_model_error(tmp_path):
    with pytest.raises(ModelError):
        segnet.load_model(tmp_path / "nothing.safetensors")
    weights, _ = segnet.save_model(tiny_model(), tmp_path / "cut")
    weights.write_bytes(weights.read_bytes()[:-64])
    with pytest.raises(ModelError):
        segnet.load_model(weights)


def test_bundled_model_loads_and_is_small():
    model = segnet.get_model()
    assert segnet.BUNDLED_CUTOUT.stat().st_size < 500 * 1024
    meta = json.loads(segnet.BUNDLED_CUTOUT.with_suffix(".json").read_text())
    assert model.model_version == meta["model_version"]
    assert model.input_size == meta["input_size"]


def test_widened_net_computes_what_the_narrow_one_did():
    narrow = tiny_model().net
    wide = segnet.widen(narrow, width=6, max_width=12).eval()
    assert wide.widths == [6, 12, 12] and narrow.widths == [4, 8, 8]
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(wide(x), narrow(x), atol=1e-5)
    with pytest.raises(ValueError):
        segnet.widen(narrow, width=2, max_width=12)
