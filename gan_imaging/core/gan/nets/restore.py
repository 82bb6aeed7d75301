"""``restore``: a compact x1 restoration net (JPEG blocking and ringing, sensor noise).

Same family as the upscaler (:mod:`.sr`, after Real-ESRGAN's SRVGGNetCompact): a plain stack
of 3x3 convolutions with PReLU and a residual onto the input, its last conv starting at zero so
an untrained net is the identity. The image is folded into ``factor`` x ``factor`` pixel cells
(pixel unshuffle, 3 * factor^2 channels), restored at that reduced resolution and unfolded
(pixel shuffle), which divides the cost per output pixel by factor^2 (the one-core CPU
budget). The last conv also sees the cells themselves (a long skip): the linear filtering that
does most of the denoising is then learnt at once; without it a short CPU run barely learnt.
The bundled model: factor 2, 32 features, 4 body convs (45 k parameters, receptive radius 12
px); factor 4 with 48 features ran as fast but learnt far less in the same training time.

Fully convolutional, no normalisation: an output pixel depends only on the input within
``margin`` px, and a tile cut on the ``factor`` grid with that much context gives exactly the
untiled result (see :mod:`gan_imaging.core.gan.restore`).
"""

from __future__ import annotations

import torch
from torch import nn

from gan_imaging.core.gan.nets.base import check_images


class RestoreNet(nn.Module):
    """Damaged image -> restored image of the same size.

    Input: float32 (B, 3, H, W) in [-1, 1], H and W multiples of ``factor``. Output: float32
    (B, 3, H, W), nominally in [-1, 1] (not clamped). ``margin``: receptive radius in px.
    features: channels of every body conv. convs: body convs after the first. factor: the
    cell side (1, 2 or 4).
    """

    def __init__(self, *, features: int = 32, convs: int = 4, factor: int = 2):
        super().__init__()
        if features < 1 or convs < 0 or factor not in (1, 2, 4):
            raise ValueError("features must be >= 1, convs >= 0, factor 1, 2 or 4")
        self.factor = factor
        self.features = features
        self.convs = convs
        self.margin = (convs + 2) * factor
        c = 3 * factor * factor
        layers: list[nn.Module] = [nn.Conv2d(c, features, 3, padding=1), nn.PReLU(features)]
        for _ in range(convs):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.PReLU(features)]
        self.body = nn.Sequential(*layers)
        # The tail also sees the cells themselves (a long skip): a linear filter of the input,
        # the bulk of denoising, is learnt at once instead of through the whole stack.
        self.tail = nn.Conv2d(features + c, c, 3, padding=1)
        self.fold = nn.PixelUnshuffle(factor)
        self.unfold = nn.PixelShuffle(factor)
        for m in self.body:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.25, nonlinearity="leaky_relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.zeros_(self.tail.weight)
        if self.tail.bias is not None:
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=3)
        cells = self.fold(x)  # (B, 3 f^2, H / f, W / f)
        feats = torch.cat([self.body(cells), cells], dim=1)  # (B, features + 3 f^2, h, w)
        return x + self.unfold(self.tail(feats))  # (B, 3, H, W)
