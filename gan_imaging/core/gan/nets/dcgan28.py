"""``dcgan28``: the seed article's MNIST DCGAN (section 3.3), ported to torch with its bugs fixed.

The article's Keras code, as printed::

    G: Dense(7*7*128, relu) -> Reshape(7, 7, 128) -> Conv2DTranspose(128, 5, s1, relu)
       -> Conv2DTranspose(128, 5, s2, relu) -> Conv2D(1, 5, s2, tanh)
    D: Conv2D(128, 5, s2, relu) -> Flatten -> Dense(1, sigmoid)
    loss: BinaryCrossentropy(from_logits=True); Adam(1e-4) for both

Two bugs are fixed here:

1. The generator's last layer is a *strided convolution*, which halves 14x14 back to 7x7, so
   G cannot produce the 28x28 images D expects. It is a stride-2 transposed convolution here:
   7 -> 7 -> 14 -> 28.
2. D ends in a sigmoid while the loss treats its output as logits, so the loss saw
   sigmoid(sigmoid(.)) and saturated. D returns raw logits here; the losses in
   :mod:`gan_imaging.core.gan.losses` apply the sigmoid implicitly (softplus).

The defaults reproduce the fixed seed architecture; the keyword arguments allow the
DCGAN-style upgrades (BatchNorm in G, LeakyReLU and a second conv layer in D) our recipe uses.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_imaging.core.gan.nets.base import (
    LATENT_VECTOR,
    GanNets,
    PixelNorm,
    activation,
    check_images,
    dcgan_init,
)


class Generator28(nn.Module):
    """z float32 (B, z_dim) ~ N(0, 1) -> images float32 (B, 1, 28, 28) in [-1, 1]."""

    latent_kind = LATENT_VECTOR

    def __init__(self, *, z_dim: int = 100, width: int = 128, norm: str = "none",
                 n_codes: int = 0):
        super().__init__()
        if norm not in ("none", "batch", "pixel"):
            raise ValueError(f"norm must be 'none', 'batch' or 'pixel', not {norm!r}")
        if not 0 <= n_codes <= z_dim:
            raise ValueError(f"n_codes must be in [0, z_dim={z_dim}], not {n_codes!r}")
        self.z_dim = z_dim
        self.width = width
        self.n_codes = n_codes

        def bn(c: int) -> nn.Module:
            if norm == "batch":
                return nn.BatchNorm2d(c)
            return PixelNorm() if norm == "pixel" else nn.Identity()

        self.fc = nn.Linear(z_dim, width * 7 * 7)
        # A categorical code read off z (see latent_code): one learned 7x7 map per code, added
        # to fc's output, which lets G jump between separate modes (digits) instead of
        # morphing through ambiguous shapes between them.
        self.code_embed = nn.Embedding(n_codes, width * 7 * 7) if n_codes else None
        if self.code_embed is not None:  # same scale as fc(z) at DCGAN init: 0.02 * sqrt(z_dim)
            nn.init.normal_(self.code_embed.weight, 0.0, 0.02 * z_dim**0.5)
        self.fc_norm = bn(width)
        # padding=2 + output_padding=1 reproduces Keras "same" for a 5x5 stride-2 transposed conv.
        self.body = nn.Sequential(
            nn.ConvTranspose2d(width, width, 5, stride=1, padding=2),  # 7x7 -> 7x7
            bn(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, width, 5, stride=2, padding=2, output_padding=1),  # -> 14x14
            bn(width),
            nn.ReLU(),
            # The seed's Conv2D(stride 2) here went back down to 7x7 (bug 1).
            nn.ConvTranspose2d(width, 1, 5, stride=2, padding=2, output_padding=1),  # -> 28x28
            nn.Tanh(),
        )

    def latent_code(self, z: torch.Tensor) -> torch.Tensor:
        """The categorical code of each latent: argmax of its first ``n_codes`` entries, int64
        (B,) in [0, n_codes). For z ~ N(0, 1) every code is equally likely, so sampling needs
        nothing but z and a seed still fixes the image."""
        return z[:, : self.n_codes].argmax(dim=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        assert z.dim() == 2 and z.shape[1] == self.z_dim, (
            f"expected (B, {self.z_dim}), got {z.shape}"
        )
        x = self.fc(z)  # (B, width * 49)
        if self.code_embed is not None:
            x = x + self.code_embed(self.latent_code(z))
        x = x.view(-1, self.width, 7, 7)  # (B, width, 7, 7)
        x = torch.relu(self.fc_norm(x))
        return self.body(x)  # (B, 1, 28, 28)


class Discriminator28(nn.Module):
    """images float32 (B, 1, 28, 28) in [-1, 1] -> logits float32 (B,) (not probabilities)."""

    def __init__(self, *, width: int = 128, depth: int = 1, act: str = "relu", norm: str = "none",
                 n_codes: int = 0):
        super().__init__()
        if depth not in (1, 2):
            raise ValueError(f"depth must be 1 (the seed's) or 2, not {depth!r}")
        if norm not in ("none", "batch"):
            raise ValueError(f"norm must be 'none' or 'batch', not {norm!r}")
        layers: list[nn.Module] = [nn.Conv2d(1, width, 5, stride=2, padding=2), activation(act)]
        size, channels = 14, width  # after the first conv: (B, width, 14, 14)
        if depth == 2:
            layers += [nn.Conv2d(width, 2 * width, 5, stride=2, padding=2)]
            layers += [nn.BatchNorm2d(2 * width)] if norm == "batch" else []
            layers += [activation(act)]
            size, channels = 7, 2 * width  # (B, 2*width, 7, 7)
        self.features = nn.Sequential(*layers)
        # No sigmoid: the seed's Dense(1, sigmoid) fed probabilities to a from_logits loss (bug 2).
        self.head = nn.Linear(channels * size * size, 1)
        # InfoGAN's Q: predicts G's categorical code from the same features (info_weight).
        self.code_head = nn.Linear(channels * size * size, n_codes) if n_codes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=1, size=28)
        return self.head(self.features(x).flatten(1)).squeeze(1)  # (B,)

    def forward_info(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B,) and code logits (B, n_codes) from one pass over the features."""
        check_images(x, channels=1, size=28)
        assert self.code_head is not None, "built without n_codes"
        h = self.features(x).flatten(1)
        return self.head(h).squeeze(1), self.code_head(h)


