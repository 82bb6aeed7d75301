"""Storing pipeline outputs: input-derived names, idempotent Rendition rows."""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import StorageError, gettext_noop
from gan_imaging.core.imaging.encode import get_format
from gan_imaging.core.pipelines import Output
from gan_imaging.models import Rendition, RenditionState
from gan_imaging.models.storage import output_storage

if TYPE_CHECKING:
    from gan_imaging.models import Job


def recipe_digest(job: Job, model_version: str, spec: dict[str, Any] | None = None) -> str:
    """Hex digest (20 characters) of everything that makes a job's outputs: kind, source hash,
    the whole spec (banner copy, brand kit and logo, focal point, overrides; ``spec`` when a
    stage ran another one than the job's), the model versions and the seed. Equal digests mean
    equal inputs, so equal files."""
    recipe = {"kind": job.kind, "source": job.source_hash,
              "spec": job.spec if spec is None else spec, "models": model_version,
              "seed": job.seed}
    canonical = json.dumps(recipe, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def already_current(job: Job, model_version: str) -> bool:
    """Whether the set this job makes is the one pages show already (a regenerate with
    nothing changed): then a preview pass would only replace it with something worse."""
    return Rendition.objects.filter(
        content_type_id=job.content_type_id, object_id=job.object_id, field_name=job.field_name,
        kind=job.kind, recipe=recipe_digest(job, model_version), state=RenditionState.CURRENT,
    ).exists()


def output_name(job: Job, output: Output, recipe: str) -> str:
    """Storage name from kind, source hash and the recipe digest (:func:`recipe_digest`).

    The same inputs always give the same name, so a re-run finds its file and a page never
    needs to ask the storage whether it exists; two objects that share a photo but not their
    banner copy, brand kit or focal point get different names.
    """
    h = job.source_hash
    return posixpath.join(gan_settings.OUTPUT_PREFIX, job.kind, h[:2], h[2:4], h, recipe,
                          output.key)


SAVE_FAILED = gettext_noop("Saving a generated image failed: %(error)s")


def _write(name: str, data: bytes, mime: str) -> str:
    storage = output_storage()
    try:
        if storage.exists(name):
            if Rendition.objects.filter(file=name).exists():
                # Another object's row made from the very same recipe: same content. Never
                # rewrite a file a page may be showing.
                return name
            # Left by a run that died before recording its row: it may be incomplete.
            storage.delete(name)
        content = ContentFile(data)
        content.content_type = mime  # type: ignore[attr-defined]  # read by S3 storages
        saved = storage.save(name, content)
    except OSError as exc:
        raise StorageError(SAVE_FAILED, params={"error": str(exc)}) from exc
    except Exception as exc:  # noqa: BLE001 - S3/boto errors are not OSErrors
        raise StorageError(SAVE_FAILED, params={"error": str(exc)}) from exc
    return saved


PLACEHOLDER_KIND = "placeholder"
PLACEHOLDER_VERSION = "lqip-1"


def save_placeholder(content_type_id: int, object_id: str, field_name: str, source_hash: str,
                     out: Output) -> Rendition:
    """The LQIP row of a source: data inline (``meta["data_uri"]``, ``meta["blurhash"]``),
    no file. Made at upload time and again by the thumbnails job; one row either way."""
    row, _ = Rendition.objects.get_or_create(
        content_type_id=content_type_id,
        object_id=object_id,
        field_name=field_name,
        kind=PLACEHOLDER_KIND,
        spec_key="lqip",
        source_hash=source_hash,
        model_version=PLACEHOLDER_VERSION,
        seed=0,
        defaults={"file": "", "width": out.width, "height": out.height, "format": out.format,
                  "bytes": len(out.data), "meta": out.meta},
    )
    return row


def save_all(job: Job, results: list[Output], model_version: str,
             spec: dict[str, Any] | None = None) -> list[Rendition]:
    """Write each output and record its row; outputs already recorded are left untouched
    (unless their file has gone missing, in which case it is written again).

    New rows are ``pending``: pages do not show them until the job succeeds and
    ``jobs.cleanup.promote`` makes the whole set current at once.
    """
    storage = output_storage()
    recipe = recipe_digest(job, model_version, spec)
    renditions: list[Rendition] = []
    for out in results:
        if out.meta.get("placeholder"):
            renditions.append(save_placeholder(job.content_type_id, job.object_id,
                                               job.field_name, job.source_hash, out))
            continue
        unique = {
            "content_type_id": job.content_type_id,
            "object_id": job.object_id,
            "field_name": job.field_name,
            "kind": job.kind,
            "spec_key": out.key,
            "source_hash": job.source_hash,
            "model_version": model_version,
            "seed": job.seed,
            "recipe": recipe,
        }
        row = Rendition.objects.filter(**unique).first()
        if row is not None:
            name: str = row.file.name  # type: ignore[assignment]  # rows with outputs have one
            if not storage.exists(name):
                row.file.name = _write(name, out.data, get_format(out.format).mime)
                row.save(update_fields=["file"])
            renditions.append(row)
            continue
        name = _write(output_name(job, out, recipe), out.data, get_format(out.format).mime)
        try:
            with transaction.atomic():
                row = Rendition.objects.create(
                    **unique,
                    state=RenditionState.PENDING,
                    file=name,
                    width=out.width,
                    height=out.height,
                    format=out.format,
                    bytes=len(out.data),
                    quality=out.meta.get("quality"),
                    ssim=out.meta.get("ssim"),
                    meta=out.meta,
                    job=job,
                )
        except IntegrityError:
            # Another run recorded the same output first; its file has the same name.
            row = Rendition.objects.get(**unique)
        renditions.append(row)
    return renditions
