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

**Conditioning** (``cond > 0``, after FFDNet's noise-level map): the damage the photo's
assessment reads (noise sigma, JPEG quality; see :func:`gan_imaging.core.gan.restore.conditioning`)
comes in as ``cond`` numbers per image. One linear layer turns them into a per-channel scale and
shift of every body conv (FiLM) and a scale of the correction; it starts at zero, so a
conditioned net made from an unconditioned one computes the same thing until trained. With a
receptive radius of 12 px the net alone cannot tell sigma-5 noise from fine texture; told the
sigma, it can denoise as hard as the photo needs.

Fully convolutional, no normalisation: an output pixel depends only on the input within
``margin`` px, and a tile cut on the ``factor`` grid with that much context gives exactly the
untiled result (see :mod:`gan_imaging.core.gan.restore`).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from gan_imaging.core.gan.nets.base import check_images


class RestoreNet(nn.Module):
    """Damaged image -> restored image of the same size.

    Input: float32 (B, 3, H, W) in [-1, 1], H and W multiples of ``factor``. Output: float32
    (B, 3, H, W), nominally in [-1, 1] (not clamped). ``margin``: receptive radius in px.
    features: channels of every body conv. convs: body convs after the first. factor: the
    cell side (1, 2 or 4). cond: conditioning numbers per image (0: a blind net).
    """

    def __init__(self, *, features: int = 32, convs: int = 4, factor: int = 2, cond: int = 0):
        super().__init__()
        if features < 1 or convs < 0 or factor not in (1, 2, 4) or cond < 0:
            raise ValueError("features must be >= 1, convs >= 0, factor 1, 2 or 4, cond >= 0")
        self.factor = factor
        self.features = features
        self.convs = convs
        self.cond = cond
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
        # FiLM: per body conv a scale and a shift of its channels, then a scale of the tail's
        # channels; zero at the start (the identity modulation).
        self.film = nn.Linear(cond, 2 * features * (convs + 1) + c) if cond else None
        if self.film is not None:
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)

    def load_blind(self, state: dict[str, torch.Tensor]) -> None:
        """Load an unconditioned net's weights (same features, convs, factor) into this
        one; the conditioning stays at its identity start."""
        missing, unexpected = self.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("film.") for k in missing):
            raise ValueError(f"not the same net: missing {missing}, unexpected {unexpected}")

    def _modulations(self, mods: torch.Tensor
                     ) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
        """The FiLM output (..., M) cut into ``(1 + scale, shift)`` per body conv and the
        tail's ``1 + scale``, each (..., channels)."""
        f, n = self.features, self.convs + 1
        starts = [2 * f * i for i in range(n)]
        pairs = [(1 + mods[..., at : at + f], mods[..., at + f : at + 2 * f]) for at in starts]
        return pairs, 1 + mods[..., 2 * f * n :]

    @torch.no_grad()
    def baked(self, cond: torch.Tensor) -> RestoreNet:
        """A blind net computing what this one computes told ``cond`` (float32 (cond,)): each
        FiLM scale and shift folded into its conv's weights and bias. Inference runs it, at
        the blind net's speed (the per-channel products would cost a pass over every
        activation and break the channels-last layout). A copy: no random initialisation,
        the global RNG untouched."""
        out = copy.deepcopy(self)
        out.film, out.cond = None, 0
        if self.film is None:
            return out.eval()
        pairs, tail = self._modulations(self.film(cond.reshape(1, self.cond).to(
            self.film.weight.dtype))[0])
        for i, (scale, shift) in enumerate(pairs):
            conv = out.body[2 * i]
            assert isinstance(conv, nn.Conv2d) and conv.bias is not None
            conv.weight.mul_(scale[:, None, None, None])
            conv.bias.mul_(scale).add_(shift)
        assert out.tail.bias is not None
        out.tail.weight.mul_(tail[:, None, None, None])
        out.tail.bias.mul_(tail)
        return out.eval()

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, 3, H, W) in [-1, 1]. cond: (B, cond) float32 (ignored by a blind net;
        None for a conditioned one means all zeros)."""
        check_images(x, channels=3)
        cells = self.fold(x)  # (B, 3 f^2, H / f, W / f)
        if self.film is None:
            body = self.body(cells)
            return x + self.unfold(self.tail(torch.cat([body, cells], dim=1)))
        if cond is None:
            cond = x.new_zeros((x.shape[0], self.cond))
        if cond.shape != (x.shape[0], self.cond):
            raise ValueError(f"cond must be (B, {self.cond}), got {tuple(cond.shape)}")
        pairs, tail_scale = self._modulations(self.film(cond.to(x.dtype)))  # (B, channels)
        h = cells
        for i, (scale, shift) in enumerate(pairs):
            conv, act = self.body[2 * i], self.body[2 * i + 1]
            h = act(conv(h) * scale[:, :, None, None] + shift[:, :, None, None])
        tail = self.tail(torch.cat([h, cells], dim=1)) * tail_scale[:, :, None, None]
        return x + self.unfold(tail)  # (B, 3, H, W)
