"""Try it in your photo: a shopper's upload, their render requests, and the render job.

``upload`` checks the photo exactly as a merchant's upload is checked (size cap, header scan,
bombs, polyglots, a real reduced decode), then stores a clean copy: decoded, turned upright,
sized to ``TRYON_MAX_SIDE`` and re-encoded, so no metadata of the original survives.
``request_render`` queues the row and publishes its id, after commit, on the ``tryon`` queue;
``execute`` (the worker) claims the row with a conditional UPDATE, places the product's cutout
into the photo (:mod:`gan_imaging.core.vision.tryon`) and stores the result.
"""

from __future__ import annotations

import io
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError, SpecError, StorageError, gettext_noop
from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.vision import tryon as core_tryon
from gan_imaging.jobs.common import celery_app, stored_error
from gan_imaging.jobs.sources import check_upload, read_source, upload_limits
from gan_imaging.jobs.tryon_privacy import check_rate, tryon_storage
from gan_imaging.models import Rendition, RenditionState, TryOn, TryOnStatus

log = logging.getLogger("gan_imaging.tryon")

TASK_NAME = "gan_imaging.run_tryon"
MAX_ATTEMPTS = 2
#: Longest side the product photo is cut out at when it has no cutout rendition yet, px.
CUTOUT_SIDE = 1024


class TryOnDisabled(GanImagingError):
    """The shop switched try-on off for this product type."""

    code = "tryon_disabled"


def queue_name() -> str:
    return str(dict(gan_settings.QUEUES).get("tryon", "gan_imaging.tryon"))


def product_type(obj: Any) -> str:
    """``app_label.model`` of ``obj``, plus ``:type`` when it has a ``gan_product_type``."""
    label = f"{obj._meta.app_label}.{obj._meta.model_name}"
    kind = getattr(obj, "gan_product_type", None)
    kind = kind() if callable(kind) else kind
    return f"{label}:{kind}" if kind else label


def allowed(obj: Any) -> bool:
    """Whether try-on is on for ``obj`` (``TRYON_ENABLED`` and not ``TRYON_DISABLED_FOR``)."""
    if not gan_settings.TRYON_ENABLED:
        return False
    off = set(gan_settings.TRYON_DISABLED_FOR)
    full = product_type(obj)
    return full not in off and full.split(":")[0] not in off


def _name() -> str:
    return f"{str(gan_settings.TRYON_PREFIX).strip('/')}/{secrets.token_urlsafe(18)}.jpg"


def upload(obj: Any, field_name: str, fileobj: Any, *, session_hash: str, ip_hash: str,
           filename: str | None = None) -> TryOn:
    """Check, clean and store a shopper's photo for ``obj``'s ``field_name``; returns the row.

    Raises ``InvalidImageError`` subclasses (the merchants' upload messages),
    :class:`TryOnDisabled` or ``RateLimited``."""
    if not allowed(obj):
        raise TryOnDisabled(gettext_noop("Trying this product in your photo is not available."))
    check_rate(session_hash, ip_hash)
    data, _fmt = check_upload(fileobj, filename)
    image = core_tryon.clean_photo(data, upload_limits(), filename=filename,
                                   max_side=int(gan_settings.TRYON_MAX_SIDE))  # fmt: skip
    clean = core_tryon.encode_jpeg(image)
    storage = tryon_storage()
    try:
        name = storage.save(_name(), ContentFile(clean))
    except OSError as exc:
        raise StorageError(gettext_noop("The photo could not be saved (%(error)s)."),
                           params={"error": str(exc)}) from exc
    now = timezone.now()
    try:
        return TryOn.objects.create(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
            field_name=field_name, session_hash=session_hash, ip_hash=ip_hash, photo=name,
            photo_width=image.width, photo_height=image.height,
            expires_at=now + timedelta(seconds=int(gan_settings.TRYON_TTL)))
    except Exception:
        storage.delete(name)
        raise


def request_render(row: TryOn, pose: dict[str, Any]) -> TryOn:
    """Queue a render of ``row`` with the product where the shopper left it (``pose``: see
    ``TryOnSpec.from_dict``); published on commit. ``SpecError`` for a bad pose or when the
    photo has had ``TRYON_MAX_RENDERS`` renders."""
    spec = core_tryon.TryOnSpec.from_dict(pose)
    if row.renders >= int(gan_settings.TRYON_MAX_RENDERS):
        raise SpecError(gettext_noop(
            "This photo has been rendered %(count)s times; upload it again to go on."),
            params={"count": row.renders})
    n = TryOn.objects.filter(pk=row.pk).exclude(
        status__in=[TryOnStatus.QUEUED, TryOnStatus.RUNNING, TryOnStatus.DELETED]).update(
        status=TryOnStatus.QUEUED, pose=spec.as_dict(), progress=0.0, attempts=0,
        renders=F("renders") + 1, error_message="", error_params={}, queued_at=timezone.now())
    if n:
        transaction.on_commit(lambda: publish(row.pk))
    row.refresh_from_db()
    return row


def publish(tryon_id: Any) -> bool:
    """Send the row's id to the try-on queue; a failure leaves it queued for the sweeper."""
    try:
        celery_app().send_task(TASK_NAME, args=[str(tryon_id)], queue=queue_name(), retry=True,
                               retry_policy={"max_retries": 1, "interval_start": 0,
                                             "interval_step": 0.5, "interval_max": 0.5})
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row queued
        log.warning("publishing try-on %s failed, the sweeper will retry: %s", tryon_id, exc)
        return False
    return True


