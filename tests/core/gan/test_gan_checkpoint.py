"""Checkpoints: safetensors + JSON, rebuilt from the registry, same outputs after a round trip."""

from __future__ import annotations

import json

import pytest
import torch

from gan_imaging.core.errors import ModelError
from gan_imaging.core.gan import load, read_meta, sample_images, save, train


@pytest.fixture
def trained(make_config, digits):
    return train(make_config(steps=2), digits)


def test_round_trip_gives_identical_outputs_for_the_same_seed(trained, tmp_path):
    weights, sidecar = save(trained, tmp_path)
    assert weights.name == f"{trained.model_version}.safetensors"
    loaded = load(weights)
    assert loaded.model_version == trained.model_version
    a = sample_images(trained, 6, seed=7, device="cpu")
    b = sample_images(loaded, 6, seed=7, device="cpu")
    assert torch.equal(a, b)
    # Training state survives too, so a loaded checkpoint can be resumed.
    assert loaded.discriminator is not None and "rng" in loaded.train_state


def test_round_trip_with_a_categorical_code(make_config, digits, tmp_path):
    kwargs = {**make_config().arch_kwargs, "n_codes": 3}
    ckpt = train(make_config(steps=2, arch_kwargs=kwargs, info_weight=1.0), digits)
    loaded = load(save(ckpt, tmp_path)[0])
    assert loaded.arch_kwargs["n_codes"] == 3
    assert torch.equal(sample_images(ckpt, 4, seed=3, device="cpu"),
                       sample_images(loaded, 4, seed=3, device="cpu"))


def test_sidecar_records_what_a_rendition_needs(trained, tmp_path):
    _, sidecar = save(trained, tmp_path / "mnist")
    meta = json.loads(sidecar.read_text())
    for key in (
        "arch",
        "arch_kwargs",
        "config",
        "model_version",
        "metrics",
        "created",
        "torch_version",
        "gan_imaging_version",
    ):
        assert key in meta
    assert meta["config"]["seed"] == 0 and meta["step"] == 2
    assert read_meta(tmp_path / "mnist.safetensors")["model_version"] == trained.model_version


def test_weights_file_is_safetensors_not_a_pickle(trained, tmp_path):
    weights, _ = save(trained, tmp_path / "m")
    raw = weights.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    assert header["__metadata__"]["format"].startswith("gan_imaging")
    assert b"\x80\x04" not in raw[:2]  # no pickle protocol marker at the start


def test_half_inference_export_is_smaller_and_self_consistent(trained, tmp_path):
    full, _ = save(trained, tmp_path / "full", inference_only=True)
    half, _ = save(trained, tmp_path / "half", inference_only=True, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = load(half)
    assert loaded.discriminator is None and loaded.train_state == {}
    assert loaded.model_version == trained.model_version  # trained was rounded in place
    assert loaded.generator.fc.weight.dtype == torch.float32


def test_missing_damaged_and_altered_files_raise_model_errors(trained, tmp_path):
    with pytest.raises(ModelError, match="missing"):
        load(tmp_path / "nothing.safetensors")
    weights, sidecar = save(trained, tmp_path / "m")
    meta = json.loads(sidecar.read_text())
    meta["model_version"] = "dcgan28-00000000"
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="altered"):
        load(weights)
    weights.write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match="damaged"):
        load(weights)
