"""Inference: batching independence, the model cache and the out-of-memory fallback."""

from __future__ import annotations

import pytest
import torch

from gan_imaging.core.errors import OutOfMemoryError, SpecError
from gan_imaging.core.gan import (
    clear_cache,
    get_model,
    run_with_oom_fallback,
    sample_images,
    sample_texture,
    save,
    to_uint8,
    train,
)
from gan_imaging.core.gan.inference import is_oom


def fake_model_call(limit: int, calls: list[int], exc_type=torch.cuda.OutOfMemoryError):
    """A model call that runs out of memory above ``limit`` images per batch."""

    def fn(batch: int) -> str:
        calls.append(batch)
        if batch > limit:
            raise exc_type("CUDA out of memory. Tried to allocate 2.00 GiB")
        return f"ok@{batch}"

    return fn


def test_oom_halves_the_batch_until_it_fits():
    calls: list[int] = []
    assert run_with_oom_fallback(fake_model_call(10, calls), 64) == "ok@8"
    assert calls == [64, 32, 16, 8]


def test_runtime_error_text_counts_as_oom_too():
    calls: list[int] = []
    fn = fake_model_call(20, calls, exc_type=RuntimeError)
    assert run_with_oom_fallback(fn, 64) == "ok@16"
    assert not is_oom(RuntimeError("shape mismatch"))


def test_then_cpu_then_a_typed_error():
    calls: list[int] = []
    cpu_calls: list[int] = []
    result = run_with_oom_fallback(
        fake_model_call(0, calls), 8, min_batch=2, cpu_fallback=fake_model_call(100, cpu_calls)
    )
    assert calls == [8, 4, 2] and cpu_calls == [8] and result == "ok@8"
    with pytest.raises(OutOfMemoryError, match="even with batch 2 and on the CPU") as err:
        run_with_oom_fallback(
            fake_model_call(0, []), 8, min_batch=2, cpu_fallback=fake_model_call(0, [])
        )
    assert err.value.retryable and err.value.code == "out_of_memory"


def test_other_errors_propagate_unchanged():
    def broken(batch):
        raise ValueError("bad weights")

    with pytest.raises(ValueError, match="bad weights"):
        run_with_oom_fallback(broken, 8)


def test_samples_do_not_depend_on_the_batch_size(make_config, digits):
    ckpt = train(make_config(steps=1), digits)
    a = sample_images(ckpt, 7, seed=3, batch_size=7, device="cpu")
    b = sample_images(ckpt, 7, seed=3, batch_size=2, device="cpu")
    assert a.shape == (7, 1, 28, 28)
    assert torch.allclose(a, b, atol=1e-6)
    u8 = to_uint8(a)
    assert u8.shape == (7, 28, 28, 1) and u8.dtype.name == "uint8"


def test_truncation_scales_the_continuous_latent_and_keeps_the_code(make_config, digits):
    """psi scales z's entries after the code towards 0; the code entries, hence each image's
    code, stay as drawn; psi 1 is exactly the untruncated sample; outside (0, 1] is refused."""
    kwargs = {**make_config().arch_kwargs, "n_codes": 4}
    ckpt = train(make_config(steps=1, arch_kwargs=kwargs), digits)
    G = ckpt.generator
    z = torch.randn(6, G.z_dim, generator=torch.Generator().manual_seed(5))
    scaled = torch.cat([z[:, :4], 0.5 * z[:, 4:]], dim=1)
    with torch.no_grad():
        expected, untruncated = G(scaled), G(z)
    half = sample_images(ckpt, 6, seed=5, device="cpu", truncation=0.5)
    assert torch.allclose(half, expected, atol=1e-6)
    assert not torch.allclose(half, untruncated, atol=1e-5)
    assert torch.equal(sample_images(ckpt, 6, seed=5, device="cpu", truncation=1.0),
                       sample_images(ckpt, 6, seed=5, device="cpu"))
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(SpecError, match="truncation"):
            sample_images(ckpt, 2, device="cpu", truncation=bad)


def test_models_load_once_per_path_and_device(make_config, exemplar, tmp_path):
    ckpt = train(make_config("texture", steps=1), exemplar)
    weights, _ = save(ckpt, tmp_path / "tex", inference_only=True)
    clear_cache()
    m1 = get_model(weights, "cpu")
    assert get_model(str(weights), "cpu") is m1
    img = sample_texture(weights, 33, 17, seed=1, device="cpu")
    assert img.shape == (1, 17, 33)
    assert torch.equal(img, ckpt.generator.generate(33, 17, seed=1))
    clear_cache()
    assert get_model(weights, "cpu") is not m1
