"""Turning decoded catalog photos into training tensors.

Photos arrive as sRGB ``RGB``/``RGBA`` Pillow images (from the safe decoder); transparency is
composited on white, as product photos are shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

from gan_imaging.core.errors import ConfigurationError, gettext_noop


def _rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGBA":
        base = Image.new("RGB", im.size, (255, 255, 255))
        base.paste(im, mask=im.getchannel("A"))
        return base
    return im.convert("RGB") if im.mode != "RGB" else im


def _tensor(im: Image.Image) -> torch.Tensor:
    """uint8 HWC → float32 CHW in [-1, 1]."""
    arr = np.asarray(im, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())


def texture_exemplars(
    images: Sequence[Image.Image], *, side: int = 256, min_side: int = 64
) -> list[torch.Tensor]:
    """Exemplars for the texture GAN: each photo scaled so its short side is ``side`` px
    (16–4096), as float32 (3, H, W) in [-1, 1]. Photos whose short side is under ``min_side``
    px are skipped; none left is a ConfigurationError."""
    if not 16 <= side <= 4096:
        raise ConfigurationError(
            gettext_noop("Exemplar side must be 16–4096 px, not %(side)s."), params={"side": side}
        )
    out = []
    for im in images:
        im = _rgb(im)
        short = min(im.size)
        if short < min_side:
            continue
        scale = side / short
        size = (max(side, round(im.width * scale)), max(side, round(im.height * scale)))
        out.append(_tensor(im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)))
    if not out:
        raise ConfigurationError(
            gettext_noop(
                "None of the photos is at least %(min_side)s px on its short side; "
                "choose larger photos to train on."
            ),
            params={"min_side": min_side},
        )
    return out


def image_batch(images: Sequence[Image.Image], *, size: int = 64) -> torch.Tensor:
    """Centre-cropped squares for image GANs: float32 (N, 3, size, size) in [-1, 1]."""
    if not images:
        raise ConfigurationError(gettext_noop("Choose at least one photo to train on."))
    crops = [
        _tensor(ImageOps.fit(_rgb(im), (size, size), Image.Resampling.LANCZOS)) for im in images
    ]
    return torch.stack(crops)


def sample_grid(images: torch.Tensor, *, columns: int = 8) -> Image.Image:
    """(N, C, H, W) in [-1, 1] → one RGB grid image, ``columns`` per row, 2 px gutters."""
    arr = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()
    n, c, h, w = arr.shape
    if c == 1:
        arr = arr.repeat(3, axis=1)
    columns = max(1, min(columns, n))
    rows = (n + columns - 1) // columns
    grid = Image.new("RGB", (columns * (w + 2) + 2, rows * (h + 2) + 2), (255, 255, 255))
    for i in range(n):
        tile = Image.fromarray(arr[i].transpose(1, 2, 0), "RGB")
        grid.paste(tile, (2 + (i % columns) * (w + 2), 2 + (i // columns) * (h + 2)))
    return grid
