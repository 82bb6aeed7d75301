"""Training the restoration net (:mod:`.nets.restore`) on clean photo patches.

Each step takes a batch of random ``crop`` px crops (flips and transposes) of the clean
patches, damages them (:mod:`.restore_degrade`) and fits the net's output to the clean crop:

- PSNR-oriented (``adv_weight == 0``): mean squared error only;
- adversarially sharpened (``adv_weight > 0``, normally started from the PSNR model with
  ``init``): L1 + ``adv_weight`` * a non-saturating GAN loss from the upscaler's spectrally
  normalised patch critic (:class:`.nets.sr.PatchDiscriminator`) + ``fm_weight`` * feature
  matching; one D step per G step.

Adam with a cosine from ``lr`` to 10 % at ``steps``; an EMA of the weights (0.999) is what is
returned. Every random draw comes from ``config.seed`` (torch and numpy generators), so the
same config, data, thread count and torch version give the same weights.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gan_imaging.core.errors import ConfigurationError, ModelError, gettext_noop
from gan_imaging.core.gan.augment import dihedral
from gan_imaging.core.gan.ema import EMA
from gan_imaging.core.gan.losses import d_loss, g_loss
from gan_imaging.core.gan.nets.restore import RestoreNet
from gan_imaging.core.gan.nets.sr import PatchDiscriminator
from gan_imaging.core.gan.restore import RestoreModel
from gan_imaging.core.gan.restore_degrade import (
    RECIPES,
    SHARES,
    degrade_batch,
    degrade_batch_cond,
)

Progress = Callable[[int, int, dict[str, float]], None]


@dataclass(frozen=True)
class RestoreTrainConfig:
    """features / convs / factor: the net (see :class:`RestoreNet`). steps: optimiser steps.
    batch: crops per step. crop: crop side in px (a multiple of 16, >= 32). lr: Adam's peak
    rate. adv_weight / fm_weight: the adversarial variant's weights (0: PSNR-oriented).
    d_width: the critic's first width. seed: all random draws. name: the model's label
    (``restore-<name>-<hash>``). log_every: ``progress`` every this many steps. cond: 0 for
    a blind net, :data:`~gan_imaging.core.gan.restore.COND` for one told the damage (see
    :func:`.restore_degrade.degrade_batch_cond`). shares: the damage recipes' probabilities
    (:data:`.restore_degrade.RECIPES` order; None: :data:`.restore_degrade.SHARES`)."""

    features: int = 32
    convs: int = 4
    factor: int = 2
    cond: int = 0
    shares: tuple[float, ...] | None = None
    steps: int = 7000
    batch: int = 16
    crop: int = 96
    lr: float = 1e-3
    adv_weight: float = 0.0
    fm_weight: float = 0.0
    d_width: int = 32
    seed: int = 0
    name: str = "psnr"
    log_every: int = 100


def _crops(patches: torch.Tensor, size: int, crop: int, gen: torch.Generator) -> torch.Tensor:
    """``size`` random crops with random flips/transposes: uint8 (size, 3, crop, crop)."""
    n, _, h, w = patches.shape
    idx = torch.randint(0, n, (size,), generator=gen).tolist()
    out = []
    for i in idx:
        y = int(torch.randint(0, h - crop + 1, (1,), generator=gen))
        x = int(torch.randint(0, w - crop + 1, (1,), generator=gen))
        p = patches[i, :, y : y + crop, x : x + crop]
        out.append(dihedral(p, int(torch.randint(0, 8, (1,), generator=gen))))
    return torch.stack(out).contiguous()


def train_restore(
    config: RestoreTrainConfig,
    patches: torch.Tensor,
    *,
    init: RestoreModel | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RestoreModel:
    """Train and return the EMA model (also when stopped early; ``metrics["steps"]`` says how
    far). patches: clean uint8 (N, 3, H, W), H and W >= ``config.crop``. init: start from
    this model's weights (the adversarial variant from the PSNR one). Progress metrics: loss,
    pixel, adv, loss_d, psnr (dB of the batch, [0, 1] scale), sec_per_step. Raises
    ConfigurationError for bad data or settings, ModelError if training diverges."""
    c = config.crop
    if patches.dtype != torch.uint8 or patches.dim() != 4 or patches.shape[1] != 3:
        raise ConfigurationError(gettext_noop("Training patches must be uint8 N x 3 x H x W."))
    if config.shares is not None and (
        len(config.shares) != len(RECIPES) or min(config.shares) < 0 or sum(config.shares) <= 0
    ):
        raise ConfigurationError(
            gettext_noop("shares must give %(n)s non-negative numbers, one per damage recipe."),
            params={"n": len(RECIPES)},
        )
    if c < 32 or c % 16 or min(patches.shape[2:]) < c:
        raise ConfigurationError(
            gettext_noop("crop must be a multiple of 16, >= 32 and fit the patches (%(crop)s)."),
            params={"crop": c},
        )
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = RestoreNet(features=config.features, convs=config.convs, factor=config.factor,
                     cond=config.cond)
    if init is not None and init.net.cond == 0 and config.cond:
        net.load_blind(init.net.state_dict())  # a blind net grows its conditioning
    elif init is not None:
        if init.net.cond != config.cond:
            raise ConfigurationError(gettext_noop(
                "A blind restoration net cannot start from a conditioned one; drop --blind or "
                "start from a blind model."))
        net.load_state_dict(init.net.state_dict())
    net.train()
    ema = EMA(net, 0.999)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.9, 0.99))
    adversarial = config.adv_weight > 0
    D = PatchDiscriminator(width=config.d_width) if adversarial else None
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.99)) if D else None
    zero = torch.zeros(())
    sums: dict[str, float] = {}
    t0, step = time.perf_counter(), 0
    while step < config.steps:
        if should_stop is not None and should_stop():
            break
        decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, config.steps)))
        for group in opt.param_groups:
            group["lr"] = config.lr * decay
        clean8 = _crops(patches, config.batch, c, gen)
        cond = None
        if config.cond:
            damaged8, cond = degrade_batch_cond(clean8, rng, config.shares or SHARES)
        else:
            damaged8 = degrade_batch(clean8, rng)
        damaged = damaged8.float() / 127.5 - 1
        clean = clean8.float() / 127.5 - 1
        out = net(damaged, cond)
        adv = fm = loss_d = zero
        if D is not None and opt_d is not None:
            loss_d = d_loss("ns", D(clean), D(out.detach()))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            D.requires_grad_(False)
            logits, feats = D.features(out)
            with torch.no_grad():
                _, real_feats = D.features(clean)
            adv = g_loss("ns", logits)
            fm = sum((F.l1_loss(a, b) for a, b in zip(feats, real_feats)), zero) / len(feats)
            D.requires_grad_(True)
            pixel = (out - clean).abs().mean()
            loss = pixel + config.adv_weight * adv + config.fm_weight * fm
        else:
            pixel = (out - clean).pow(2).mean()
            loss = pixel
        if not torch.isfinite(loss):
            raise ModelError(gettext_noop(
                "Restoration training diverged at step %(step)s; lower the learning rate."),
                params={"step": step})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(net)
        step += 1
        with torch.no_grad():
            mse = ((out.detach().clamp(-1, 1) - clean) / 2).pow(2).mean().clamp_min(1e-10)
        for k, v in (("loss", loss), ("pixel", pixel), ("adv", adv), ("loss_d", loss_d),
                     ("psnr", -10 * torch.log10(mse))):  # fmt: skip
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        if progress is not None and (step % config.log_every == 0 or step == config.steps):
            n = config.log_every if step % config.log_every == 0 else step % config.log_every
            metrics = {k: v / n for k, v in sums.items()}
            metrics["sec_per_step"] = (time.perf_counter() - t0) / step
            progress(step, config.steps, metrics)
            sums = {}
    model = RestoreModel(ema.shadow.eval().requires_grad_(False), config.name)  # type: ignore[arg-type]
    model.metrics = {"steps": step, "train_s": round(time.perf_counter() - t0, 1)}
    return model
