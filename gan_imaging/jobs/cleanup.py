"""Removing outputs that no longer belong to anything, always after the change committed.

Files are content-derived and may be shared by two objects with the same photo, so a file is
deleted only when no Rendition row names it any more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gan_imaging.models import Job, JobStatus, Rendition
from gan_imaging.outputs import delete_files

log = logging.getLogger("gan_imaging.jobs")


@dataclass
class CleanupResult:
    renditions: int = 0
    files: int = 0
    cancelled: int = 0


def _purge(renditions: Any, jobs: Any, reason: str) -> CleanupResult:
    result = CleanupResult()
    with transaction.atomic():
        names = [n for n in renditions.values_list("file", flat=True) if n]
        result.renditions, _ = renditions.delete()
        result.cancelled = jobs.filter(status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED,
            error_code="superseded",
            error_message=reason,
            finished_at=timezone.now(),
        )
        still_used = set(Rendition.objects.filter(file__in=names).values_list("file", flat=True))
    result.files = delete_files([n for n in names if n not in still_used])
    return result


def cleanup_replaced(content_type_id: int, object_id: str, field_name: str,
                     keep_hash: str) -> CleanupResult:
    """Drop renditions and queued jobs of earlier photos of one field (keeps ``keep_hash``)."""
    where = Q(content_type_id=content_type_id, object_id=object_id, field_name=field_name)
    return _purge(
        Rendition.objects.filter(where).exclude(source_hash=keep_hash),
        Job.objects.filter(where).exclude(source_hash=keep_hash),
        "The photo was replaced; a newer job generates its images.",
    )


def cleanup_deleted(content_type_id: int, object_id: str) -> CleanupResult:
    """Drop every rendition and queued job of a deleted object."""
    where = Q(content_type_id=content_type_id, object_id=object_id)
    return _purge(
        Rendition.objects.filter(where),
        Job.objects.filter(where),
        "The item was deleted before its images were generated.",
    )


def discard_outputs(job: Job) -> CleanupResult:
    """Drop what a run produced for a photo that was replaced while it ran."""
    where = Q(content_type_id=job.content_type_id, object_id=job.object_id,
              field_name=job.field_name, source_hash=job.source_hash)
    return _purge(Rendition.objects.filter(where), Job.objects.none(), "")


def drop_superseded_outputs(job: Job, keep: list[Rendition]) -> CleanupResult:
    """After a deterministic kind succeeded, drop that kind's other rows for the same photo
    (made under an older spec, e.g. before the focal point moved), so pages never mix them."""
    where = Q(content_type_id=job.content_type_id, object_id=job.object_id,
              field_name=job.field_name, kind=job.kind, source_hash=job.source_hash)
    return _purge(Rendition.objects.filter(where).exclude(pk__in=[r.pk for r in keep]),
                  Job.objects.none(), "")


def after_commit(func: Any, *args: Any) -> None:
    """Run a cleanup once the surrounding transaction commits (at once outside one)."""

    def run() -> None:
        try:
            func(*args)
        except Exception:  # noqa: BLE001 - cleanup is best effort; the sweeper is not needed
            log.warning("cleanup %s%s failed", func.__name__, args, exc_info=True)

    transaction.on_commit(run, robust=True)
