"""The GAN engine: architectures, losses, training, checkpoints, metrics and sampling.

Pure torch: no Django, no Celery. Importing this package imports torch, so
``gan_imaging.core`` itself never imports it; thumbnail-only workers stay light.

Public API (what the Django layer calls):

- :class:`~.config.TrainConfig`, :func:`~.config.plain_seed_recipe`
- :func:`~.train.train` ``(config, data, *, progress, should_stop, resume, init) -> Checkpoint``
  (the GAN loop; ``arch="sr"`` goes to :mod:`.superres_train`; both loops share :mod:`.loop`)
- training on catalog photos (:data:`~.catalog.CATALOG`): :func:`~.catalog.catalog_archs`,
  :func:`~.catalog.training_data`, :func:`~.catalog.sample_sheet_png`
- :class:`~.checkpoint.Checkpoint` (``.model_version``), :func:`~.checkpoint.save`,
  :func:`~.checkpoint.load`, :func:`~.checkpoint.read_meta`
- :func:`~.inference.get_model`, :func:`~.inference.sample_images`,
  :func:`~.inference.sample_texture`, :func:`~.inference.to_uint8`,
  :func:`~.inference.run_with_oom_fallback`
- :func:`~.device.resolve_device`, :data:`~.nets.ARCHS`
- :func:`~.weights.bundled_path` for the shipped texture weights
- super-resolution: :func:`~.superres.upscale`, :func:`~.superres.bundled_sr_path`,
  :func:`~.superres.is_held_out`, :func:`~.superres_train.sr_patches` (``train`` with
  ``arch="sr"`` trains upscalers)
"""

from gan_imaging.core.gan.catalog import catalog_archs, sample_sheet_png, training_data
from gan_imaging.core.gan.checkpoint import Checkpoint, load, read_meta, save
from gan_imaging.core.gan.config import TrainConfig, plain_seed_recipe
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.inference import (
    clear_cache,
    get_model,
    run_with_oom_fallback,
    sample_images,
    sample_texture,
    to_uint8,
)
from gan_imaging.core.gan.nets import ARCHS, build_nets
from gan_imaging.core.gan.superres import bundled_sr_path, is_held_out, upscale
from gan_imaging.core.gan.superres_train import sr_patches
from gan_imaging.core.gan.train import train
from gan_imaging.core.gan.weights import BUNDLED, bundled_path

__all__ = [
    "ARCHS",
    "BUNDLED",
    "Checkpoint",
    "TrainConfig",
    "build_nets",
    "bundled_path",
    "bundled_sr_path",
    "catalog_archs",
    "clear_cache",
    "get_model",
    "is_held_out",
    "load",
    "plain_seed_recipe",
    "read_meta",
    "resolve_device",
    "run_with_oom_fallback",
    "sample_images",
    "sample_sheet_png",
    "sample_texture",
    "save",
    "sr_patches",
    "to_uint8",
    "train",
    "training_data",
    "upscale",
]
