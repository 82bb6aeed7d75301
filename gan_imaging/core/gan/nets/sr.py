"""``sr``: a compact super-resolution generator and a patch discriminator.

The generator follows Real-ESRGAN's SRVGGNetCompact (Wang et al. 2021, ``srvgg_arch.py``): a
plain stack of 3x3 convolutions with PReLU at the *low* resolution, one conv to
``3 * scale**2`` channels and a pixel shuffle, added to a fixed upsampling of the input. Two
choices differ from the original and both are about our budget (CPU training and inference):

- far fewer and narrower layers (default 32 features, 6 body convs, 60-70 k parameters instead
  of 64 / 32 / 1.2 M), so inference is many times faster on a CPU and a few thousand CPU
  training steps suffice (deeper plain stacks train measurably slower at this budget);
- the fixed base is a bicubic (not nearest) upsampling and the last conv starts at zero, so an
  untrained net *is* bicubic and training only has to learn the missing detail, which is what
  lets a few thousand CPU steps beat bicubic clearly.

The net is fully convolutional with no normalisation, so an output pixel depends only on the
input pixels within ``margin`` low-resolution pixels: tiles cut with that much context are
exactly the untiled result (see :mod:`gan_imaging.core.gan.superres`).

The discriminator is a small spectrally normalised patch critic (one logit per ~16 x 16 px
patch) that also returns its intermediate features, for feature matching.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_imaging.core.gan.nets.base import GanNets, check_images

#: ``generator.latent_kind`` of super-resolution nets: the input is a low-resolution image.
LATENT_IMAGE = "image"
SCALES = (2, 4)


class SRGenerator(nn.Module):
    """Low-resolution image -> image ``scale`` times larger.

    Input: float32 (B, channels, h, w) in [-1, 1]. Output: float32 (B, channels, h * scale,
    w * scale), nominally in [-1, 1] (not clamped; callers clamp when quantising).
    ``margin``: receptive radius in input pixels (body convs + 2, plus 2 for the bicubic base).
    """

    latent_kind = LATENT_IMAGE
    z_dim = 0

    def __init__(self, *, scale: int = 2, features: int = 32, convs: int = 6, channels: int = 3):
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {scale}")
        if features < 1 or convs < 0:
            raise ValueError("features must be >= 1 and convs >= 0")
        self.scale = scale
        self.channels = channels
        self.margin = convs + 2 + 2
        layers: list[nn.Module] = [nn.Conv2d(channels, features, 3, padding=1), nn.PReLU(features)]
        for _ in range(convs):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.PReLU(features)]
        self.body = nn.Sequential(*layers)
        self.tail = nn.Conv2d(features, channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)
        # He init for PReLU(0.25) keeps activations from fading through the stack (torch's
        # default shrinks them ~3x per layer, which leaves a deep narrow stack nearly dead).
        for m in self.body:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.25, nonlinearity="leaky_relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.zeros_(self.tail.weight)
        if self.tail.bias is not None:
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=self.channels)
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.shuffle(self.tail(self.body(x)))  # (B, C, h*s, w*s)


class PatchDiscriminator(nn.Module):
    """High-resolution image -> a map of logits, one per ~16 px patch (stride 8).

    Input: float32 (B, channels, H, W) in [-1, 1], H and W >= 32. ``forward(x)`` returns the
    logits (B, 1, H/8 - 1, W/8 - 1); ``features(x)`` returns the logits and the list of
    intermediate activations used for feature matching. Spectral norm on every conv keeps the
    critic Lipschitz without batch statistics.
    """

    def __init__(self, *, width: int = 32, channels: int = 3):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.channels = channels
        self.blocks = nn.ModuleList(
            [
                nn.Sequential(sn(nn.Conv2d(channels, width, 3, padding=1)), nn.LeakyReLU(0.2)),
                nn.Sequential(
                    sn(nn.Conv2d(width, width * 2, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)
                ),
                nn.Sequential(
                    sn(nn.Conv2d(width * 2, width * 4, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)
                ),
                nn.Sequential(
                    sn(nn.Conv2d(width * 4, width * 4, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)
                ),
            ]
        )
        self.head = sn(nn.Conv2d(width * 4, 1, 2))

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        check_images(x, channels=self.channels)
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return self.head(x), feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)[0]


def build(
    *,
    scale: int = 2,
    features: int = 32,
    convs: int = 6,
    channels: int = 3,
    d_width: int = 32,
) -> GanNets:
    """Build the super-resolution generator and its patch discriminator.

    scale: 2 or 4. features: channels of every body conv (32: 60-70 k parameters; the bound the
    issue sets is 1.5 M, i.e. about features 64 with 32 convs). convs: body convs after the
    first. channels: 3 (RGB). d_width: channels of D's first layer (D is only used in training).
    """
    return GanNets(
        generator=SRGenerator(scale=scale, features=features, convs=convs, channels=channels),
        discriminator=PatchDiscriminator(width=d_width, channels=channels),
    )
