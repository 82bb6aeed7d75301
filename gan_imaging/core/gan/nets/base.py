"""Building blocks shared by the architectures: the generator/discriminator pair and helpers."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

LATENT_VECTOR = "vector"  # z: float32 (B, z_dim) ~ N(0, 1)
LATENT_SPATIAL = "spatial"  # noise field (B, z_dim, h, w) ~ N(0, 1) plus per-sample phases


@dataclass
class GanNets:
    """A generator and its discriminator, as built by an ``ARCHS`` entry.

    ``generator.latent_kind`` is ``"vector"`` or ``"spatial"`` and ``generator.z_dim`` the number
    of noise channels; samplers and the trainer read nothing else from the modules.
    """

    generator: nn.Module
    discriminator: nn.Module


class PixelNorm(nn.Module):
    """Normalise each pixel's feature vector to unit RMS (ProGAN).

    Chosen over BatchNorm where outputs must not depend on the batch or on the image size:
    per-pixel statistics are identical in training and inference and for any crop of a noise
    field, which keeps chunked texture generation exact.
    """

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + self.eps)


def dcgan_init(module: nn.Module) -> None:
    """Radford et al.'s initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02).

    Draws from torch's global generator; callers seed it (``train`` forks the RNG state).
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def activation(name: str) -> nn.Module:
    """``"relu"`` or ``"lrelu"`` (LeakyReLU 0.2, the DCGAN discriminator's choice)."""
    if name == "relu":
        return nn.ReLU(inplace=False)
    if name == "lrelu":
        return nn.LeakyReLU(0.2, inplace=False)
    raise ValueError(f"unknown activation {name!r}; use 'relu' or 'lrelu'")


def check_images(x: torch.Tensor, *, channels: int, size: int | None = None) -> None:
    """Assert ``x`` is (B, channels, size, size); ``size=None`` accepts any H, W."""
    assert x.dim() == 4, f"expected NCHW images, got shape {tuple(x.shape)}"
    assert x.shape[1] == channels, f"expected {channels} channels, got {tuple(x.shape)}"
    if size is not None:
        assert x.shape[2:] == (size, size), f"expected {size}x{size} images, got {tuple(x.shape)}"
