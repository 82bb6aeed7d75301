"""Requesting training of a GAN on the shop's own photos: a Job on the GPU queue whose target
is a GanModel, and cancelling it.

``request_training`` is what the admin action and ``manage.py gan_train`` call; the job runs
through ``execute`` like any other (``runners.run_training``), in a worker or in process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import (
    ConfigurationError,
    gettext_noop,
)
from gan_imaging.jobs.common import TRAIN_KIND
from gan_imaging.jobs.requests import check_gpu_quota, publish
from gan_imaging.models import GanModel, GanModelStatus, Job, JobStatus

log = logging.getLogger("gan_imaging.training")

def _sr_scale(config: dict[str, Any]) -> int:
    return int((config.get("arch_kwargs") or {}).get("scale", 2))


def training_config(arch: str, name: str, overrides: dict[str, Any] | None = None) -> dict:
    """The TrainConfig (as a JSON dict) for ``arch`` from ``TRAINING`` settings + overrides."""
    from gan_imaging.core.gan import catalog_archs
    from gan_imaging.core.gan.config import TrainConfig

    if arch not in catalog_archs():
        raise ConfigurationError(
            gettext_noop("Cannot train %(arch)s; choose one of %(choices)s."),
            params={"arch": repr(arch), "choices": ", ".join(catalog_archs())},
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
