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


def test_infogan_code_head_learns_the_generators_code(make_config, digits):
    """With info_weight, D's code head is trained to read G's code back from the fakes: after
    a short run its cross-entropy is well under chance (log 4 = 1.39 for 4 codes)."""
    kwargs = {**make_config().arch_kwargs, "n_codes": 4, "g_width": 16, "d_width": 16}
    calls = []
    ckpt = train(
        make_config(steps=160, batch_size=16, arch_kwargs=kwargs, info_weight=1.0, log_every=20,
                    lr_g=3e-3, lr_d=3e-3),
        digits, progress=lambda s, t, m: calls.append(m["info"]),
    )
    assert calls[0] > 1.2 and calls[-1] < 1.0
    G = ckpt.generator
    z = torch.randn(4000, G.z_dim, generator=torch.Generator().manual_seed(0))
    counts = torch.bincount(G.latent_code(z), minlength=4)
    assert counts.min() > 900  # argmax of 4 iid N(0, 1): each code about 1000 of 4000


def test_info_weight_needs_an_architecture_with_a_code(make_config, digits):
    with pytest.raises(ConfigurationError, match="categorical code"):
        train(make_config(info_weight=1.0), digits)
    with pytest.raises(ConfigurationError, match="info_weight"):
        TrainConfig(info_weight=-1.0)


def test_lr_decay_falls_linearly_to_zero_over_the_last_share(make_config, digits):
    from gan_imaging.core.gan.train import set_lr_for_step

    cfg = make_config(steps=100, lr_g=1e-3, lr_d=4e-3, lr_decay=0.25)
    p = torch.nn.Parameter(torch.zeros(1))
    opt_g, opt_d = torch.optim.Adam([p], lr=1.0), torch.optim.Adam([p], lr=1.0)
    rates = []
    for step in (0, 74, 75, 90, 99):
        set_lr_for_step(cfg, step, ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)))
        rates += [opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]]
    assert rates == pytest.approx(
        [1e-3, 4e-3, 1e-3, 4e-3, 1e-3, 4e-3, 0.4e-3, 1.6e-3, 0.04e-3, 0.16e-3]
    )
    with pytest.raises(ConfigurationError, match="lr_decay"):
        TrainConfig(lr_decay=1.5)
    # A decayed run still resumes exactly (the schedule is a function of the step).
    whole = train(make_config(steps=4, lr_decay=0.5), digits)
    rest = train(make_config(steps=4, lr_decay=0.5), digits,
                 resume=train(make_config(steps=2, lr_decay=0.5), digits))
    assert _same_weights(whole.generator, rest.generator)
