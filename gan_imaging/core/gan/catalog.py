"""What a shop can train on its own catalog photos, by architecture, in one explicit registry.

A :class:`CatalogRecipe` turns decoded photos plus a :class:`~.config.TrainConfig` into what
:func:`~.train.train` takes (the training data and, for fine-tuning, an ``init`` checkpoint),
and draws the sample sheet the admin shows for a trained checkpoint. The entries are added
below, each under the name of an architecture in :data:`~.nets.ARCHS`:

- ``texture``: exemplars scaled to a short side of ``max(2 * crop, 128)`` px, from scratch;
  the sheet is four 256 x 128 px tiles, two per row;
- ``dcgan64``: 64 x 64 centre crops, from scratch; the sheet is 32 samples, eight per row;
- ``sr``: ``crop`` px patches (at least 64, eight per photo), fine-tuning the bundled upscaler
  of the config's scale (``arch_kwargs["scale"]``, default 2); the sheet is up to four training
  patches, each as (bicubic | this model) from a 1/scale copy.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from gan_imaging.core.errors import ConfigurationError, gettext_noop
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.config import TrainConfig
from gan_imaging.core.gan.data import image_batch, sample_grid, texture_exemplars
from gan_imaging.core.gan.inference import sample_images, sample_texture
from gan_imaging.core.gan.nets import ARCHS
from gan_imaging.core.gan.superres import bundled_sr_path, upscale
from gan_imaging.core.gan.superres_train import sr_patches
from gan_imaging.core.registry import Registry

#: Training data as :func:`~.train.train` takes it: a float32 (N, 3, H, W) batch in [-1, 1], a
#: list of float32 (3, H, W) exemplars in [-1, 1], or (``sr``) uint8 (N, 3, crop, crop) patches.
CatalogData = torch.Tensor | list[torch.Tensor]


@dataclass(frozen=True)
class CatalogRecipe:
    """How one architecture is trained on catalog photos.

    prepare: ``(photos, config) -> (data, init)``: photos are decoded sRGB ``RGB``/``RGBA``
        Pillow images (transparency is composited on white); ``data`` as :data:`CatalogData`;
        ``init`` the ``.safetensors`` path of the checkpoint to start from, or None. Raises
        ConfigurationError when no photo is usable.
    sample_sheet: ``(checkpoint, data) -> RGB image`` (on the CPU, deterministic); ``data`` is
        what ``prepare`` returned (only ``sr`` uses it) or None.
    """

    prepare: Callable[[Sequence[Image.Image], TrainConfig], tuple[CatalogData, Path | None]]
    sample_sheet: Callable[[Checkpoint, CatalogData | None], Image.Image]


CATALOG: Registry[CatalogRecipe] = Registry("catalog recipe")


def _add(name: str, recipe: CatalogRecipe) -> None:
    """Register ``recipe``; its name must be an architecture, or importing this module fails."""
    if name not in ARCHS:
        raise RuntimeError(f"catalog recipe {name!r} is not an architecture in nets.ARCHS")
    CATALOG.add(name, recipe)


def _texture_data(images: Sequence[Image.Image], config: TrainConfig
                  ) -> tuple[CatalogData, Path | None]:
    return texture_exemplars(images, side=max(config.crop * 2, 128), min_side=config.crop), None


def _texture_sheet(ckpt: Checkpoint, data: CatalogData | None) -> Image.Image:
    tiles = torch.stack([sample_texture(ckpt, 256, 128, seed=s, device="cpu") for s in range(4)])
    return sample_grid(tiles, columns=2)


def _image_data(images: Sequence[Image.Image], config: TrainConfig
                ) -> tuple[CatalogData, Path | None]:
    return image_batch(images, size=64), None


def _image_sheet(ckpt: Checkpoint, data: CatalogData | None) -> Image.Image:
    return sample_grid(sample_images(ckpt, 32, seed=0, device="cpu"), columns=8)


def _sr_scale(arch_kwargs: Mapping[str, Any]) -> int:
    return int(arch_kwargs.get("scale", 2))


def _sr_data(images: Sequence[Image.Image], config: TrainConfig
             ) -> tuple[CatalogData, Path | None]:
    # Fine-tune the bundled upscaler of the same scale on the shop's own photos.
    data = sr_patches(images, crop=config.crop, count=max(64, 8 * len(images)))
    return data, bundled_sr_path(_sr_scale(config.arch_kwargs))


def _sr_sheet(ckpt: Checkpoint, data: CatalogData | None) -> Image.Image:
    if data is None or len(data) == 0:
        raise ConfigurationError(
            gettext_noop("An upscaler's sample sheet is drawn from its training patches; "
                         "none were given.")
        )
    scale = _sr_scale(ckpt.arch_kwargs)
    rows = []
    for patch in data[:4]:
        if patch.dtype != torch.uint8:  # [-1, 1] floats, as train() also accepts them
            patch = ((patch.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        hr = Image.fromarray(patch.permute(1, 2, 0).numpy())
        lr = hr.resize((hr.width // scale, hr.height // scale), Image.Resampling.BICUBIC)
        pair = Image.new("RGB", (hr.width * 2, hr.height), "white")
        pair.paste(lr.resize(hr.size, Image.Resampling.BICUBIC), (0, 0))
        pair.paste(upscale(lr, ckpt, scale=scale), (hr.width, 0))
        rows.append(pair)
    grid = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        grid.paste(row, (0, i * row.height))
    return grid


_add("texture", CatalogRecipe(prepare=_texture_data, sample_sheet=_texture_sheet))
_add("dcgan64", CatalogRecipe(prepare=_image_data, sample_sheet=_image_sheet))
_add("sr", CatalogRecipe(prepare=_sr_data, sample_sheet=_sr_sheet))


def catalog_archs() -> tuple[str, ...]:
    """The architectures a shop can train on its catalog, sorted by name."""
    return tuple(CATALOG.names())


def recipe(arch: str) -> CatalogRecipe:
    """The recipe of ``arch``; ConfigurationError (naming the choices) when there is none."""
    if arch not in CATALOG:
        raise ConfigurationError(
            gettext_noop("Cannot train %(arch)s on catalog photos; choose one of %(choices)s."),
            params={"arch": repr(arch), "choices": ", ".join(catalog_archs())},
        )
    return CATALOG.get(arch)


def training_data(
    arch: str, images: Sequence[Image.Image], config: TrainConfig
) -> tuple[CatalogData, Path | None]:
    """What :func:`~.train.train` takes to train ``arch`` on ``images``: ``(data, init)``,
    ``init`` the checkpoint path to fine-tune from (``sr``) or None. ``images``: decoded
    Pillow photos; ConfigurationError for an arch without a recipe or when no photo is usable.
    """
    return recipe(arch).prepare(images, config)


def sample_sheet_png(ckpt: Checkpoint, data: CatalogData | None = None) -> bytes:
    """The admin's sample sheet of a trained checkpoint as PNG bytes (RGB, drawn on the CPU).

    data: what :func:`training_data` returned for it; required for ``sr`` (the sheet shows
    its training patches), ignored otherwise. ConfigurationError for an arch without a recipe.
    """
    buf = io.BytesIO()
    recipe(ckpt.arch).sample_sheet(ckpt, data).save(buf, "PNG")
    return buf.getvalue()
