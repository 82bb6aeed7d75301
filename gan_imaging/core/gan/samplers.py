"""Where each training step's batches come from: real images or texture crops, and G's fakes
(with their categorical codes, for generators that have one). Every draw uses the caller's
``torch.Generator``, so a run is reproducible and resumes the same random stream."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from gan_imaging.core.errors import ConfigurationError, gettext_noop
from gan_imaging.core.gan.config import TrainConfig

TrainData = torch.Tensor | Sequence[torch.Tensor]

# Texture training generates this many extra noise cells on each side of a crop and discards
# their pixels, so D judges the interior, which is what chunked inference produces. One cell
# covers most of the receptive field (the rest is < 1 cell, see TextureGenerator.margin) at a
# fraction of the cost of the full margin.
TEXTURE_PAD_CELLS = 1

class ImageSampler:
    """Uniform random batches (with replacement) from an N x C x H x W tensor in [-1, 1]."""

    def __init__(self, data: TrainData, device: torch.device):
        if not isinstance(data, torch.Tensor) or data.dim() != 4 or not data.is_floating_point():
            raise ConfigurationError(
                gettext_noop("Training images must be a float tensor N x C x H x W.")
            )
        if data.shape[0] == 0:
            raise ConfigurationError(gettext_noop("No training images were given."))
        check_range(data)
        self.data = data.to(device=device, dtype=torch.float32)

    def real(self, batch: int, rng: torch.Generator) -> torch.Tensor:
        idx = torch.randint(0, self.data.shape[0], (batch,), generator=rng)
        return self.data[idx.to(self.data.device)]

    def fake_and_code(self, G: Any, batch: int, rng: torch.Generator
                      ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Generated images and, for a generator with a categorical code, the codes (B,)."""
        z = torch.randn(batch, G.z_dim, generator=rng).to(self.data.device)
        return G(z), (G.latent_code(z) if getattr(G, "n_codes", 0) else None)


class TextureSampler:
    """Random ``crop`` x ``crop`` patches of the exemplars, and generated patches of that size."""

    def __init__(self, data: TrainData, G: Any, config: TrainConfig, device: torch.device):
        if isinstance(data, torch.Tensor):
            exemplars = [data] if data.dim() == 3 else list(data.unbind(0))
        else:
            exemplars = list(data)
        if not exemplars:
            raise ConfigurationError(gettext_noop("No texture exemplar images were given."))
        if config.crop % G.scale:
            raise ConfigurationError(
                gettext_noop(
                    "crop (%(crop)s) must be a multiple of the generator's scale (%(scale)s)."
                ),
                params={"crop": config.crop, "scale": G.scale},
            )
        for e in exemplars:
            if e.dim() != 3 or e.shape[0] != G.channels or min(e.shape[1:]) < config.crop:
                raise ConfigurationError(
                    gettext_noop(
                        "Each texture exemplar must be %(channels)s x H x W with H, W >= "
                        "%(crop)s; got %(shape)s."
                    ),
                    params={"channels": G.channels, "crop": config.crop,
                            "shape": str(tuple(e.shape))},
                )
            check_range(e)
        self.exemplars = [e.to(device=device, dtype=torch.float32) for e in exemplars]
        self.crop = config.crop
        self.cells = config.crop // G.scale + 2 * TEXTURE_PAD_CELLS
        self.cut = TEXTURE_PAD_CELLS * G.scale
        self.device = device

    def real(self, batch: int, rng: torch.Generator) -> torch.Tensor:
        c = self.crop
        out = []
        for i in torch.randint(0, len(self.exemplars), (batch,), generator=rng).tolist():
            e = self.exemplars[i]
            y = int(torch.randint(0, e.shape[1] - c + 1, (1,), generator=rng))
            x = int(torch.randint(0, e.shape[2] - c + 1, (1,), generator=rng))
            out.append(e[:, y : y + c, x : x + c])
        return torch.stack(out)

    def fake_and_code(self, G: Any, batch: int, rng: torch.Generator
                      ) -> tuple[torch.Tensor, None]:
        noise = torch.randn(batch, G.z_dim, self.cells, self.cells, generator=rng)
        phase = torch.rand(batch, G.n_periodic, generator=rng) * (2 * math.pi)
        img = G(noise.to(self.device), phase.to(self.device))
        return img[:, :, self.cut : self.cut + self.crop, self.cut : self.cut + self.crop], None


def check_range(x: torch.Tensor) -> None:
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < -1.01 or hi > 1.01:
        raise ConfigurationError(
            gettext_noop(
                "Training images must be scaled to [-1, 1] (found values in "
                "[%(low)s, %(high)s])."
            ),
            params={"low": f"{lo:.3g}", "high": f"{hi:.3g}"},
        )