def build(
    *,
    z_dim: int = 100,
    g_width: int = 128,
    d_width: int = 128,
    g_norm: str = "none",
    d_depth: int = 1,
    d_act: str = "relu",
    d_norm: str = "none",
    n_codes: int = 0,
) -> GanNets:
    """Build the (fixed) seed MNIST DCGAN.

    z_dim: latent size (the seed's 100). g_width / d_width: channels of G's convolutions and
    D's first convolution (the seed's 128). g_norm: ``"none"`` (seed), ``"batch"`` or
    ``"pixel"`` (PixelNorm: no batch statistics, so EMA weights sample exactly as trained).
    d_depth: 1 conv layer (seed) or 2. d_act: ``"relu"`` (seed) or ``"lrelu"``.
    d_norm: ``"none"`` (seed) or ``"batch"`` after D's second conv (needs d_depth=2).
    n_codes: 0 (seed) or the number of categories of a discrete code read off z's first
    entries (G adds a learned map per code; D gets InfoGAN's code head, trained when the
    config's ``info_weight`` > 0).
    """
    nets = GanNets(
        generator=Generator28(z_dim=z_dim, width=g_width, norm=g_norm, n_codes=n_codes),
        discriminator=Discriminator28(
            width=d_width, depth=d_depth, act=d_act, norm=d_norm, n_codes=n_codes
        ),
    )
    dcgan_init(nets.generator)
    dcgan_init(nets.discriminator)
    return nets
