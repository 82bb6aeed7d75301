"""Storing pipeline outputs: input-derived names, idempotent Rendition rows."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import StorageError
from gan_imaging.core.imaging.encode import get_format
from gan_imaging.core.pipelines import Output
from gan_imaging.models import Rendition
from gan_imaging.storage import output_storage

if TYPE_CHECKING:
    from gan_imaging.models import Job


def output_name(job: Job, output: Output, model_version: str) -> str:
    """Storage name from source hash, kind, model version, seed and spec key.

    The same inputs always give the same name, so a re-run finds its file and a page never
    needs to ask the storage whether it exists.
    """
    h = job.source_hash
    return posixpath.join(
        gan_settings.OUTPUT_PREFIX,
        job.kind,
        h[:2],
        h[2:4],
        h,
        model_version,
        f"s{job.seed}",
        output.key,
    )


def _write(name: str, data: bytes, mime: str) -> str:
    storage = output_storage()
    try:
        if storage.exists(name):
            # Left by a run that died before recording its row: it may be incomplete.
            storage.delete(name)
        content = ContentFile(data)
        content.content_type = mime  # read by S3 storages for the Content-Type header
        saved = storage.save(name, content)
    except OSError as exc:
        raise StorageError(f"Saving a generated image failed: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - S3/boto errors are not OSErrors
        raise StorageError(f"Saving a generated image failed: {exc}") from exc
    return saved


def save_all(job: Job, results: list[Output], model_version: str) -> list[Rendition]:
    """Write each output and record its row; outputs already recorded are left untouched
    (unless their file has gone missing, in which case it is written again)."""
    storage = output_storage()
    renditions: list[Rendition] = []
    for out in results:
        unique = {
            "content_type_id": job.content_type_id,
            "object_id": job.object_id,
            "field_name": job.field_name,
            "kind": job.kind,
            "spec_key": out.key,
            "source_hash": job.source_hash,
            "model_version": model_version,
            "seed": job.seed,
        }
        row = Rendition.objects.filter(**unique).first()
        if row is not None:
            if not storage.exists(row.file.name):
                row.file.name = _write(row.file.name, out.data, get_format(out.format).mime)
                row.save(update_fields=["file"])
            renditions.append(row)
            continue
        name = _write(output_name(job, out, model_version), out.data, get_format(out.format).mime)
        try:
            with transaction.atomic():
                row = Rendition.objects.create(
                    **unique,
                    file=name,
                    width=out.width,
                    height=out.height,
                    format=out.format,
                    bytes=len(out.data),
                    meta=out.meta,
                    job=job,
                )
        except IntegrityError:
            # Another run recorded the same output first; its file has the same name.
            row = Rendition.objects.get(**unique)
        renditions.append(row)
    return renditions


def delete_files(names: list[str], storage: Any = None) -> int:
    """Delete stored files by name, ignoring ones already gone. Returns how many existed."""
    storage = storage or output_storage()
    gone = 0
    for name in names:
        try:
            if storage.exists(name):
                storage.delete(name)
                gone += 1
        except OSError:
            continue
    return gone
