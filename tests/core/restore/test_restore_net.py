"""The restoration net, its files, tiled inference with alpha, degradations and training."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from gan_imaging.core.errors import ConfigurationError, ModelError, SpecError
from gan_imaging.core.gan.nets.restore import RestoreNet
from gan_imaging.core.gan.restore import (
    COND,
    RestoreModel,
    conditioning,
    load_model,
    native_bf16,
    restore,
    save_model,
)
from gan_imaging.core.gan.restore_degrade import (
    RECIPES,
    damage,
    damage_q,
    degrade_batch,
    degrade_batch_cond,
)
from gan_imaging.core.gan.restore_train import RestoreTrainConfig, train_restore
from gan_imaging.core.imaging.artefacts import assess, noise_sigma


def tiny(seed: int = 0) -> RestoreModel:
    torch.manual_seed(seed)
    net = RestoreNet(features=8, convs=2, factor=4)
    with torch.no_grad():  # a net that changes pixels (an untrained one is the identity)
        net.tail.weight.normal_(0, 0.05)
    return RestoreModel(net.eval(), "test")


def photo(w: int = 70, h: int = 50, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_an_untrained_net_is_the_identity_and_keeps_the_shape():
    net = RestoreNet(features=8, convs=1, factor=4)
    x = torch.rand(2, 3, 32, 48) * 2 - 1
    assert torch.equal(net(x), x)
    assert net.margin == 12


def test_tiled_equals_untiled_and_keeps_size():
    m = tiny()
    im = photo(70, 50)
    whole = restore(im, m, tile=256)
    tiled = restore(im, m, tile=16)
    assert whole.size == im.size and whole.mode == "RGB"
    assert whole.tobytes() == tiled.tobytes()
    assert whole.tobytes() != im.tobytes()


def test_alpha_is_kept_exactly_and_clear_pixels_stay_clear():
    m = tiny()
    rgba = photo(64, 64).convert("RGBA")
    alpha = np.zeros((64, 64), np.uint8)
    alpha[16:48, 8:40] = 255
    alpha[30:34, 8:40] = 128
    rgba.putalpha(Image.fromarray(alpha))
    out = restore(rgba, m, tile=16)
    a = np.asarray(out)
    assert out.mode == "RGBA" and np.array_equal(a[..., 3], alpha)
    assert (a[..., :3][alpha == 0] == 0).all()


def test_grey_in_grey_out():
    out = restore(photo().convert("L"), tiny())
    assert out.mode == "L" and out.size == (70, 50)


def test_bad_tiles_are_refused():
    with pytest.raises(SpecError):
        restore(photo(), tiny(), tile=20)


def test_save_and_load_round_trip_and_an_altered_file_is_refused(tmp_path):
    m = tiny()
    weights, sidecar = save_model(m, tmp_path / "r")
    loaded = load_model(weights)
    assert loaded.model_version == m.model_version
    im = photo()
    assert restore(im, loaded).tobytes() == restore(im, m).tobytes()
    meta = json.loads(sidecar.read_text())
    meta["model_version"] = "restore-test-00000000"
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError):
        load_model(weights)
    with pytest.raises(ModelError):
        load_model(tmp_path / "missing.safetensors")


def test_every_recipe_damages_reproducibly():
    clean = np.asarray(photo(48, 48, 3))
    for recipe in RECIPES:
        a = damage(clean, recipe, np.random.default_rng(5))
        b = damage(clean, recipe, np.random.default_rng(5))
        assert a.shape == clean.shape and a.dtype == np.uint8 and np.array_equal(a, b)
    batch = torch.from_numpy(clean.copy()).permute(2, 0, 1)[None].repeat(4, 1, 1, 1)
    out = degrade_batch(batch, np.random.default_rng(0))
    assert out.shape == batch.shape and out.dtype == torch.uint8


def test_training_runs_and_the_same_seed_gives_the_same_weights():
    patches = torch.from_numpy(np.stack([np.asarray(photo(64, 64, s)) for s in range(3)]))
    patches = patches.permute(0, 3, 1, 2).contiguous()
    cfg = RestoreTrainConfig(features=8, convs=1, steps=2, batch=2, crop=32, log_every=1)
    seen = []
    a = train_restore(cfg, patches, progress=lambda s, t, m: seen.append((s, m["psnr"])))
    b = train_restore(cfg, patches)
    assert [s for s, _ in seen] == [1, 2]
    assert a.model_version == b.model_version and a.metrics["steps"] == 2
    gan = train_restore(RestoreTrainConfig(features=8, convs=1, steps=1, batch=2, crop=32,
                                           adv_weight=0.02, fm_weight=0.5), patches, init=a)
    assert gan.model_version != a.model_version


def test_conditioning_numbers():
    assert conditioning(0.0, None) == (0.0, 0.0)
    assert conditioning(10.0, 35) == (0.5, 0.65)
    assert conditioning(500.0, 0) == (2.5, 0.99) and conditioning(-1.0, 100) == (0.0, 0.0)


def test_a_blind_net_grown_into_a_conditioned_one_computes_the_same_until_trained():
    blind = tiny()
    net = RestoreNet(features=8, convs=2, factor=4, cond=COND)
    net.load_blind(blind.net.state_dict())
    cond = RestoreModel(net.eval(), "test")
    im = photo()
    assert restore(im, cond, noise=7.0, quality=30).tobytes() == restore(im, blind).tobytes()
    with pytest.raises(ValueError):
        RestoreNet(features=8, convs=3, factor=4, cond=COND).load_blind(blind.net.state_dict())


def test_a_conditioned_net_uses_what_it_is_told_and_assesses_when_not_told(tmp_path):
    torch.manual_seed(1)
    net = RestoreNet(features=8, convs=2, factor=4, cond=COND)
    with torch.no_grad():
        net.tail.weight.normal_(0, 0.05)
        net.film.weight.normal_(0, 0.5)  # type: ignore[union-attr]
    m = RestoreModel(net.eval(), "test")
    im = photo(64, 48)
    quiet, loud = restore(im, m, noise=1.0, quality=None), restore(im, m, noise=20.0, quality=20)
    assert quiet.tobytes() != loud.tobytes()
    a = assess(im)
    assert restore(im, m).tobytes() == restore(im, m, noise=a.noise, quality=a.quality).tobytes()
    tiled = np.asarray(restore(im, m, tile=16, noise=3.0), dtype=int)
    assert np.abs(tiled - np.asarray(restore(im, m, noise=3.0), dtype=int)).max() <= 1  # rounding
    weights, sidecar = save_model(m, tmp_path / "c")
    assert json.loads(sidecar.read_text())["arch_kwargs"]["cond"] == COND
    assert restore(im, load_model(weights), noise=3.0).tobytes() == restore(
        im, m, noise=3.0).tobytes()


def test_the_baked_net_computes_the_conditioned_forward():
    torch.manual_seed(2)
    net = RestoreNet(features=8, convs=2, factor=2, cond=COND)
    with torch.no_grad():
        net.tail.weight.normal_(0, 0.05)
        net.film.weight.normal_(0, 0.3)  # type: ignore[union-attr]
        net.film.bias.normal_(0, 0.1)  # type: ignore[union-attr]
    x, c = torch.rand(1, 3, 32, 40) * 2 - 1, torch.tensor([0.4, 0.65])
    baked = net.baked(c)
    assert baked.cond == 0 and baked.film is None
    with torch.no_grad():
        told, blind = net(x, c[None]), net(x)
        assert torch.allclose(baked(x), told, atol=1e-5)
        assert (told - blind).abs().max() > 1e-3  # the conditioning changes the output


def test_a_damaged_batch_carries_what_the_assessment_would_read():
    clean = np.asarray(photo(64, 64, 3)) // 4 + 96  # low contrast: the noise shows
    batch = torch.from_numpy(np.ascontiguousarray(clean)).permute(2, 0, 1)[None].repeat(
        32, 1, 1, 1)
    out, cond = degrade_batch_cond(batch, np.random.default_rng(0))
    assert out.shape == batch.shape and cond.shape == (32, COND)
    for img, (noise, strength) in zip(out, cond.tolist()):
        arr = img.permute(1, 2, 0).numpy()
        assert noise == pytest.approx(conditioning(noise_sigma(arr), None)[0], abs=1e-6)
        assert 0.0 <= strength < 1.0
    again = degrade_batch_cond(batch, np.random.default_rng(0))
    assert torch.equal(again[0], out) and torch.equal(again[1], cond)
    assert len({round(s, 2) for _n, s in cond.tolist()}) > 3  # qualities differ per patch


def test_damage_reports_the_effective_quality():
    clean = np.asarray(photo(48, 48, 3))
    for recipe in RECIPES:
        img, q = damage_q(clean, recipe, np.random.default_rng(5))
        assert np.array_equal(img, damage(clean, recipe, np.random.default_rng(5)))
        assert (q is None) == (recipe in ("gauss", "poisson")) or recipe == "clean"
    assert damage_q(clean, "jpeg", np.random.default_rng(5))[1] in range(10, 61)


def test_conditioned_training_is_reproducible():
    patches = torch.from_numpy(np.stack([np.asarray(photo(64, 64, s)) for s in range(3)]))
    patches = patches.permute(0, 3, 1, 2).contiguous()
    cfg = RestoreTrainConfig(features=8, convs=1, steps=2, batch=2, crop=32, cond=COND)
    blind = train_restore(RestoreTrainConfig(features=8, convs=1, steps=1, batch=2, crop=32),
                          patches)
    a = train_restore(cfg, patches, init=blind)
    b = train_restore(cfg, patches, init=blind)
    assert a.net.cond == COND and a.model_version == b.model_version
    assert a.model_version != blind.model_version
    with pytest.raises(ConfigurationError):  # a blind net cannot start from a conditioned one
        train_restore(RestoreTrainConfig(features=8, convs=1, steps=1, batch=2, crop=32),
                      patches, init=a)


def test_recipe_shares_steer_the_damage_and_bad_shares_are_refused():
    clean = np.asarray(photo(48, 48, 3))
    batch = torch.from_numpy(clean.copy()).permute(2, 0, 1)[None].repeat(8, 1, 1, 1)
    gauss_only = tuple(1.0 if r == "gauss" else 0.0 for r in RECIPES)
    _, cond = degrade_batch_cond(batch, np.random.default_rng(0), gauss_only)
    assert (cond[:, 1] == 0).all()  # no JPEG anywhere
    jpeg_only = tuple(1.0 if r == "jpeg" else 0.0 for r in RECIPES)
    _, cond = degrade_batch_cond(batch, np.random.default_rng(0), jpeg_only)
    assert ((cond[:, 1] >= 0.4) & (cond[:, 1] <= 0.9)).all()  # q 10-60
    patches = batch.repeat(1, 1, 1, 1)
    with pytest.raises(ConfigurationError):
        train_restore(RestoreTrainConfig(features=8, convs=1, steps=1, batch=2, crop=32,
                                         cond=COND, shares=(1.0, 2.0)), patches)


def test_bf16_stays_within_a_level_of_fp32_and_auto_follows_the_cpu():
    m = tiny()
    im = photo(96, 64)
    fp32 = np.asarray(restore(im, m, precision="fp32"), dtype=int)
    bf16 = np.asarray(restore(im, m, precision="bf16"), dtype=int)
    assert np.abs(bf16 - fp32).max() <= 2 and np.abs(bf16 - fp32).mean() < 0.5
    auto = np.asarray(restore(im, m), dtype=int)
    native = native_bf16(torch.device("cpu"))
    assert np.array_equal(auto, bf16 if native else fp32)
    assert native_bf16(torch.device("meta")) is False
    with pytest.raises(SpecError):
        restore(im, m, precision="fp16")
