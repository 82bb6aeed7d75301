"""Catalog recipes: photos -> training data (+ init) and trained checkpoint -> sample sheet."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from gan_imaging.core.errors import ConfigurationError
from gan_imaging.core.gan import TrainConfig, catalog_archs, sample_sheet_png, train, training_data
from gan_imaging.core.gan.catalog import CATALOG
from gan_imaging.core.gan.nets import ARCHS
from gan_imaging.core.gan.superres import bundled_sr_path

SR_TINY = {"features": 8, "convs": 2, "d_width": 8}


def _photos() -> list[Image.Image]:
    """Two small noisy photos, one RGBA: 48 x 40 and 40 x 56 px."""
    rng = np.random.default_rng(0)
    a = Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8), "RGB")
    b = Image.fromarray(rng.integers(0, 256, (56, 40, 4), dtype=np.uint8), "RGBA")
    return [a, b]


def _sr_config(**changes: Any) -> TrainConfig:
    base: dict[str, Any] = dict(
        arch="sr", arch_kwargs={"scale": 2, **SR_TINY}, steps=1, batch_size=2, crop=32,
        device="cpu", log_every=1, diffaugment="",
    )  # fmt: skip
    base.update(changes)
    return TrainConfig(**base)


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    im = Image.open(io.BytesIO(data))
    im.load()
    assert im.format == "PNG" and im.mode == "RGB"
    return im


def test_every_recipe_is_an_architecture():
    assert catalog_archs() == ("dcgan64", "sr", "texture")
    assert set(catalog_archs()) <= set(ARCHS.names())
    assert list(CATALOG) == list(catalog_archs())


def test_unknown_or_non_catalog_arch_is_a_configuration_error(make_config):
    for arch in ("nope", "dcgan28"):
        with pytest.raises(ConfigurationError, match="choose one of dcgan64, sr, texture"):
            training_data(arch, _photos(), make_config())


def test_texture_data_are_exemplars_in_range(make_config):
    data, init = training_data("texture", _photos(), make_config("texture", crop=32))
    assert init is None
    assert isinstance(data, list) and len(data) == 2
    for t in data:
        assert t.dtype == torch.float32 and t.shape[0] == 3 and min(t.shape[1:]) == 128
        assert float(t.min()) >= -1.0 and float(t.max()) <= 1.0
    with pytest.raises(ConfigurationError, match="at least 64 px"):
        training_data("texture", _photos(), make_config("texture", crop=64))


def test_dcgan64_data_are_centre_crops(make_config):
    data, init = training_data("dcgan64", _photos(), make_config("dcgan64"))
    assert init is None
    assert isinstance(data, torch.Tensor)
    assert data.dtype == torch.float32 and data.shape == (2, 3, 64, 64)
    assert float(data.min()) >= -1.0 and float(data.max()) <= 1.0


@pytest.mark.parametrize("scale", [2, 4])
def test_sr_data_are_patches_and_init_is_the_bundled_upscaler(scale):
    data, init = training_data("sr", _photos(), _sr_config(arch_kwargs={"scale": scale}))
    assert isinstance(data, torch.Tensor)
    assert data.dtype == torch.uint8 and data.shape == (64, 3, 32, 32)  # max(64, 8 per photo)
    assert init is not None and init.exists() and init == bundled_sr_path(scale)


def test_sr_data_fine_tune_the_bundled_upscaler():
    kw = {"scale": 2, "features": 32, "convs": 6, "d_width": 32}  # the bundled x2 model's
    data, init = training_data("sr", _photos(), _sr_config(arch_kwargs=kw))
    ckpt = train(_sr_config(arch_kwargs=kw), data, init=init)
    assert ckpt.step == 1 and ckpt.arch_kwargs == kw


def test_texture_sample_sheet_is_a_png(make_config, tiny_kw):
    rgb = {**tiny_kw["texture"], "channels": 3}
    cfg = make_config("texture", steps=1, crop=32, arch_kwargs=rgb)
    data, _ = training_data("texture", _photos(), cfg)
    sheet = _png(sample_sheet_png(train(cfg, data)))
    assert sheet.size == (2 * (256 + 2) + 2, 2 * (128 + 2) + 2)  # four tiles, two per row


def test_sr_sample_sheet_shows_bicubic_and_model_per_patch():
    cfg = _sr_config()
    data, _ = training_data("sr", _photos(), cfg)
    ckpt = train(cfg, data)
    sheet = _png(sample_sheet_png(ckpt, data))
    assert sheet.size == (2 * 32, 4 * 32)  # four patches, (bicubic | model) each
    floats = data[:2].float() / 127.5 - 1  # [-1, 1] patches draw the same rows
    assert _png(sample_sheet_png(ckpt, floats)).size == (2 * 32, 2 * 32)
    with pytest.raises(ConfigurationError, match="training patches"):
        sample_sheet_png(ckpt)
