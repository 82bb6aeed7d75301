"""Shared helpers of the job service: identities, routing, specs, target filters."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string

from gan_imaging.conf import gan_settings
from gan_imaging.core.pipelines import PIPELINES, Pipeline

TASK_NAME = "gan_imaging.run_job"
TRAIN_KIND = "gan_train"


class JobCancelled(Exception):
    """Raised by a runner that stopped because the job was cancelled; the message says why."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def celery_app() -> Any:
    if gan_settings.CELERY_APP:
        return import_string(gan_settings.CELERY_APP)
    from celery import current_app

    return current_app._get_current_object()


def pipeline_for(kind: str) -> Pipeline:
    return PIPELINES.get(kind)


def queue_for(kind: str) -> str:
    if kind == TRAIN_KIND:
        return gan_settings.QUEUES["gpu"]
    return gan_settings.QUEUES[pipeline_for(kind).device]


def spec_overrides(instance: models.Model, field_name: str, kind: str) -> dict[str, Any]:
    """Per-object spec options: the merchant's focal point for kinds that crop."""
    from dataclasses import fields

    from gan_imaging.models import FocalPoint

    if "focal_point" not in {f.name for f in fields(pipeline_for(kind).spec_type)}:
        return {}
    point = FocalPoint.objects.filter(target_filter(instance, field_name)).first()
    return {"focal_point": [point.x, point.y]} if point else {}


def spec_for(kind: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical spec dict for ``kind`` from settings (and optional overrides)."""
    options = dict(gan_settings.SPECS.get(kind, {}))
    options.update(overrides or {})
    return pipeline_for(kind).spec_type.from_dict(options).to_dict()


def target_filter(instance: models.Model, field_name: str) -> Q:
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return Q(content_type=ct, object_id=str(instance.pk), field_name=field_name)
