"""Loading GAN models in a worker: the active GanModel (trained on the shop's photos) or a
bundled default, once per process, lazily, on ``GAN_IMAGING["DEVICE"]``.

Checkpoints in a remote storage (S3) are copied once into a local cache folder named by their
model version (a hash of the weights), so a version is never stale. GPU workers should run a
non-forking pool (``--pool solo``, one worker per GPU) so CUDA is initialised in the process
that uses it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gan_imaging.conf import gan_settings
from gan_imaging.core import bundled
from gan_imaging.core.errors import ModelError, gettext_noop
from gan_imaging.models import GanModel, GanModelStatus


def cache_dir() -> Path:
    path = Path(os.environ.get("GAN_IMAGING_MODEL_CACHE") or
                Path(tempfile.gettempdir()) / "gan_imaging-models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_checkpoint(model: GanModel) -> Path:
    """A local path of ``model``'s .safetensors with its .json beside it."""
    if not model.checkpoint or not model.checkpoint_meta:
        raise ModelError(
            gettext_noop("GAN model “%(name)s” has no trained checkpoint yet."),
            params={"name": model.name},
        )
    try:
        return Path(model.checkpoint.path)  # local storage: use it in place
    except NotImplementedError:
        pass
    target = cache_dir() / model.version
    weights = target / Path(model.checkpoint.name).name  # type: ignore[arg-type]  # checked above
    if not weights.exists():
        target.mkdir(parents=True, exist_ok=True)
        for field in (model.checkpoint_meta, model.checkpoint):
            dest = target / Path(field.name).name  # type: ignore[arg-type]  # checked above
            tmp = dest.with_suffix(dest.suffix + ".part")
            with field.open("rb") as src, tmp.open("wb") as out:
                for chunk in iter(lambda: src.read(1 << 20), b""):  # noqa: B023
                    out.write(chunk)
            tmp.replace(dest)  # atomic: a crash never leaves a half file under the real name
    return weights


def _active(arch: str, name: str) -> GanModel | None:
    return GanModel.objects.filter(
        name=name, arch=arch, active=True, status=GanModelStatus.READY
    ).first()


def _bundled(role: str, name: str) -> Path:
    """The bundled checkpoint for a model role: ``texture`` styles, ``sr`` ``x2``/``x4``,
    ``cutout`` ``default``."""
    if role == "texture":
        from gan_imaging.core import gan

        return gan.bundled_path(name)
    if role == "sr":  # torch-free: a thumbnail worker only names its upscalers here
        scale = {"x2": 2, "x4": 4}.get(name)
        if scale is None:
            raise ModelError(f"There is no super-resolution model {name!r}; use x2 or x4.")
        return bundled.sr_path(scale, variant=str(gan_settings.UPSCALE_VARIANT))
    if role == "restore":  # the name is the RESTORE mode: it goes into outputs' versions
        return bundled.restore_path(str(gan_settings.RESTORE_VARIANT))
    if role == "cutout":
        from gan_imaging.core.vision.segnet import BUNDLED_CUTOUT

        return BUNDLED_CUTOUT
    raise ModelError(f"Unknown model role {role!r}.")


#: role → GanModel.arch of the shop's own trained models that replace the bundled ones.
ROLE_ARCH = {"texture": "texture", "sr": "sr"}


def checkpoint_path(role: str, name: str) -> Path:
    """Local path of the checkpoint for (role, name): the active trained GanModel, else the
    bundled weights."""
    arch = ROLE_ARCH.get(role)
    model = _active(arch, name) if arch else None
    return local_checkpoint(model) if model else _bundled(role, name)


def model_version(role: str, name: str) -> str:
    """The version outputs made with (role, name) record, without loading weights."""
    arch = ROLE_ARCH.get(role)
    model = _active(arch, name) if arch else None
    if model is not None:
        return model.version
    sidecar = _bundled(role, name).with_suffix(".json")
    try:
        return _sidecar_version(str(sidecar), sidecar.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"The bundled {role} model {name!r} has no readable sidecar "
                         f"({sidecar}): {exc}") from exc


@functools.lru_cache(maxsize=64)
def _sidecar_version(path: str, mtime_ns: int) -> str:
    # Every upload asks for the versions of the models its kinds may use: read each bundled
    # sidecar once per process (and again only if the file changes).
    return str(json.loads(Path(path).read_text(encoding="utf-8"))["model_version"])


def _version_or_missing(role: str, name: str) -> str:
    # A model that does not exist (a brand kit naming an untrained texture) must not fail the
    # upload that requests the job: the job fails when it runs, with the model's own message.
    try:
        return model_version(role, name)
    except ModelError:
        return "missing"


def effective_version(pipeline: Any, spec: Any) -> str:
    """``pipeline.version``, plus a digest of the versions of the models a run of ``spec``
    may use (``pipeline.models``), e.g. ``renders-2+3f9a0c1d2e``."""
    pairs = sorted(set(pipeline.models(spec))) if pipeline.models else []
    if gan_settings.RESTORE in ("when_needed", "always"):
        pairs.append(("restore", str(gan_settings.RESTORE)))  # may change the working image
    if not pairs:
        return str(pipeline.version)
    versions = ",".join(f"{role}:{name}={_version_or_missing(role, name)}"
                        for role, name in pairs)
    return f"{pipeline.version}+{hashlib.sha256(versions.encode()).hexdigest()[:10]}"


