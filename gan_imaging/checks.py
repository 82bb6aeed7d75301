"""System checks. Misconfiguration is reported with an id and a hint, never a crash."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from gan_imaging.conf import DEFAULTS, gan_settings
from gan_imaging.core.errors import SpecError
from gan_imaging.core.pipelines import PIPELINES

KNOWN_DEVICES = ("auto", "cpu", "cuda", "mps")


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    raw = getattr(settings, "GAN_IMAGING", {})
    if not isinstance(raw, dict):
        return [Error("GAN_IMAGING must be a dict.", id="gan_imaging.E001")]
    for key in gan_settings.unknown_keys():
        errors.append(
            Error(
                f"Unknown GAN_IMAGING setting {key!r}.",
                hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
                id="gan_imaging.E001",
            )
        )
    kinds = list(gan_settings.ON_UPLOAD) + list(gan_settings.SPECS)
    for kind in kinds:
        if kind not in PIPELINES:
            errors.append(
                Error(
                    f"Unknown output kind {kind!r} in GAN_IMAGING.",
                    hint=f"Available kinds: {', '.join(PIPELINES.names())}.",
                    id="gan_imaging.E002",
                )
            )
    for kind, options in dict(gan_settings.SPECS).items():
        if kind in PIPELINES:
            try:
                PIPELINES.get(kind).spec_type.from_dict(options)
            except (SpecError, TypeError) as exc:
                errors.append(
                    Error(
                        f"GAN_IMAGING['SPECS'][{kind!r}] is invalid: {exc}",
                        id="gan_imaging.E003",
                    )
                )
    storages_setting = getattr(settings, "STORAGES", {})
    if gan_settings.STORAGE not in storages_setting:
        errors.append(
            Error(
                f"GAN_IMAGING['STORAGE'] is {gan_settings.STORAGE!r}, "
                "which is not an alias in STORAGES.",
                hint=f"Use one of: {', '.join(storages_setting) or 'none defined'}.",
                id="gan_imaging.E004",
            )
        )
    queues = gan_settings.QUEUES
    if not isinstance(queues, dict) or not {"cpu", "gpu"} <= set(queues):
        errors.append(
            Error(
                "GAN_IMAGING['QUEUES'] must name a 'cpu' and a 'gpu' queue.",
                id="gan_imaging.E005",
            )
        )
    device = str(gan_settings.DEVICE)
    if device.split(":")[0] not in KNOWN_DEVICES:
        errors.append(
            Error(
                f"GAN_IMAGING['DEVICE'] is {device!r}.",
                hint="Use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'.",
                id="gan_imaging.E006",
            )
        )
    if int(gan_settings.MAX_PIXELS) > 89_478_485:
        errors.append(
            Warning(
                "GAN_IMAGING['MAX_PIXELS'] is above Pillow's decompression-bomb threshold.",
                hint="Keep it at or below 89 megapixels; 50 is the default.",
                id="gan_imaging.W001",
            )
        )
    return errors


@register(Tags.compatibility)
def check_celery(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from gan_imaging.jobs import celery_app

    try:
        app = celery_app()
    except ImportError as exc:
        return [
            Error(
                f"GAN_IMAGING['CELERY_APP'] cannot be imported: {exc}",
                id="gan_imaging.E010",
            )
        ]
    # Celery's fallback app is called "default" and has no broker configured.
    if getattr(app, "main", None) in (None, "default") and not app.conf.broker_url:
        return [
            Error(
                "No Celery app is configured, so generation jobs cannot be sent to workers.",
                hint=(
                    "Create a Celery app in your project (proj/celery.py) and import it in "
                    "proj/__init__.py, or set GAN_IMAGING['CELERY_APP'] to its dotted path."
                ),
                id="gan_imaging.E010",
            )
        ]
    return []
