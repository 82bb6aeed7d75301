"""Loading GAN models in a worker: the active GanModel (trained on the shop's photos) or a
bundled default, once per process, lazily, on ``GAN_IMAGING["DEVICE"]``.

Checkpoints in a remote storage (S3) are copied once into a local cache folder named by their
model version (a hash of the weights), so a version is never stale. GPU workers should run a
non-forking pool (``--pool solo``, one worker per GPU) so CUDA is initialised in the process
that uses it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import ModelError
from gan_imaging.models import GanModel, GanModelStatus


def cache_dir() -> Path:
    path = Path(os.environ.get("GAN_IMAGING_MODEL_CACHE") or
                Path(tempfile.gettempdir()) / "gan_imaging-models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_checkpoint(model: GanModel) -> Path:
    """A local path of ``model``'s .safetensors with its .json beside it."""
    if not model.checkpoint or not model.checkpoint_meta:
        raise ModelError(f"GAN model “{model.name}” has no trained checkpoint yet.")
    try:
        return Path(model.checkpoint.path)  # local storage: use it in place
    except NotImplementedError:
        pass
    target = cache_dir() / model.version
    weights = target / Path(model.checkpoint.name).name
    if not weights.exists():
        target.mkdir(parents=True, exist_ok=True)
        for field in (model.checkpoint_meta, model.checkpoint):
            dest = target / Path(field.name).name
            tmp = dest.with_suffix(dest.suffix + ".part")
            with field.open("rb") as src, tmp.open("wb") as out:
                for chunk in iter(lambda: src.read(1 << 20), b""):  # noqa: B023
                    out.write(chunk)
            tmp.replace(dest)  # atomic: a crash never leaves a half file under the real name
    return weights


def texture_model(name: str) -> Any:
    """The texture GAN called ``name``: the active trained GanModel of that name, else the
    bundled style of that name. Loaded once per process (see core.gan.inference.get_model)."""
    from gan_imaging.core.gan import bundled_path, get_model

    model = GanModel.objects.filter(
        name=name, arch="texture", active=True, status=GanModelStatus.READY
    ).first()
    path = local_checkpoint(model) if model else bundled_path(name)
    return get_model(path, device=str(gan_settings.DEVICE))


def backdrop(name: str, width: int, height: int, *, seed: int = 0) -> Any:
    """A ``width`` × ``height`` px RGB backdrop (PIL image) from texture model ``name``."""
    from PIL import Image

    from gan_imaging.core.gan import sample_texture, to_uint8

    ckpt = texture_model(name)
    tensor = sample_texture(ckpt, width, height, seed=seed, device=str(gan_settings.DEVICE))
    arr = to_uint8(tensor)  # (H, W, C)
    image = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    return image.convert("RGB")
