"""``texture``: a fully convolutional spatial-noise GAN (Spatial GAN / PSGAN family).

The generator maps a noise *field* (B, z_dim, h, w) to an image of (h * scale, w * scale) with
``scale = 2 ** n_up``. Because it has no dense layer, any field size works, so one pass (or a
few overlapping chunks, see :mod:`gan_imaging.core.gan.spatial`) produces a banner of any size
without tiling. As in PSGAN (Bergmann et al. 2017), ``n_periodic`` extra channels are planar
sine waves ``sin(k . (y, x) + phase)`` evaluated at absolute noise-grid coordinates: the wave
vectors ``k`` are learned, the phases are random per sample. They let the generator keep long
range regularity (brick courses) that a receptive field of a few cells cannot.

Why PixelNorm instead of SGAN's BatchNorm in G: batch statistics would make a pixel depend on
the whole field and on the batch, breaking both train/inference consistency and exact chunking.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gan_imaging.core.gan.nets.base import (
    LATENT_SPATIAL,
    GanNets,
    PixelNorm,
    check_images,
    dcgan_init,
)
from gan_imaging.core.gan.spatial import DEFAULT_CHUNK, generate_texture


class TextureGenerator(nn.Module):
    """Noise field -> texture.

    Inputs: ``noise`` float32 (B, z_dim, h, w) ~ N(0, 1); ``phase`` float32 (B, n_periodic) in
    [0, 2 pi); ``origin`` (y, x): the field's top-left position in noise cells, so that a chunk
    cut from a larger field gets the same sine waves as the whole field.
    Output: float32 (B, channels, h * scale, w * scale) in [-1, 1].

    ``margin`` is how many noise cells around a pixel's own cell can influence it (the
    receptive radius, rounded up): a chunk computed with that many extra cells on every side
    matches the unchunked result exactly in its interior.
    """

    latent_kind = LATENT_SPATIAL

    def __init__(
        self,
        *,
        z_dim: int = 16,
        n_periodic: int = 4,
        width: int = 16,
        max_width: int = 128,
        n_up: int = 4,
        channels: int = 1,
    ):
        super().__init__()
        self.z_dim = z_dim
        self.n_periodic = n_periodic
        self.channels = channels
        self.scale = 2**n_up
        # Each ConvT(4, s2, p1) output depends on input cells within 1 of its centre, i.e.
        # 1, 1/2, 1/4 ... noise cells for successive layers (< 2 in total), plus one pixel for
        # the final 3x3 conv: 3 cells is a safe bound that the chunking test checks.
        self.margin = 3
        # Wave vectors in radians per noise cell; |k| < pi keeps them below the grid's Nyquist.
        self.wave = nn.Parameter(torch.empty(n_periodic, 2).uniform_(-math.pi / 2, math.pi / 2))
        widths = [min(max_width, width * 2 ** (n_up - 1 - i)) for i in range(n_up)]
        layers: list[nn.Module] = []
        c_in = z_dim + n_periodic
        for c in widths:  # each block doubles H and W
            layers += [nn.ConvTranspose2d(c_in, c, 4, stride=2, padding=1), PixelNorm(), nn.ReLU()]
            c_in = c
        layers += [nn.Conv2d(c_in, channels, 3, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def periodic(
        self, phase: torch.Tensor, h: int, w: int, origin: tuple[int, int]
    ) -> torch.Tensor:
        """Sine channels (B, n_periodic, h, w) at absolute cell coordinates starting at origin."""
        dev = self.wave.device
        ys = torch.arange(h, device=dev, dtype=torch.float32) + float(origin[0])
        xs = torch.arange(w, device=dev, dtype=torch.float32) + float(origin[1])
        arg = (
            self.wave[:, 0, None, None] * ys[:, None] + self.wave[:, 1, None, None] * xs
        )  # (P,h,w)
        return torch.sin(arg[None] + phase[:, :, None, None])

    def forward(
        self, noise: torch.Tensor, phase: torch.Tensor, origin: tuple[int, int] = (0, 0)
    ) -> torch.Tensor:
        assert noise.dim() == 4 and noise.shape[1] == self.z_dim, (
            f"expected noise (B, {self.z_dim}, h, w), got {tuple(noise.shape)}"
        )
        assert phase.shape == (noise.shape[0], self.n_periodic), (
            f"expected phase ({noise.shape[0]}, {self.n_periodic}), got {tuple(phase.shape)}"
        )
        h, w = noise.shape[2:]
        x = noise
        if self.n_periodic:
            x = torch.cat([noise, self.periodic(phase, h, w, origin).to(noise.dtype)], dim=1)
        return self.body(x)  # (B, channels, h * scale, w * scale)

    def generate(
        self, width: int, height: int, *, seed: int = 0, chunk: int | None = DEFAULT_CHUNK
    ) -> torch.Tensor:
        """Exactly ``width`` x ``height`` pixels: float32 (channels, height, width) in [-1, 1]
        on the CPU, for any size up to 16384 per side (see :func:`spatial.generate_texture`)."""
        return generate_texture(self, width, height, seed=seed, chunk=chunk)


class TextureDiscriminator(nn.Module):
    """Patch discriminator: images float32 (B, channels, H, W) in [-1, 1], H and W multiples of
    16 -> logits float32 (B, H/16 * W/16), one per overlapping patch (receptive field ~78 px)."""

    def __init__(self, *, width: int = 32, channels: int = 1, norm: str = "batch"):
        super().__init__()
        if norm not in ("none", "batch"):
            raise ValueError(f"norm must be 'none' or 'batch', not {norm!r}")
        self.channels = channels

        def bn(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if norm == "batch" else nn.Identity()

        w = width
        self.main = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1),  # (B, w, H/2, W/2)
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1),  # (B, 2w, H/4, W/4)
            bn(2 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1),  # (B, 4w, H/8, W/8)
            bn(4 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 8 * w, 4, 2, 1),  # (B, 8w, H/16, W/16)
            bn(8 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8 * w, 1, 3, 1, 1),  # (B, 1, H/16, W/16) patch logits
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=self.channels)
        assert x.shape[2] % 16 == 0 and x.shape[3] % 16 == 0, (
            f"H, W must be multiples of 16: {x.shape}"
        )
        return self.main(x).flatten(1)  # (B, patches)


def build(
    *,
    z_dim: int = 16,
    n_periodic: int = 4,
    g_width: int = 16,
    g_max_width: int = 128,
    n_up: int = 4,
    channels: int = 1,
    d_width: int = 32,
    d_norm: str = "batch",
) -> GanNets:
    """Build the spatial texture GAN.

    z_dim: iid noise channels per cell. n_periodic: PSGAN sine channels (0 disables).
    g_width: G channels at the finest level, doubled per coarser level up to g_max_width.
    n_up: upsampling blocks; one noise cell becomes 2**n_up pixels. channels: 1 grey, 3 RGB.
    d_width: channels of D's first layer. d_norm: ``"batch"`` or ``"none"`` in D (G never
    uses batch statistics, see the module docstring).
    """
    nets = GanNets(
        generator=TextureGenerator(
            z_dim=z_dim,
            n_periodic=n_periodic,
            width=g_width,
            max_width=g_max_width,
            n_up=n_up,
            channels=channels,
        ),
        discriminator=TextureDiscriminator(width=d_width, channels=channels, norm=d_norm),
    )
    dcgan_init(nets.generator)
    dcgan_init(nets.discriminator)
    return nets
