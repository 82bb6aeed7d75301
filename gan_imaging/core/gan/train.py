"""Training is one function: ``train(config, data, ...) -> Checkpoint``.

The Celery task, the management command, the benchmark and the texture script are all thin
callers of :func:`train`. It owns the loop; the loss helpers only return tensors.

Each step is one D update (real and fake batch, optional lazy R1) then one G update, both
through the same DiffAugment policy, followed by the EMA update. Every random draw (latents,
real-batch indices, crops, augmentations) comes from one CPU ``torch.Generator`` seeded by
``config.seed`` and stored in the checkpoint, so a run is reproducible and a resumed run
continues the same random stream. The machinery both loops share (setup, logging, rate
schedules, checkpoints and resume) lives in :mod:`.loop`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_imaging.core.errors import ConfigurationError, gettext_noop
from gan_imaging.core.gan.augment import diff_augment
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.config import TrainConfig
from gan_imaging.core.gan.loop import (
    MetricLog,
    Progress,
    autocast,
    make_checkpoint,
    new_state,
    restore_checkpoint,
    set_lr_for_step,
    setup,
)
from gan_imaging.core.gan.losses import d_loss, g_loss, r1_penalty
from gan_imaging.core.gan.nets import LATENT_SPATIAL
from gan_imaging.core.gan.samplers import ImageSampler, TextureSampler, TrainData
from gan_imaging.core.gan.superres_train import train_sr

METRIC_KEYS = ("loss_d", "loss_g", "r1", "logit_real", "logit_fake", "info")


def train(
    config: TrainConfig,
    data: TrainData,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: Checkpoint | str | Path | None = None,
    init: Checkpoint | str | Path | None = None,
) -> Checkpoint:
    """Train a GAN and return a checkpoint (also when stopped early).

    data: for image GANs, float32 N x C x H x W in [-1, 1]. For ``texture``, the exemplar(s):
    one C x H x W tensor, an N x C x H x W tensor or a list of C x H x W tensors in [-1, 1],
    each at least ``config.crop`` pixels on both sides; random crops are sampled from them.
    progress: called as ``progress(step, total_steps, metrics)`` every ``config.log_every``
    steps and at the end; metrics holds loss_d, loss_g, r1, logit_real, logit_fake, sec_per_step.
    should_stop: polled before every step; returning True ends training at the current step.
    resume: a checkpoint (or its path) from a run with the same arch and arch kwargs; training
    continues from its step, optimiser state and RNG state up to ``config.steps``.
    ``arch="sr"`` (super-resolution) is trained by :func:`.superres_train.train_sr`: data are
    HR photos or patches (uint8 or [-1, 1]); ``init`` starts its G from another checkpoint's
    (the GAN-sharpened variant from the PSNR one). Other architectures take no ``init``.
    Raises ConfigurationError for bad settings or data, ModelError if the losses diverge.
    """
    if config.arch == "sr":
        return train_sr(
            config, data, progress=progress, should_stop=should_stop, resume=resume, init=init
        )
    if init is not None:
        raise ConfigurationError(
            gettext_noop("Only super-resolution training (arch 'sr') accepts init.")
        )
    device, use_bf16, rng, G, D = setup(config)
    spatial = G.latent_kind == LATENT_SPATIAL
    sampler = TextureSampler(data, G, config, device) if spatial else ImageSampler(data, device)
    info = config.info_weight > 0
    if info and not (getattr(G, "n_codes", 0) and hasattr(D, "forward_info")):
        raise ConfigurationError(
            gettext_noop(
                "info_weight needs an architecture built with a categorical code (dcgan28 with "
                "n_codes > 0); %(arch)s %(arch_kwargs)s has none."
            ),
            params={"arch": config.arch, "arch_kwargs": str(dict(config.arch_kwargs))},
        )

    live = new_state(config, G, D, rng)
    opt_g, opt_d, ema = live.opt_g, live.opt_d, live.ema
    start = 0 if resume is None else restore_checkpoint(resume, config, live, device)

    def augment(x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, config.diffaugment, rng) if config.diffaugment else x

    log = MetricLog(METRIC_KEYS, config.steps, progress, gettext_noop(
        "GAN training diverged at step %(step)s (loss is not a number). Lower the "
        "learning rates or enable R1 (r1_gamma), then train again."))
    step = start

    G.train()
    D.train()
    while step < config.steps:
        if should_stop is not None and should_stop():
            break
        set_lr_for_step(config, step, ((opt_g, config.lr_g), (opt_d, config.lr_d)))
        # --- discriminator ---
        real = sampler.real(config.batch_size, rng)
        with torch.no_grad(), autocast(use_bf16):
            fake, code = sampler.fake_and_code(G, config.batch_size, rng)
        do_r1 = config.r1_gamma > 0 and step % config.r1_interval == 0
        if do_r1:
            real = real.detach().requires_grad_(True)
        with autocast(use_bf16):
            real_logits = D(augment(real)).float()
            fake_logits, info_d = _d_on_fakes(D, augment(fake.float()), code if info else None)
        loss_d = d_loss(config.loss, real_logits, fake_logits)
        if info_d is not None:
            loss_d = loss_d + config.info_weight * info_d
        r1 = torch.zeros((), device=device)
        if do_r1:
            r1 = r1_penalty(real_logits, real)
            # Lazy regularisation (StyleGAN2): every r1_interval steps, scaled to match.
            loss_d = loss_d + r1 * (config.r1_gamma / 2 * config.r1_interval)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # --- generator ---
        D.requires_grad_(False)  # G's step needs gradients through D, not for D's weights
        with autocast(use_bf16):
            fake, code = sampler.fake_and_code(G, config.batch_size, rng)
            fake_logits_g, info_g = _d_on_fakes(D, augment(fake), code if info else None)
        loss_g = g_loss(config.loss, fake_logits_g)
        if info_g is not None:  # InfoGAN: G is rewarded when D's code head can tell its code back
            loss_g = loss_g + config.info_weight * info_g
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        D.requires_grad_(True)
        if ema is not None:
            ema.update(G)
        step += 1

        info_log = info_d if info_d is not None else torch.zeros((), device=device)
        log.add(step, (loss_d, loss_g, r1, real_logits.mean(), fake_logits.mean(), info_log),
                every=config.log_every)
    return make_checkpoint(config, live, step, log.finish(step))


def _d_on_fakes(D: Any, x: torch.Tensor, code: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's logits (float32) for fakes and, given G's codes (InfoGAN on), the cross-entropy
    (nats) of D's code head against them; None without codes."""
    if code is None:
        return D(x).float(), None
    logits, code_logits = D.forward_info(x)
    return logits.float(), nn.functional.cross_entropy(code_logits.float(), code)