def _claim(tryon_id: Any) -> TryOn | None:
    now = timezone.now()
    n = TryOn.objects.filter(pk=tryon_id, status=TryOnStatus.QUEUED,
                             attempts__lt=MAX_ATTEMPTS).update(
        status=TryOnStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, progress=0.1)
    return TryOn.objects.filter(pk=tryon_id).first() if n else None


def _progress(row: TryOn, fraction: float) -> None:
    TryOn.objects.filter(pk=row.pk, status=TryOnStatus.RUNNING).update(progress=fraction)


def product_cutout(row: TryOn) -> Image.Image:
    """The product as an RGBA cutout: its cutout rendition (what the page showed the shopper)
    or, before renders exist, its photo cut out here."""
    from gan_imaging.core.vision.cutout import apply_matte, cutout

    rendition = (Rendition.objects.filter(
        content_type_id=row.content_type_id, object_id=row.object_id, field_name=row.field_name,
        kind="renders", state=RenditionState.CURRENT, spec_key__startswith="cutout")
        .exclude(file="").order_by("format").first())  # png before webp
    if rendition is not None:
        try:
            with rendition.file.open("rb") as fh:
                im = Image.open(io.BytesIO(fh.read()))
                im.load()
            return im.convert("RGBA")
        except OSError:
            log.warning("try-on %s: cutout rendition unreadable, cutting out", row.pk)
    model = row.content_type.model_class()
    obj = model._default_manager.filter(pk=row.object_id).first() if model else None
    fieldfile = getattr(obj, row.field_name, None) if obj is not None else None
    if not fieldfile:
        raise SpecError(gettext_noop("This product has no photo to place."))
    image, _info = decode(read_source(fieldfile), upload_limits(), filename=fieldfile.name,
                          draft_to=(CUTOUT_SIDE, CUTOUT_SIDE))  # fmt: skip
    image.thumbnail((CUTOUT_SIDE, CUTOUT_SIDE))
    matte = cutout(image)
    if matte.method == "none":
        raise SpecError(gettext_noop("The product could not be cut out of its photo."))
    return apply_matte(image, matte)


def warm() -> None:
    """Load the models a render uses (the harmoniser, the cutout net) into this process."""
    from gan_imaging.core.gan.harmonise import get_model
    from gan_imaging.core.vision.segnet import get_model as get_segmenter

    get_model()
    get_segmenter()


def execute(tryon_id: Any) -> str:
    """Render one try-on (the worker's call). Returns the row's final status, or
    ``"skipped"`` when another worker has it or it is gone."""
    from gan_imaging.core.gan.harmonise import get_model

    row = _claim(tryon_id)
    if row is None:
        return "skipped"
    old = row.result
    try:
        spec = core_tryon.TryOnSpec.from_dict(row.pose)
        storage = tryon_storage()
        with storage.open(row.photo, "rb") as fh:
            photo = fh.read()
        _progress(row, 0.3)
        cut = product_cutout(row)
        _progress(row, 0.5)
        data, meta = core_tryon.render_bytes(photo, cut, spec, upload_limits(),
                                             harmoniser=get_model(),
                                             max_side=int(gan_settings.TRYON_MAX_SIDE))
        _progress(row, 0.9)
        name = storage.save(_name(), ContentFile(data))
    except GanImagingError as exc:
        return _fail(row, exc.template, exc.params)
    except OSError as exc:
        return _fail(row, gettext_noop("The photo could not be read (%(error)s)."),
                     {"error": type(exc).__name__})
    except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker or hang the page
        log.exception("try-on %s crashed", row.pk)
        return _fail(row, gettext_noop("Rendering failed unexpectedly (%(error)s)."),
                     {"error": type(exc).__name__})
    n = TryOn.objects.filter(pk=row.pk, status=TryOnStatus.RUNNING).update(
        status=TryOnStatus.SUCCEEDED, result=name, meta=meta, progress=1.0,
        finished_at=timezone.now())
    # Deleted meanwhile, or a newer result replaces an older one: remove what no row names.
    for stale in ([name] if n == 0 else []) + ([old] if old and n else []):
        storage.delete(stale)
    return TryOnStatus.SUCCEEDED if n else "skipped"


def _fail(row: TryOn, template: str, params: dict[str, Any] | None = None) -> str:
    TryOn.objects.filter(pk=row.pk, status=TryOnStatus.RUNNING).update(
        status=TryOnStatus.FAILED, finished_at=timezone.now(), **stored_error(template, params))
    return TryOnStatus.FAILED


def recover(*, now: Any = None, limit: int = 200) -> int:
    """Publish again try-ons whose message or worker was lost: queued ones waiting longer than
    a minute, running ones past ``LEASE_SECONDS`` (back to queued while attempts remain, else
    failed). Returns how many were published."""
    now = now or timezone.now()
    lost = now - timedelta(seconds=int(gan_settings.LEASE_SECONDS))
    running = TryOn.objects.filter(status=TryOnStatus.RUNNING, started_at__lt=lost)
    running.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=TryOnStatus.FAILED, finished_at=now, **stored_error(gettext_noop(
            "Rendering stopped unexpectedly; press Render to try again.")))
    running.update(status=TryOnStatus.QUEUED, queued_at=now - timedelta(minutes=2))
    due = list(TryOn.objects.filter(status=TryOnStatus.QUEUED,
                                    queued_at__lt=now - timedelta(seconds=60))
               .values_list("pk", flat=True)[:limit])
    TryOn.objects.filter(pk__in=due).update(queued_at=now)
    return sum(publish(pk) for pk in due)
