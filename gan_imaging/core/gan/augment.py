"""DiffAugment (Zhao et al., NeurIPS 2020): differentiable augmentations applied to *both* real
and generated images before the discriminator, so D cannot memorise a small training set while
G still receives gradients through the augmentation.

Follows ``mit-han-lab/data-efficient-gans`` ``DiffAugment_pytorch.py`` (same ranges) with one
change: random draws come from an explicit CPU ``torch.Generator`` so a training run is
reproducible bit for bit and independent of the global RNG.
Images are float NCHW in [-1, 1]; outputs may leave that range slightly (brightness), as in
the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Op = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def dihedral(t: torch.Tensor, code: int) -> torch.Tensor:
    """One of the 8 flips/transposes of a (C, H, W) patch: bit 1 flips W, bit 2 flips H, bit 4
    transposes (``code`` 0–7; 0 is ``t`` itself)."""
    if code & 1:
        t = t.flip(2)
    if code & 2:
        t = t.flip(1)
    if code & 4:
        t = t.transpose(1, 2)
    return t


def _rand(gen: torch.Generator, x: torch.Tensor, *shape: int) -> torch.Tensor:
    # Drawn on the CPU generator, then moved: identical draws on every device.
    return torch.rand(*shape, generator=gen).to(device=x.device, dtype=x.dtype)


def brightness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Add a per-image offset in [-0.5, 0.5)."""
    return x + (_rand(gen, x, x.shape[0], 1, 1, 1) - 0.5)


def saturation(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Scale the distance from the per-pixel channel mean by [0, 2) (no-op for grey images)."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand(gen, x, x.shape[0], 1, 1, 1) * 2) + mean


def contrast(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Scale the distance from the per-image mean by [0.5, 1.5)."""
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_rand(gen, x, x.shape[0], 1, 1, 1) + 0.5) + mean


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros (mid grey)."""
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sh, sh + 1, (b, 1, 1), generator=gen).to(x.device)
    tx = torch.randint(-sw, sw + 1, (b, 1, 1), generator=gen).to(x.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    # Index into a 1-pixel zero border: clamping to it fills the vacated area with zeros.
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gy, gx].permute(0, 3, 1, 2).contiguous()


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ``ratio`` of the size at a random centre in each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=gen).to(x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=gen).to(x.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


POLICIES: dict[str, list[Op]] = {
    "color": [brightness, saturation, contrast],
    "translation": [translation],
    "cutout": [cutout],
}


def parse_policy(policy: str) -> list[str]:
    """``"color,translation,cutout"`` -> names; ``""`` -> no augmentation. Unknown names raise."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    for name in names:
        if name not in POLICIES:
            raise ValueError(f"unknown DiffAugment op {name!r}; known: {', '.join(POLICIES)}")
    return names


def diff_augment(x: torch.Tensor, policy: str, gen: torch.Generator) -> torch.Tensor:
    """Apply the comma-separated ``policy`` to float NCHW images; differentiable in ``x``."""
    for name in parse_policy(policy):
        for op in POLICIES[name]:
            x = op(x, gen)
    return x
