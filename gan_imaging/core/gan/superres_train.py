"""Training the ``sr`` super-resolution nets (called by :func:`gan_imaging.core.gan.train`).

Data are high-resolution photo patches; each step degrades a random batch of them
(:mod:`.degrade`) into low-resolution inputs, so any folder of photos trains the model.

Losses, per step:

- warm-up (``step < config.warmup_steps``, or always when ``adv_weight == 0``): the pixel loss
  only (``config.pixel_loss``: L1, or L2 for the PSNR-oriented model);
- then one D step (``config.loss`` on real HR patches vs restored ones) and a G step on
  ``pixel + adv_weight * adversarial + fm_weight * feature matching`` (L1 between D's
  intermediate features of the real and the restored patch; Salimans et al. 2016, pix2pixHD).

Learning rates follow a cosine from the configured values down to 10 % at ``config.steps``.
Random draws (patch choice, crops, flips, degradations) come from one CPU generator seeded by
``config.seed``; setup, logging, the checkpoint format and resume are those of
:mod:`.loop`, shared with the GAN loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gan_imaging.core.errors import ConfigurationError, gettext_noop
from gan_imaging.core.gan.augment import dihedral
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.config import TrainConfig
from gan_imaging.core.gan.degrade import degrade
from gan_imaging.core.gan.loop import (
    MetricLog,
    Progress,
    autocast,
    load_matching,
    make_checkpoint,
    new_state,
    restore_checkpoint,
    scale_lrs,
    setup,
)
from gan_imaging.core.gan.losses import d_loss, g_loss
from gan_imaging.core.gan.nets.sr import PatchDiscriminator, SRGenerator

SRData = torch.Tensor | Sequence[torch.Tensor]
METRIC_KEYS = ("loss_d", "loss_g", "l1", "adv", "fm", "psnr")


def sr_patches(
    images: Iterable[Image.Image],
    *,
    crop: int = 192,
    count: int = 512,
    seed: int = 0,
    per_image: int | None = None,
) -> torch.Tensor:
    """Training patches from photos: uint8 (N, 3, crop, crop), N <= ``count``.

    Transparency is composited on white (as a page shows it). Product photos are mostly flat
    backdrop, so for each patch three random positions are tried and the one with the most
    gradient energy is kept three times out of four (the fourth keeps a random one, so the
    model still sees flat areas and learns to leave them clean). Photos smaller than ``crop``
    are skipped; none usable raises ConfigurationError. ``per_image``: patches per usable
    photo (default ``ceil(count / usable photos)``); give it to stream ``images`` from a
    generator without holding every decoded photo.
    """
    if per_image is None:
        images = [im for im in images if min(im.size) >= crop]
        per_image = max(1, math.ceil(count / max(1, len(images))))
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for im in images:
        if min(im.size) < crop:
            continue
        if im.mode != "RGB":
            rgba = im.convert("RGBA")
            im = Image.new("RGB", im.size, (255, 255, 255))
            im.paste(rgba, mask=rgba.getchannel("A"))
        arr = np.asarray(im)
        h, w = arr.shape[:2]
        for _ in range(per_image):
            cands = []
            for _ in range(3):
                y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
                p = arr[y : y + crop, x : x + crop]
                g = np.abs(np.diff(p.astype(np.int16), axis=0)).mean()
                cands.append((float(g), p))
            pick = max(cands, key=lambda c: c[0]) if rng.random() < 0.75 else cands[0]
            out.append(pick[1])
    if not out:
        raise ConfigurationError(
            gettext_noop(
                "None of the photos is at least %(crop)s px on its short side; choose larger "
                "photos."
            ),
            params={"crop": crop},
        )
    order = rng.permutation(len(out))[:count]
    stack = np.stack([out[i] for i in sorted(order)])
    return torch.from_numpy(stack.transpose(0, 3, 1, 2).copy())


class _Patches:
    """Random ``crop`` x ``crop`` HR crops with random flips/transposes, float [0, 1]."""

    def __init__(self, data: SRData, crop: int, device: torch.device):
        items = list(data.unbind(0)) if isinstance(data, torch.Tensor) else list(data)
        if not items:
            raise ConfigurationError(gettext_noop("No training photos were given."))
        for t in items:
            if t.dim() != 3 or t.shape[0] != 3 or min(t.shape[1:]) < crop:
                raise ConfigurationError(
                    gettext_noop(
                        "Each training image must be 3 x H x W with H, W >= %(crop)s; got "
                        "%(shape)s."
                    ),
                    params={"crop": crop, "shape": str(tuple(t.shape))},
                )
        self.uint8 = items[0].dtype == torch.uint8
        if not self.uint8:
            lo = min(float(t.min()) for t in items)
            hi = max(float(t.max()) for t in items)
            if lo < -1.01 or hi > 1.01:
                raise ConfigurationError(
                    gettext_noop(
                        "Training images must be uint8 or scaled to [-1, 1] (found "
                        "[%(low)s, %(high)s])."
                    ),
                    params={"low": f"{lo:.3g}", "high": f"{hi:.3g}"},
                )
        same = len({tuple(t.shape) for t in items}) == 1
        self.stack = torch.stack(items).to(device) if same else None
        self.items = [t.to(device) for t in items] if not same else []
        self.n = len(items)
        self.crop = crop

    def batch(self, size: int, rng: torch.Generator) -> torch.Tensor:
        c = self.crop
        idx = torch.randint(0, self.n, (size,), generator=rng).tolist()
        flips = torch.randint(0, 8, (size,), generator=rng).tolist()
        out = []
        for i, f in zip(idx, flips):
            t = self.stack[i] if self.stack is not None else self.items[i]
            y = int(torch.randint(0, t.shape[1] - c + 1, (1,), generator=rng))
            x = int(torch.randint(0, t.shape[2] - c + 1, (1,), generator=rng))
            out.append(dihedral(t[:, y : y + c, x : x + c], int(f)))
        hr = torch.stack(out).float()
        return hr / 255.0 if self.uint8 else (hr + 1) / 2


def train_sr(
    config: TrainConfig,
    data: SRData,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: Checkpoint | str | Path | None = None,
    init: Checkpoint | str | Path | None = None,
) -> Checkpoint:
    """Train an ``sr`` model; see :func:`gan_imaging.core.gan.train.train` for the contract.

    data: HR photos or patches as uint8 (N, 3, H, W) / a list of uint8 (3, H, W), or float in
    [-1, 1]; each at least ``config.crop`` px per side (``crop`` a multiple of the scale).
    init: start G (and its EMA) from this checkpoint's generator, with a fresh D and
    optimisers: how the GAN-sharpened variant is fine-tuned from the PSNR model.
    progress metrics: loss_d, loss_g, l1, adv, fm, psnr (dB, batch, [0, 1] scale), sec_per_step.
    """
    device, use_bf16, rng, G, D = setup(config)
    if not isinstance(G, SRGenerator) or not isinstance(D, PatchDiscriminator):
        raise ConfigurationError(
            gettext_noop("Architecture %(arch)s is not an upscaler."),
            params={"arch": repr(config.arch)},
        )
    scale = G.scale
    if config.crop % scale or config.crop // scale < 8:
        raise ConfigurationError(
            gettext_noop(
                "crop (%(crop)s) must be a multiple of the scale (%(scale)s) and >= %(min_crop)s."
            ),
            params={"crop": config.crop, "scale": scale, "min_crop": 8 * scale},
        )
    if init is not None:
        src = load_matching(init, config, device, gettext_noop(
            "Cannot start from %(version)s: it is %(arch)s %(arch_kwargs)s, the settings "
            "ask for %(wanted_arch)s %(wanted_kwargs)s."))
        G.load_state_dict(src.generator.state_dict())
    patches = _Patches(data, config.crop, device)
    live = new_state(config, G, D, rng)
    opt_g, opt_d, ema = live.opt_g, live.opt_d, live.ema
    start = 0 if resume is None else restore_checkpoint(resume, config, live, device)

    log = MetricLog(METRIC_KEYS, config.steps, progress, gettext_noop(
        "Upscaler training diverged at step %(step)s (loss is not a number). Lower the "
        "learning rates or the adversarial weight, then train again."))
    step = start
    zero = torch.zeros((), device=device)

    G.train()
    D.train()
    while step < config.steps:
        if should_stop is not None and should_stop():
            break
        decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, config.steps)))
        scale_lrs(((opt_g, config.lr_g), (opt_d, config.lr_d)), decay)
        hr01 = patches.batch(config.batch_size, rng)
        lr01 = degrade(hr01, scale, config.degradation, rng)
        hr, lo = hr01 * 2 - 1, lr01 * 2 - 1
        adversarial = config.adv_weight > 0 and step >= config.warmup_steps
        loss_d = zero
        if adversarial:
            with torch.no_grad(), autocast(use_bf16):
                fake = G(lo)
            with autocast(use_bf16):
                loss_d = d_loss(config.loss, D(hr).float(), D(fake.float()).float())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        with autocast(use_bf16):
            sr = G(lo).float()
        l1 = (sr - hr).abs().mean()
        pixel = l1 if config.pixel_loss == "l1" else (sr - hr).pow(2).mean()
        adv, fm = zero, zero
        loss_g = pixel
        if adversarial:
            D.requires_grad_(False)
            with autocast(use_bf16):
                logits, feats = D.features(sr)
                with torch.no_grad():
                    _, real_feats = D.features(hr)
            adv = g_loss(config.loss, logits.float())
            fm = sum(
                (F.l1_loss(a.float(), b.float()) for a, b in zip(feats, real_feats)), zero
            ) / len(feats)
            loss_g = pixel + config.adv_weight * adv + config.fm_weight * fm
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if adversarial:
            D.requires_grad_(True)
        if ema is not None:
            ema.update(G)
        step += 1
        with torch.no_grad():
            mse = ((sr.detach().clamp(-1, 1) - hr) / 2).pow(2).mean().clamp_min(1e-10)
            psnr = -10 * torch.log10(mse)
        log.add(step, (loss_d, loss_g, l1, adv, fm, psnr), every=config.log_every)
    return make_checkpoint(config, live, step, log.finish(step))
