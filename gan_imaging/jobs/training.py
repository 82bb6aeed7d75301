"""Training GANs on the shop's own photos: a Job on the GPU queue whose target is a GanModel.

``request_training`` is what the admin action and ``manage.py gan_train --queue`` call;
``run_training`` is what a worker (through ``execute``) and ``manage.py gan_train`` (in
process) call. Both callers share one function; torch is imported only when training runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import (
    ConfigurationError,
    GanImagingError,
    InvalidImageError,
    OutOfMemoryError,
    StorageError,
    gettext_noop,
)
from gan_imaging.core.imaging.decode import decode
from gan_imaging.jobs.common import TRAIN_KIND, JobCancelled
from gan_imaging.jobs.requests import check_gpu_quota, publish, read_source
from gan_imaging.limits import upload_limits
from gan_imaging.models import GanModel, GanModelStatus, Job, JobStatus
from gan_imaging.storage import output_storage

log = logging.getLogger("gan_imaging.training")

ARCHS = ("texture", "dcgan64", "sr")


def _sr_scale(config: dict[str, Any]) -> int:
    return int((config.get("arch_kwargs") or {}).get("scale", 2))


def training_config(arch: str, name: str, overrides: dict[str, Any] | None = None) -> dict:
    """The TrainConfig (as a JSON dict) for ``arch`` from ``TRAINING`` settings + overrides."""
    from gan_imaging.core.gan.config import TrainConfig

    if arch not in ARCHS:
        raise ConfigurationError(
            gettext_noop("Cannot train %(arch)s; choose one of %(choices)s."),
            params={"arch": repr(arch), "choices": ", ".join(ARCHS)},
        )
    options = {**gan_settings.TRAINING.get(arch, {}), **(overrides or {})}
    try:
        cfg = TrainConfig(arch=arch, name=name, device=str(gan_settings.DEVICE), **options)
    except TypeError as exc:
        raise ConfigurationError(
            gettext_noop("Invalid training option: %(error)s"), params={"error": str(exc)}
        ) from exc
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def request_training(
    objects: list[Any],
    field_name: str,
    *,
    arch: str = "texture",
    name: str = "catalog",
    overrides: dict[str, Any] | None = None,
    user: Any = None,
    publish_now: bool = True,
) -> GanModel:
    """Queue training of a new GanModel on the photos in ``objects.<field_name>``.

    ``publish_now=False`` leaves the job unpublished for a caller that runs it in process
    (``manage.py gan_train``); the sweeper would still publish it if that caller died.
    """
    config = training_config(arch, name, overrides)
    if arch == "sr":
        # Upscalers are looked up by scale: the model fine-tuned here replaces "x2" or "x4".
        name = config["name"] = f"x{_sr_scale(config)}"
    data = []
    for obj in objects:
        file = getattr(obj, field_name)
        if file:
            ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
            data.append({"ct": ct.pk, "id": str(obj.pk), "field": field_name, "name": file.name})
    if not data:
        raise ConfigurationError(
            gettext_noop("None of the selected items has a photo to train on.")
        )
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        check_gpu_quota(user)
        model = GanModel.objects.create(
            name=name, arch=arch, config=config,
            trained_on={"photos": len(data), "items": data[:1000]},
            created_by=user if getattr(user, "pk", None) else None,
        )
        job = Job.objects.create(
            content_type=ContentType.objects.get_for_model(GanModel),
            object_id=str(model.pk),
            field_name="checkpoint",
            kind=TRAIN_KIND,
            spec={"config": config, "data": data},
            source_name=f"{len(data)} photos",
            source_hash=digest,
            seed=int(config["seed"]),
            max_attempts=gan_settings.MAX_ATTEMPTS,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        if publish_now:
            transaction.on_commit(partial(publish, [job.pk]), robust=True)
    return model


def _photos(spec: dict) -> tuple[list[Any], int]:
    images, skipped = [], 0
    for item in spec["data"]:
        model = ContentType.objects.get_for_id(item["ct"]).model_class()
        obj = model._default_manager.filter(pk=item["id"]).first() if model else None
        file = getattr(obj, item["field"], None) if obj else None
        if not file:
            skipped += 1
            continue
        try:
            image, _ = decode(read_source(file), upload_limits(), filename=file.name,
                              draft_to=(512, 512))
        except InvalidImageError:
            skipped += 1
            continue
        images.append(image)
    return images, skipped


class _Monitor:
    """progress/should_stop callbacks: loss history, job progress, lease, cancel flag."""

    def __init__(self, job: Job, model: GanModel, heartbeat: Callable[[float], None]):
        self.job, self.model, self.heartbeat = job, model, heartbeat
        self.history: list[dict[str, float]] = []
        self.last_check = 0.0
        self.stop = False

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None:
        self.history.append({"step": step, "loss_d": round(metrics.get("loss_d", 0.0), 5),
                             "loss_g": round(metrics.get("loss_g", 0.0), 5)})
        self.heartbeat(step / max(1, total))
        GanModel.objects.filter(pk=self.model.pk).update(history=self.history)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self.last_check >= 1.0:
            self.last_check = now
            self.stop = Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self.stop


def _samples_png(ckpt: Any, data: Any = None) -> bytes:
    import torch

    from gan_imaging.core.gan import sample_images, sample_texture
    from gan_imaging.core.gan.data import sample_grid

    if ckpt.arch == "sr":
        return _sr_samples_png(ckpt, data)
    if ckpt.arch == "texture":
        tiles = torch.stack([sample_texture(ckpt, 256, 128, seed=s, device="cpu")
                             for s in range(4)])
        grid = sample_grid(tiles, columns=2)
    else:
        grid = sample_grid(sample_images(ckpt, 32, seed=0, device="cpu"), columns=8)
    buf = io.BytesIO()
    grid.save(buf, "PNG")
    return buf.getvalue()


def _sr_samples_png(ckpt: Any, patches: Any) -> bytes:
    """Up to four training patches, each as (bicubic | this model) from a 1/scale copy."""
    from PIL import Image

    from gan_imaging.core.gan import upscale

    scale = int(ckpt.arch_kwargs.get("scale", 2))
    rows = []
    for patch in patches[:4]:
        hr = Image.fromarray(patch.permute(1, 2, 0).numpy())
        lr = hr.resize((hr.width // scale, hr.height // scale), Image.Resampling.BICUBIC)
        pair = Image.new("RGB", (hr.width * 2, hr.height), "white")
        pair.paste(lr.resize(hr.size, Image.Resampling.BICUBIC), (0, 0))
        pair.paste(upscale(lr, ckpt, scale=scale), (hr.width, 0))
        rows.append(pair)
    grid = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        grid.paste(row, (0, i * row.height))
    buf = io.BytesIO()
    grid.save(buf, "PNG")
    return buf.getvalue()


def _store(name: str, data: bytes) -> str:
    storage = output_storage()
    try:
        if storage.exists(name):
            storage.delete(name)
        return storage.save(name, ContentFile(data))
    except OSError as exc:
        raise StorageError(
            gettext_noop("Saving the trained model failed: %(error)s"), params={"error": str(exc)}
        ) from exc


def run_training(job: Job, heartbeat: Callable[[float], None]) -> GanModel:
    """Train the job's GanModel; store checkpoint, sidecar and sample grid; mark it ready
    (or cancelled, keeping what was trained). Raises GanImagingError subclasses."""
    from gan_imaging.core.gan import save, train
    from gan_imaging.core.gan.config import TrainConfig
    from gan_imaging.core.gan.data import image_batch, texture_exemplars
    from gan_imaging.core.gan.inference import is_oom

    model = GanModel.objects.get(pk=job.object_id)
    GanModel.objects.filter(pk=model.pk).update(status=GanModelStatus.TRAINING)
    try:
        config = TrainConfig(**{**job.spec["config"], "device": str(gan_settings.DEVICE)})
        images, skipped = _photos(job.spec)
        data: Any
        init = None
        if config.arch == "texture":
            data = texture_exemplars(images, side=max(config.crop * 2, 128), min_side=config.crop)
        elif config.arch == "sr":
            from gan_imaging.core.gan import bundled_sr_path, sr_patches

            # Fine-tune the bundled upscaler of the same scale on the shop's own photos.
            data = sr_patches(images, crop=config.crop, count=max(64, 8 * len(images)))
            init = bundled_sr_path(_sr_scale(job.spec["config"]))
        else:
            data = image_batch(images, size=64)
        monitor = _Monitor(job, model, heartbeat)
        try:
            ckpt = train(config, data, progress=monitor.progress, should_stop=monitor.should_stop,
                         init=init)
        except Exception as exc:
            if is_oom(exc):
                raise OutOfMemoryError(gettext_noop(
                    "The GPU ran out of memory while training. Lower the batch size in "
                    "GAN_IMAGING['TRAINING'] or train on a larger GPU."
                )) from exc
            raise
        folder = f"{gan_settings.OUTPUT_PREFIX}/models/{model.name}"
        with tempfile.TemporaryDirectory() as tmp:
            # Named after the model version (a hash of the weights): the sidecar refers to
            # the weights by that file name, and the same weights always get the same name.
            weights, sidecar = save(ckpt, Path(tmp))
            names = [
                _store(f"{folder}/{weights.name}", weights.read_bytes()),
                _store(f"{folder}/{sidecar.name}", sidecar.read_bytes()),
                _store(f"{folder}/{ckpt.model_version}-samples.png", _samples_png(ckpt, data)),
            ]
    except GanImagingError as exc:
        final = not exc.retryable or job.attempts >= job.max_attempts
        GanModel.objects.filter(pk=model.pk).update(
            status=GanModelStatus.FAILED if final else GanModelStatus.QUEUED
        )
        raise
    cancelled = ckpt.step < config.steps
    with transaction.atomic():
        has_active = GanModel.objects.filter(name=model.name, arch=model.arch, active=True).exists()
        GanModel.objects.filter(pk=model.pk).update(
            status=GanModelStatus.CANCELLED if cancelled else GanModelStatus.READY,
            version=ckpt.model_version,
            metrics={**ckpt.metrics, "steps": ckpt.step, "photos": len(images),
                     "skipped_photos": skipped},
            history=monitor.history,
            checkpoint=names[0],
            checkpoint_meta=names[1],
            samples=names[2],
            finished_at=timezone.now(),
            active=not cancelled and not has_active,
        )
        Job.objects.filter(pk=job.pk).update(model_version=ckpt.model_version)
    if cancelled:
        raise JobCancelled(
            gettext_noop("Training was cancelled at step %(step)s of %(steps)s; "
                         "what was trained so far is kept."),
            params={"step": ckpt.step, "steps": config.steps},
        )
    return GanModel.objects.get(pk=model.pk)


def cancel_training(model: GanModel) -> int:
    """Ask running training of ``model`` to stop; queued training is cancelled at once."""
    jobs = Job.objects.filter(
        kind=TRAIN_KIND, content_type=ContentType.objects.get_for_model(GanModel),
        object_id=str(model.pk),
    )
    n = jobs.filter(status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, error_code="cancelled", cancel_requested=True,
        error_message=gettext_noop("Training was cancelled before it started."),
        finished_at=timezone.now(),
    )
    if n:
        GanModel.objects.filter(pk=model.pk).update(status=GanModelStatus.CANCELLED)
    return n + jobs.filter(status=JobStatus.RUNNING).update(cancel_requested=True)
