"""Shared helpers of the job service: identities, routing, specs, target filters."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import render_message
from gan_imaging.core.pipelines import PIPELINES, Pipeline

TASK_NAME = "gan_imaging.run_job"
TRAIN_KIND = "gan_train"


class JobCancelled(Exception):
    """Raised by a runner that stopped because the job was cancelled; the message says why.

    Like ``GanImagingError``: ``message`` is a template marked with ``gettext_noop`` whose
    ``%(name)s`` placeholders ``params`` fills; ``str(exc)`` is the English text.
    """

    def __init__(self, message: str, *, params: Mapping[str, Any] | None = None):
        self.template = message
        self.params: dict[str, Any] = dict(params or {})
        self.message = render_message(message, self.params)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def stored_error(template: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Job field values for a failure or cancellation reason.

    ``error_message`` gets the English text (logs, admin search, ``manage.py`` output);
    when the text has parameters, ``error_params`` keeps ``{"template", "params"}`` so the
    admin can show it in the reader's language (see ``Job.error_text``).
    """
    values = {k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
              for k, v in (params or {}).items()}
    return {
        "error_message": render_message(template, values),
        "error_params": {"template": template, "params": values} if values else {},
    }


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def celery_app() -> Any:
    if gan_settings.CELERY_APP:
        return import_string(gan_settings.CELERY_APP)
    from celery import current_app

    return current_app._get_current_object()


def pipeline_for(kind: str) -> Pipeline:
    return PIPELINES.get(kind)


def spec_overrides(instance: models.Model, field_name: str, kind: str) -> dict[str, Any]:
    """Per-object spec options, by what the kind's spec accepts: the merchant's focal point
    (kinds that crop), the brand kit and banner copy (kinds with a headline)."""
    from dataclasses import fields

    from gan_imaging.models import FocalPoint

    accepts = {f.name for f in fields(pipeline_for(kind).spec_type)}
    options: dict[str, Any] = {}
    if "headline" in accepts:
        from gan_imaging.jobs.brand import banner_options

        options.update(banner_options(instance))
    if "focal_point" in accepts:
        point = FocalPoint.objects.filter(target_filter(instance, field_name)).first()
        if point:
            options["focal_point"] = [point.x, point.y]
    return options


def upscale_factor() -> int:
    """``GAN_IMAGING["UPSCALE"]`` as the largest super-resolution factor allowed (1, 2, 4)."""
    value = gan_settings.UPSCALE
    named = {"never": 1, "when_needed": 4}
    return named[value] if isinstance(value, str) and value in named else int(value)


def spec_for(kind: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical spec dict for ``kind`` from settings (and optional overrides)."""
    from dataclasses import fields

    options = dict(gan_settings.SPECS.get(kind, {}))
    spec_type = pipeline_for(kind).spec_type
    if "max_upscale" in {f.name for f in fields(spec_type)}:
        options.setdefault("max_upscale", upscale_factor())
    options.update(overrides or {})
    return pipeline_for(kind).spec_type.from_dict(options).to_dict()


def target_filter(instance: models.Model, field_name: str) -> Q:
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return Q(content_type=ct, object_id=str(instance.pk), field_name=field_name)
