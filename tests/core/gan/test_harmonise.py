"""The colour/light harmoniser: its transform, training, checkpoints and the bundled model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_imaging.core.errors import ModelError
from gan_imaging.core.gan.harmonise import (
    BUNDLED_HARMONISER,
    HarmoniserNet,
    apply_transform,
    get_model,
    harmonise_batch,
    load_model,
    save_model,
    transform_pixels,
)
from gan_imaging.core.gan.harmonise_train import HarmoniserConfig, evaluate, recolour, train
from gan_imaging.core.vision.studio_scene import harmonise_product


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def photos(n=6, size=32, seed=0):
    """Synthetic 'product photos': a coloured disc on a light backdrop, and its matte."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    images = np.empty((n, size, size, 3), np.uint8)
    mattes = np.empty((n, size, size), np.uint8)
    for i in range(n):
        disc = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
        images[i] = rng.integers(200, 240, 3)
        images[i][disc] = rng.integers(30, 220, 3)
        mattes[i] = disc * 255
    return images, mattes


def test_a_fresh_net_is_the_identity():
    rgb = torch.rand(2, 3, 40, 40)
    mask = (torch.rand(2, 1, 40, 40) > 0.5).float()
    out = harmonise_batch(HarmoniserNet(width=4), rgb.clamp(0.01, 1), mask)
    assert torch.allclose(out, rgb.clamp(0.01, 1), atol=1e-5)


def test_numpy_and_torch_transforms_agree():
    params = torch.tensor([[0.2, -0.1, 0.0, 0.05, 0.0, 0.02, 0.0, -0.04, 0.0, 0.01, 0.0, 0.03,
                            0.02, -0.01, 0.0]])  # fmt: skip
    pixels = np.random.default_rng(1).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    ref = apply_transform(params, torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255)
    ref_u8 = (ref[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    got = transform_pixels(params[0].numpy(), pixels)
    assert np.abs(got.astype(int) - ref_u8).max() <= 1
    assert (transform_pixels(params[0].numpy(), pixels, strength=0) == pixels).all()


def test_recolour_changes_only_the_product():
    images, mattes = photos()
    rgb = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    mask = torch.from_numpy(mattes)[:, None].float() / 255
    out = recolour(rgb, mask, torch.Generator().manual_seed(0))
    assert torch.equal(out * (1 - mask), rgb * (1 - mask))
    assert (out - rgb).abs().mul(mask).sum() > 1


def test_training_is_deterministic_and_checkpoints_round_trip(tmp_path):
    images, mattes = photos()
    cfg = HarmoniserConfig(steps=3, batch=2, width=4, warmup=1)
    a, b = train(cfg, images, mattes), train(cfg, images, mattes)
    assert a.model_version == b.model_version
    weights, sidecar = save_model(a, tmp_path / "h")
    loaded = load_model(weights)
    assert loaded.model_version == a.model_version and loaded.width == 4
    assert set(evaluate(loaded, images, mattes)) == {"n", "psnr_composite", "psnr_harmonised",
                                                     "gain"}  # fmt: skip
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError):
        load_model(weights)


def test_the_bundled_harmoniser_pulls_a_recoloured_product_towards_the_scene():
    """A neutral grey product given a strong blue cast, on a neutral grey set: the bundled
    net moves its colour back towards the set's neutral balance."""
    assert BUNDLED_HARMONISER.exists() and BUNDLED_HARMONISER.stat().st_size < 400 * 1024
    model = get_model()
    scene = np.full((120, 120, 3), 190, np.uint8)
    product = np.zeros((60, 40, 4), np.uint8)
    product[..., :3] = (95, 110, 165)  # a mid grey (120) with a blue cast
    product[10:50, 8:32, :3] = (150, 165, 215)
    product[..., 3] = 255
    out, gain = harmonise_product(model, scene, product, (40, 40), max_gain=1, max_tint=1)
    before = product[..., :3].reshape(-1, 3).astype(float).mean(0)
    after = out[..., :3].reshape(-1, 3).astype(float).mean(0)
    assert after[2] / after[0] < before[2] / before[0] - 0.05  # less blue against red
    assert (out[..., 3] == 255).all() and len(gain) == 3
    # In a scene, the product's colour may only be tinted: its mean moves within the bounds.
    bounded, gain = harmonise_product(model, scene, product, (40, 40), max_gain=0.1,
                                      max_tint=0.05)  # fmt: skip
    g = bounded[..., :3].reshape(-1, 3).astype(float).mean(0) / before
    assert np.abs(g - 1).max() <= 0.1 + 0.01 and g.max() / g.min() - 1 <= 0.05 + 0.01
    assert g[2] / g[0] < 1 - 0.01  # still towards the set's neutral balance