def texture_model(name: str) -> Any:
    """The texture GAN called ``name``: the active trained GanModel of that name, else the
    bundled style of that name. Loaded once per process (see core.gan.inference.get_model)."""
    from gan_imaging.core.gan import get_model

    return get_model(checkpoint_path("texture", name), device=str(gan_settings.DEVICE))


def backdrop(name: str, width: int, height: int, *, seed: int = 0) -> Any:
    """A ``width`` × ``height`` px backdrop (PIL image, "L" for grey models, else "RGB") from
    texture model ``name``; ``info["model_version"]`` names the model."""
    from PIL import Image

    from gan_imaging.core.gan import sample_texture, to_uint8

    ckpt = texture_model(name)
    tensor = sample_texture(ckpt, width, height, seed=seed, device=str(gan_settings.DEVICE))
    arr = to_uint8(tensor)  # (H, W, C)
    # Grey models give an "L" image (pipelines colour it), colour models RGB.
    image = Image.fromarray(arr[..., 0]) if arr.shape[-1] == 1 else Image.fromarray(arr, "RGB")
    image.info["model_version"] = ckpt.model_version
    return image


def upscale(image: Any, scale: int) -> Any:
    """``image`` (PIL, RGB or RGBA) upscaled ``scale``× (2 or 4) by the active or bundled
    super-resolution model; ``info["model_version"]`` names the model."""
    from gan_imaging.core.gan import get_model
    from gan_imaging.core.gan import upscale as sr_upscale

    device = str(gan_settings.DEVICE)
    ckpt = get_model(checkpoint_path("sr", f"x{scale}"), device=device)
    out = sr_upscale(image, ckpt, scale=scale, device=device)
    out.info["model_version"] = ckpt.model_version
    return out


def restore_image(image: Any, assessment: Any = None) -> Any:
    """``image`` (PIL) repaired by the bundled restoration net of ``RESTORE_VARIANT`` on
    ``GAN_IMAGING["DEVICE"]`` (JPEG artefacts and noise removed, same size, alpha kept), told
    the damage ``assessment`` (an :class:`~gan_imaging.core.imaging.artefacts.Assessment`;
    None: assessed from the pixels); ``info["model_version"]`` names the model."""
    from gan_imaging.core.gan.restore import get_model, restore

    model = get_model(bundled.restore_path(str(gan_settings.RESTORE_VARIANT)))
    a = assessment
    out = restore(image, model, device=str(gan_settings.DEVICE),
                  noise=None if a is None else a.noise, quality=None if a is None else a.quality)
    out.info["model_version"] = model.model_version
    return out


def _backdrop_role(style: str, width: int, height: int, seed: int) -> Any:
    """The ``backdrop`` role's signature (see core.pipelines.base.Context)."""
    return backdrop(style, width, height, seed=seed)


def context_models(extra: dict[str, Any] | None = None) -> dict[str, Callable[..., Any] | Any]:
    """What a job's pipeline gets as ``Context.models``: the shop's models (else bundled)."""
    register_fonts()
    # The cutout role is left to the pipelines: they use the bundled segmentation model.
    models: dict[str, Any] = {"backdrop": _backdrop_role, "upscale": upscale}
    models.update(extra or {})
    return models


def job_assets(job: Any) -> dict[str, Any]:
    """Per-job inputs besides the photo: the brand kit's logo (``spec["logo_name"]``, a name
    in the default storage) as an RGBA image for banners."""
    name = (job.spec or {}).get("logo_name") if isinstance(job.spec, dict) else None
    if not name:
        return {}
    from django.core.files.storage import default_storage

    from gan_imaging.core.imaging.decode import decode
    from gan_imaging.jobs.sources import upload_limits

    try:
        with default_storage.open(name, "rb") as fh:
            data = fh.read()
    except OSError:
        return {"logo": None}  # a missing logo leaves the banner without one, not failed
    image, _info = decode(data, upload_limits(), filename=name)
    return {"logo": image.convert("RGBA")}


_REGISTERED_FONTS: dict[str, str] = {}


def register_fonts() -> dict[str, str]:
    """Register ``GAN_IMAGING["FONTS"]`` with the banner font registry (once per path);
    returns ``{key: problem}`` for the entries that could not be registered."""
    from gan_imaging.core.errors import GanImagingError
    from gan_imaging.core.vision.fonts import register_font

    problems: dict[str, str] = {}
    fonts = gan_settings.FONTS if isinstance(gan_settings.FONTS, dict) else {}
    for key, path in fonts.items():
        if _REGISTERED_FONTS.get(key) == str(path):
            continue
        try:
            register_font(str(key), str(path))
        except GanImagingError as exc:
            problems[str(key)] = str(exc)
            continue
        _REGISTERED_FONTS[str(key)] = str(path)
    return problems
