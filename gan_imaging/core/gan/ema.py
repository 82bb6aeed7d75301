"""Exponential moving average of generator weights (Karras et al.; Yazici et al. 2019).

Sampling from the averaged weights instead of the last iterate removes much of the
step-to-step jitter of GAN training; it costs one copy of G and no extra forward passes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps ``shadow``, an averaged copy of ``model``.

    decay: per-step decay in [0, 1). The effective decay is warmed up as
    ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so short (CPU) runs are not
    dominated by the random initial weights. Buffers (BatchNorm statistics) are copied, not
    averaged, as in StyleGAN2-ADA.
    """

    def __init__(self, model: nn.Module, decay: float, *, num_updates: int = 0):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.num_updates = num_updates
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = self.current_decay()
        self.num_updates += 1
        for p_ema, p in zip(self.shadow.parameters(), model.parameters()):
            p_ema.lerp_(p.detach(), 1.0 - d)  # d * shadow + (1 - d) * model
        for b_ema, b in zip(self.shadow.buffers(), model.buffers()):
            b_ema.copy_(b)
