"""Super-resolution: the ``sr`` nets, degradations, training, tiled/alpha inference, weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from gan_imaging.core.errors import ConfigurationError, ModelError, OutOfMemoryError, SpecError
from gan_imaging.core.gan import Checkpoint, TrainConfig, build_nets, load, save, train
from gan_imaging.core.gan.degrade import degrade, downscale
from gan_imaging.core.gan.nets.sr import SRGenerator
from gan_imaging.core.gan.superres import bundled_sr_path, is_held_out, upscale
from gan_imaging.core.gan.superres_train import sr_patches

TINY = {"features": 8, "convs": 2, "d_width": 8}


def _model(scale: int = 2, *, seed: int = 0, random_tail: bool = True) -> Checkpoint:
    """A tiny untrained upscaler; ``random_tail`` makes it differ from plain bicubic."""
    kw = {"scale": scale, **TINY}
    torch.manual_seed(seed)
    G = build_nets("sr", kw).generator
    assert isinstance(G, SRGenerator)
    if random_tail:
        torch.nn.init.normal_(G.tail.weight, std=0.05)
    return Checkpoint(arch="sr", arch_kwargs=kw, generator=G.eval())


def _photo(w: int = 40, h: int = 30, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, w)[None, :, None].repeat(h, 0).repeat(3, 2)
    noise = rng.normal(0, 40, (h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def _patches(n: int = 6, side: int = 32) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, side, side), generator=g, dtype=torch.uint8)


def _cfg(**changes: Any) -> TrainConfig:
    base: dict[str, Any] = dict(
        arch="sr", arch_kwargs={"scale": 2, **TINY}, steps=2, batch_size=3, crop=32,
        device="cpu", log_every=1, diffaugment="", lr_g=1e-3,
    )  # fmt: skip
    base.update(changes)
    return TrainConfig(**base)


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("scale", [2, 4])
def test_shapes_and_scale_factors(scale):
    nets = build_nets("sr", {"scale": scale, **TINY})
    x = torch.rand(2, 3, 12, 20) * 2 - 1
    assert nets.generator(x).shape == (2, 3, 12 * scale, 20 * scale)
    assert nets.discriminator(torch.zeros(2, 3, 64, 48)).shape == (2, 1, 7, 5)
    out = upscale(_photo(13, 7), _model(scale), scale=scale)
    assert out.size == (13 * scale, 7 * scale) and out.mode == "RGB"
    assert upscale(_photo(9, 9).convert("L"), _model(scale), scale=scale).mode == "L"


def test_default_generator_is_small_and_untrained_one_is_bicubic():
    G = build_nets("sr", {"scale": 4}).generator
    assert sum(p.numel() for p in G.parameters()) <= 1_500_000
    x = torch.rand(1, 3, 10, 10) * 2 - 1
    bicubic = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.allclose(G(x), bicubic)  # the zero-initialised tail adds nothing yet


def test_scale_mismatch_and_bad_arguments_raise():
    with pytest.raises(SpecError):
        upscale(_photo(), _model(2), scale=4)
    with pytest.raises(SpecError):
        upscale(_photo(), _model(2), scale=3)
    with pytest.raises(SpecError):
        upscale(_photo(), _model(2), scale=2, tile=4)
    with pytest.raises(ModelError):
        bundled_sr_path(3)


def test_tiled_equals_untiled_and_too_little_overlap_shows():
    im, ck = _photo(40, 30), _model(2)
    whole = np.asarray(upscale(im, ck, scale=2, tile=1000), dtype=int)
    tiled = np.asarray(upscale(im, ck, scale=2, tile=8, batch=3), dtype=int)
    assert np.abs(whole - tiled).max() <= 1
    seamy = np.asarray(upscale(im, ck, scale=2, tile=8, overlap=0), dtype=int)
    assert np.abs(whole - seamy).max() > 4  # the test can fail: context matters


def test_deterministic_and_batch_independent():
    im, ck = _photo(), _model(4)
    a = upscale(im, ck, scale=4, tile=16, batch=1).tobytes()
    assert a == upscale(im, ck, scale=4, tile=16, batch=1).tobytes()
    b = np.frombuffer(upscale(im, ck, scale=4, tile=16, batch=5).tobytes(), np.uint8)
    assert np.abs(b.astype(int) - np.frombuffer(a, np.uint8)).max() <= 1


def _oom_above(G: SRGenerator, limit: int, calls: list[int]) -> None:
    """Make ``G`` raise CUDA out-of-memory for batches over ``limit`` tiles (-1: always)."""
    forward = G.forward

    def guarded(x: torch.Tensor) -> torch.Tensor:
        calls.append(x.shape[0])
        if limit < 0 or x.shape[0] > limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(x)

    G.forward = guarded  # type: ignore[method-assign]


def test_out_of_memory_halves_the_tile_batch_then_fails_clearly():
    im, ck = _photo(), _model(2)
    want = np.asarray(upscale(im, ck, scale=2, tile=8, batch=1), dtype=int)
    calls: list[int] = []
    _oom_above(ck.generator, 2, calls)
    got = np.asarray(upscale(im, ck, scale=2, tile=8, batch=8), dtype=int)
    assert calls[:2] == [8, 4] and max(calls[2:]) == 2  # 8 and 4 refused, then 2 at a time
    assert np.abs(got - want).max() <= 1
    _oom_above(ck.generator, -1, [])
    with pytest.raises(OutOfMemoryError, match="Not enough memory for upscaling a 40x30 image"):
        upscale(im, ck, scale=2, tile=8, batch=8)


def test_alpha_is_premultiplied_without_fringes():
    # A red disc on transparency whose hidden colour is green: straight-alpha resampling would
    # mix green into the edge; premultiplied resampling must not.
    im = Image.new("RGBA", (24, 24), (0, 255, 0, 0))
    ImageDraw.Draw(im).ellipse((4, 4, 19, 19), fill=(255, 0, 0, 255))
    out = np.asarray(upscale(im, _model(2, random_tail=False), scale=2))
    assert out.shape == (48, 48, 4)
    alpha = out[..., 3]
    assert alpha[0, 0] == 0 and alpha[24, 24] == 255
    edge = (alpha >= 16) & (alpha < 255)
    assert edge.sum() > 20
    assert out[..., 1][edge].max() <= 2 and out[..., 0][edge].min() >= 250
    # What premultiplication avoids: the same bicubic on straight (unassociated) RGBA.
    x = torch.from_numpy(np.asarray(im, dtype=np.float32)).permute(2, 0, 1)[None]
    straight = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)[0]
    s_edge = (straight[3] >= 16) & (straight[3] < 255)
    assert float(straight[1][s_edge].max()) > 30


def test_opaque_rgba_keeps_alpha_and_matches_rgb():
    rgb, ck = _photo(), _model(2)
    out = upscale(rgb.convert("RGBA"), ck, scale=2)
    assert out.mode == "RGBA" and np.asarray(out)[..., 3].min() == 255
    assert out.convert("RGB").tobytes() == upscale(rgb, ck, scale=2).tobytes()


def test_degradation_is_reproducible_and_none_is_bicubic():
    hr = torch.rand(4, 3, 32, 32)
    a = degrade(hr, 2, "strong", torch.Generator().manual_seed(1))
    b = degrade(hr, 2, "strong", torch.Generator().manual_seed(1))
    assert a.shape == (4, 3, 16, 16) and torch.equal(a, b)
    assert torch.equal((a * 255).round(), a * 255)  # 8-bit levels
    clean = degrade(hr, 2, "none", torch.Generator().manual_seed(1))
    assert torch.allclose(clean, (downscale(hr, 2) * 255).round().clamp(0, 255) / 255)


def test_two_step_training_smoke_with_adversarial_phase():
    calls = []
    cfg = _cfg(warmup_steps=1, adv_weight=0.1, fm_weight=1.0, degradation="strong")
    ckpt = train(cfg, _patches(), progress=lambda s, t, m: calls.append((s, dict(m))))
    assert [s for s, _ in calls] == [1, 2] and ckpt.step == 2
    assert calls[0][1]["loss_d"] == 0.0 and calls[1][1]["loss_d"] > 0  # D only after warm-up
    assert calls[1][1]["fm"] > 0 and np.isfinite(calls[1][1]["psnr"])
    again = train(cfg, _patches())
    assert _same(ckpt.generator, again.generator)
    assert ckpt.discriminator is not None and again.discriminator is not None
    assert _same(ckpt.discriminator, again.discriminator)


def test_resume_and_init():
    cfg = _cfg(steps=3, warmup_steps=1, adv_weight=0.1, fm_weight=1.0)
    whole = train(cfg, _patches())
    rest = train(cfg, _patches(), resume=train(cfg.replace(steps=1), _patches()))
    assert _same(whole.generator, rest.generator)
    started = train(cfg.replace(steps=0), _patches(), init=whole)
    assert _same(started.generator, whole.generator)
    with pytest.raises(ConfigurationError):
        train(_cfg(arch_kwargs={"scale": 4, **TINY}, crop=16), _patches())  # 4 px LR: too small


def test_checkpoint_round_trip(tmp_path):
    ckpt = train(_cfg(), _patches())
    weights, _ = save(ckpt, tmp_path / "sr", inference_only=True, half=True)
    back = load(weights)
    assert back.model_version == ckpt.model_version and back.generator.scale == 2
    im = _photo()
    assert upscale(im, back, scale=2).tobytes() == upscale(im, ckpt, scale=2).tobytes()
    assert upscale(im, str(weights), scale=2).tobytes() == upscale(im, ckpt, scale=2).tobytes()


def test_patches_and_split():
    photos = [_photo(64, 48, seed=i) for i in range(3)] + [Image.new("RGBA", (20, 20))]
    p = sr_patches(photos, crop=32, count=5, seed=0)
    assert p.dtype == torch.uint8 and p.shape == (5, 3, 32, 32)
    assert torch.equal(p, sr_patches(photos, crop=32, count=5, seed=0))
    names = [f"folder/photo_{i}.jpg" for i in range(2000)]
    share = sum(map(is_held_out, names)) / len(names)
    assert 0.17 < share < 0.23 and is_held_out(names[0]) == is_held_out(names[0])


@pytest.mark.parametrize("scale", [2, 4])
def test_bundled_weights_beat_bicubic_on_a_synthetic_photo(scale):
    try:
        path = bundled_sr_path(scale)
    except ModelError:
        pytest.skip("bundled weights not trained yet")
    # Bars and a ring whose sizes scale with the factor, so the 48 px input still resolves
    # them (finer detail aliases and no upscaler can recover it).
    size = 48 * scale
    im = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(im)
    for i in range(5):
        x = scale * (4 + 8 * i)
        d.rectangle((x, 4 * scale, x + 3 * scale, 44 * scale), fill=(40 * i, 60, 140))
    d.ellipse((10 * scale, 12 * scale, 38 * scale, 40 * scale), outline=(200, 30, 30), width=scale)
    lr = im.resize((48, 48), Image.Resampling.BICUBIC)
    ref = np.asarray(im, dtype=float)
    ours = np.asarray(upscale(lr, path, scale=scale), dtype=float)
    bicubic = np.asarray(lr.resize((size, size), Image.Resampling.BICUBIC), dtype=float)
    assert ((ours - ref) ** 2).mean() < 0.7 * ((bicubic - ref) ** 2).mean()  # > 1.5 dB
