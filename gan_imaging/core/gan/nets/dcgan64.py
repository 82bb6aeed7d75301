"""``dcgan64``: Radford et al.'s 64x64 DCGAN (as in pytorch/examples ``dcgan/main.py``).

With ``width=64`` and ``channels=3`` the layer sizes match the pytorch/examples model exactly
(G 3,576,704 and D 2,765,568 parameters); the only change is that D returns logits instead of a
sigmoid, because every loss here is computed stably from logits.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_imaging.core.gan.nets.base import LATENT_VECTOR, GanNets, check_images, dcgan_init


class Generator64(nn.Module):
    """z float32 (B, z_dim) ~ N(0, 1) -> images float32 (B, channels, 64, 64) in [-1, 1]."""

    latent_kind = LATENT_VECTOR

    def __init__(self, *, z_dim: int = 100, width: int = 64, channels: int = 3):
        super().__init__()
        self.z_dim = z_dim
        w = width
        self.main = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 8 * w, 4, 1, 0, bias=False),  # (B, 8w, 4, 4)
            nn.BatchNorm2d(8 * w),
            nn.ReLU(True),
            nn.ConvTranspose2d(8 * w, 4 * w, 4, 2, 1, bias=False),  # (B, 4w, 8, 8)
            nn.BatchNorm2d(4 * w),
            nn.ReLU(True),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False),  # (B, 2w, 16, 16)
            nn.BatchNorm2d(2 * w),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),  # (B, w, 32, 32)
            nn.BatchNorm2d(w),
            nn.ReLU(True),
            nn.ConvTranspose2d(w, channels, 4, 2, 1, bias=False),  # (B, channels, 64, 64)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        assert z.dim() == 2 and z.shape[1] == self.z_dim, (
            f"expected (B, {self.z_dim}), got {z.shape}"
        )
        return self.main(z[:, :, None, None])


class Discriminator64(nn.Module):
    """images float32 (B, channels, 64, 64) in [-1, 1] -> logits float32 (B,)."""

    def __init__(self, *, width: int = 64, channels: int = 3):
        super().__init__()
        self.channels = channels
        w = width
        self.main = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1, bias=False),  # (B, w, 32, 32)
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),  # (B, 2w, 16, 16)
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False),  # (B, 4w, 8, 8)
            nn.BatchNorm2d(4 * w),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4 * w, 8 * w, 4, 2, 1, bias=False),  # (B, 8w, 4, 4)
            nn.BatchNorm2d(8 * w),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(8 * w, 1, 4, 1, 0, bias=False),  # (B, 1, 1, 1), logits: no sigmoid
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=self.channels, size=64)
        return self.main(x).flatten()  # (B,)


def build(*, z_dim: int = 100, width: int = 64, channels: int = 3) -> GanNets:
    """Build the 64x64 DCGAN.

    z_dim: latent size (100). width: ngf = ndf, the channels of G's last and D's first layer
    (64 in the paper; 8-16 for tests). channels: 3 for RGB, 1 for grey.
    """
    nets = GanNets(
        generator=Generator64(z_dim=z_dim, width=width, channels=channels),
        discriminator=Discriminator64(width=width, channels=channels),
    )
    dcgan_init(nets.generator)
    dcgan_init(nets.discriminator)
    return nets
