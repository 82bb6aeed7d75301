"""The training function: smoke runs, determinism, early stop, resume, validation."""

from __future__ import annotations

import pytest
import torch

from gan_imaging.core.errors import ConfigurationError
from gan_imaging.core.gan import TrainConfig, plain_seed_recipe, train


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("arch", ["dcgan28", "dcgan64", "texture"])
def test_two_step_smoke(arch, make_config, digits, exemplar):
    data = {"dcgan28": digits, "dcgan64": torch.rand(8, 3, 64, 64) * 2 - 1, "texture": exemplar}
    calls = []
    cfg = make_config(
        arch, r1_gamma=1.0, r1_interval=1, loss="hinge" if arch == "dcgan64" else "ns"
    )
    ckpt = train(cfg, data[arch], progress=lambda s, t, m: calls.append((s, t, m)))
    assert ckpt.step == 2
    assert [c[:2] for c in calls] == [(1, 2), (2, 2)]
    for key in ("loss_d", "loss_g", "r1", "logit_real", "logit_fake", "sec_per_step"):
        assert torch.isfinite(torch.tensor(calls[-1][2][key]))
    assert calls[-1][2]["r1"] > 0
    assert ckpt.raw_generator is not None  # EMA is on by default
    assert not _same_weights(ckpt.generator, ckpt.raw_generator)


def test_same_config_and_data_give_identical_weights(make_config, digits):
    a = train(make_config(steps=3), digits)
    b = train(make_config(steps=3), digits)
    c = train(make_config(steps=3, seed=1), digits)
    assert _same_weights(a.generator, b.generator)
    assert _same_weights(a.discriminator, b.discriminator)
    assert a.model_version == b.model_version != c.model_version


def test_should_stop_returns_what_was_trained(make_config, digits):
    done = []
    ckpt = train(
        make_config(steps=50),
        digits,
        progress=lambda s, t, m: done.append(s),
        should_stop=lambda: len(done) >= 2,
    )
    assert ckpt.step == 2 and ckpt.metrics["steps_done"] == 2


@pytest.mark.parametrize("ema_decay", [0.99, 0.0])
def test_resume_continues_exactly(make_config, digits, ema_decay):
    whole = train(make_config(steps=4, ema_decay=ema_decay, r1_gamma=0.5), digits)
    half = train(make_config(steps=2, ema_decay=ema_decay, r1_gamma=0.5), digits)
    rest = train(make_config(steps=4, ema_decay=ema_decay, r1_gamma=0.5), digits, resume=half)
    assert rest.step == 4
    assert _same_weights(whole.generator, rest.generator)
    assert _same_weights(whole.discriminator, rest.discriminator)


def test_resume_rejects_another_architecture(make_config, digits):
    ckpt = train(make_config(steps=1), digits)
    other = make_config(steps=2, arch_kwargs={"z_dim": 8, "g_width": 16, "d_width": 8})
    with pytest.raises(ConfigurationError, match="Cannot resume"):
        train(other, digits, resume=ckpt)


def test_bad_settings_and_data_raise_configuration_errors(make_config, digits):
    with pytest.raises(ConfigurationError, match="loss must be"):
        TrainConfig(loss="wasserstein")
    with pytest.raises(ConfigurationError, match="DiffAugment"):
        TrainConfig(diffaugment="rotate")
    with pytest.raises(ConfigurationError, match=r"\[-1, 1\]"):
        train(make_config(), digits * 255)
    with pytest.raises(ConfigurationError, match="Cannot build"):
        train(make_config(arch_kwargs={"nope": 1}), digits)


def test_plain_seed_recipe_is_the_articles_settings():
    cfg = plain_seed_recipe(steps=10)
    assert (cfg.arch, cfg.lr_g, cfg.lr_d, cfg.betas, cfg.batch_size) == (
        "dcgan28",
        1e-4,
        1e-4,
        (0.9, 0.999),
        256,
    )
    assert cfg.ema_decay == 0 and cfg.diffaugment == "" and cfg.r1_gamma == 0
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
