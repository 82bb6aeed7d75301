"""Training and evaluation of the harmoniser (:mod:`.harmonise`) on composites made from real
product photos.

A composite is a real photo whose product (its cutout matte) is re-coloured and re-lit by
:func:`recolour`: a per-channel gain (colour cast), a brightness change, a gamma and a
saturation change, each drawn from a fixed range. The net sees the composite and the matte
and must restore the photo (a masked mean-squared reconstruction loss); a spectrally
normalised patch discriminator that tells restored composites from real photos adds a
non-saturating GAN loss after a warm-up. The photos themselves are loaded by
:func:`load_corpus` from a folder with the corpus's ``manifest.csv``.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from gan_imaging.core.gan.harmonise import (
    SIZE,
    HarmoniserModel,
    HarmoniserNet,
    PatchDiscriminator,
    harmonise_batch,
)
from gan_imaging.core.gan.superres import is_held_out

#: Ranges of :func:`recolour` (natural-log units for gains, brightness and gamma).
CAST, BRIGHTNESS, GAMMA, SATURATION = 0.2, 0.3, 0.3, (0.6, 1.4)


def recolour(rgb: torch.Tensor, mask: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Re-colour and re-light the ``mask`` region of ``rgb`` (float32 (B, 3, H, W) in [0, 1],
    mask (B, 1, H, W) in [0, 1]) with one random transform per image drawn from ``gen``:
    gamma exp(±0.3), saturation 0.6–1.4, per-channel gain exp(±0.2) and brightness exp(±0.3)."""
    b = rgb.shape[0]
    gamma = torch.exp((torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * GAMMA)
    sat = SATURATION[0] + torch.rand(b, 1, 1, 1, generator=gen) * (SATURATION[1] - SATURATION[0])
    gain = torch.exp((torch.rand(b, 3, 1, 1, generator=gen) * 2 - 1) * CAST)
    light = torch.exp((torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * BRIGHTNESS)
    x = rgb.clamp(1e-4, 1) ** gamma
    lum = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = (lum + sat * (x - lum)) * gain * light
    return rgb * (1 - mask) + x.clamp(0, 1) * mask


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PSNR (dB) per image of float (B, 3, H, W) in [0, 1], over the whole image."""
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    return 10 * torch.log10(1 / mse)


def _usable(row: dict[str, str]) -> bool:
    licence = row["license"].lower()
    return (row["bg"] in ("white", "complex", "plain-color") and "not a product" not in row["notes"]
            and not licence.startswith("unknown") and "gpl" not in licence)  # fmt: skip


def load_corpus(
    root: str | Path, *, held_out: bool, size: int = SIZE, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Photos of the corpus at ``root`` (its ``manifest.csv``) whose licence allows derived
    weights (not "unknown", not GPL), one product per photo, in the evaluation split
    (``held_out``, :func:`~.superres.is_held_out`) or the training split.

    Returns uint8 (N, size, size, 3) photos resized (not cropped) to ``size`` px, their
    product mattes uint8 (N, size, size) from :func:`~gan_imaging.core.vision.cutout.cutout`,
    and the file names. Photos whose matte covers under 3 % or over 85 % are left out.
    """
    from gan_imaging.core.vision.cutout import cutout

    root = Path(root)
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if _usable(r) and is_held_out(r["file"]) == held_out]
    images, mattes, names = [], [], []
    for row in rows[:limit]:
        with Image.open(root / row["file"]) as im:
            im.draft("RGB", (512, 512))
            rgb = im.convert("RGB")
        rgb.thumbnail((384, 384), Image.Resampling.LANCZOS)
        alpha = cutout(rgb).alpha
        share = float(np.asarray(alpha, np.float32).mean() / 255)
        if not 0.03 <= share <= 0.85:
            continue
        images.append(np.asarray(rgb.resize((size, size), Image.Resampling.BOX)))
        mattes.append(np.asarray(alpha.resize((size, size), Image.Resampling.BOX)))
        names.append(row["file"])
    if not images:
        return np.zeros((0, size, size, 3), np.uint8), np.zeros((0, size, size), np.uint8), []
    return np.stack(images), np.stack(mattes), names


def to_tensors(images: np.ndarray, mattes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, H, W, 3) and (N, H, W) -> float32 (N, 3, H, W) and (N, 1, H, W) in [0, 1]."""
    rgb = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return rgb, torch.from_numpy(mattes)[:, None].float() / 255


@dataclass(frozen=True)
class HarmoniserConfig:
    """steps: optimiser steps (one D and one G step each); batch: composites per step;
    width: the net's first-layer channels; lr: Adam learning rate of both nets (cosine to 10 %);
    adv_weight: weight of the GAN loss against the reconstruction (0 = reconstruction only);
    warmup: steps of reconstruction only; seed: initialisation, batches and re-colouring."""

    steps: int = 2000
    batch: int = 16
    width: int = 16
    lr: float = 2e-3
    adv_weight: float = 0.01
    warmup: int = 300
    seed: int = 0


def train(
    config: HarmoniserConfig,
    images: np.ndarray,
    mattes: np.ndarray,
    *,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> HarmoniserModel:
    """Train a harmoniser on photos uint8 (N, S, S, 3) and mattes (N, S, S) (see
    :func:`load_corpus`). Deterministic on the CPU for a given config, data and torch."""
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    rgb_all, mask_all = to_tensors(images, mattes)
    net, disc = HarmoniserNet(width=config.width), PatchDiscriminator(width=2 * config.width)
    opt_g = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr, betas=(0.5, 0.99))
    t0, logs = time.perf_counter(), {"rec": 0.0, "adv": 0.0, "d": 0.0}
    for step in range(1, config.steps + 1):
        lr = config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / config.steps)))
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        idx = torch.randint(0, len(rgb_all), (config.batch,), generator=gen)
        real, mask = rgb_all[idx], mask_all[idx]
        if torch.rand(1, generator=gen).item() < 0.5:
            real, mask = real.flip(3), mask.flip(3)
        comp = recolour(real, mask, gen)
        fake = harmonise_batch(net, comp, mask)  # the net sees SIZE px, the loss full size
        adv_on = config.adv_weight > 0 and step > config.warmup
        if adv_on:
            d_loss = (F.softplus(-disc(real, mask)).mean()
                      + F.softplus(disc(fake.detach(), mask)).mean())  # fmt: skip
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            logs["d"] = float(d_loss.detach())
        rec = (((fake - real) ** 2) * mask).sum() / mask.sum().clamp_min(1) / 3
        loss = rec * 100
        if adv_on:
            adv = F.softplus(-disc(fake, mask)).mean()
            loss = loss + config.adv_weight * adv * 100
            logs["adv"] = float(adv.detach())
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        logs["rec"] = float(rec.detach())
        if progress and (step % 100 == 0 or step == config.steps):
            progress(step, dict(logs, sec_per_step=(time.perf_counter() - t0) / step))
    net.eval().requires_grad_(False)
    info: dict[str, Any] = {"config": asdict(config), "train_s": round(time.perf_counter() - t0, 1)}
    return HarmoniserModel(net, config.width, info=info)


@torch.no_grad()
def evaluate(model: HarmoniserModel, images: np.ndarray, mattes: np.ndarray, *, seed: int = 1234
             ) -> dict[str, float]:  # fmt: skip
    """Mean PSNR (dB, whole image) of the composites and of their harmonised versions on
    ``images``/``mattes`` (uint8, any square size), each photo re-coloured once with ``seed``;
    ``gain`` = harmonised − composite."""
    if len(images) == 0:
        return {"n": 0, "psnr_composite": float("nan"), "psnr_harmonised": float("nan"),
                "gain": float("nan")}  # fmt: skip
    real, mask = to_tensors(images, mattes)
    comp = recolour(real, mask, torch.Generator().manual_seed(seed))
    out = harmonise_batch(model.net, comp, mask)
    before, after = float(psnr(comp, real).mean()), float(psnr(out, real).mean())
    return {"n": len(images), "psnr_composite": round(before, 3),
            "psnr_harmonised": round(after, 3), "gain": round(after - before, 3)}  # fmt: skip
