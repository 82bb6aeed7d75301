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

from gan_imaging.conf import gan_settings
from gan_imaging.models import Job, JobStatus, Rendition, RenditionState
from gan_imaging.models.storage import output_storage

log = logging.getLogger("gan_imaging.jobs")


@dataclass
class CleanupResult:
    renditions: int = 0
    files: int = 0
    cancelled: int = 0


def purge(renditions: Any, jobs: Any, reason: str) -> CleanupResult:
    """Delete ``renditions`` (a queryset) and cancel the queued ones of ``jobs`` with
    ``reason``; then delete the files no remaining row names."""
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
    return purge(
        Rendition.objects.filter(where).exclude(source_hash=keep_hash),
        Job.objects.filter(where).exclude(source_hash=keep_hash),
        "The photo was replaced; a newer job generates its images.",
    )


def cleanup_deleted(content_type_id: int, object_id: str) -> CleanupResult:
    """Drop every rendition and queued job of a deleted object."""
    where = Q(content_type_id=content_type_id, object_id=object_id)
    return purge(
        Rendition.objects.filter(where),
        Job.objects.filter(where),
        "The item was deleted before its images were generated.",
    )


def discard_outputs(job: Job) -> CleanupResult:
    """Drop what a run produced for a photo that was replaced while it ran."""
    where = Q(content_type_id=job.content_type_id, object_id=job.object_id,
              field_name=job.field_name, source_hash=job.source_hash)
    return purge(Rendition.objects.filter(where), Job.objects.none(), "")


def _kind_filter(job: Job) -> Q:
    return Q(content_type_id=job.content_type_id, object_id=job.object_id,
             field_name=job.field_name, kind=job.kind)


def promote(job: Job, renditions: list[Rendition]) -> None:
    """Make a succeeded job's outputs the one current set of its (object, field, kind).

    Call inside the transaction that marks the job succeeded. The previous sets become
    ``superseded``: with ``KEEP_SUPERSEDED`` = 0 (the default) their rows are deleted and their
    files removed after commit (never a file another row still names); otherwise the newest
    N sets are kept as history. Finished jobs of the same kind created before this one are
    deleted with them: their results are gone. A run overtaken by a newer succeeded job of the
    same kind (delivered late) changes nothing that is shown.
    """
    where = _kind_filter(job)
    mine = [r.pk for r in renditions if r.kind == job.kind]
    done = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
    overtaken = Job.objects.filter(where & Q(status=JobStatus.SUCCEEDED),
                                   created_at__gt=job.created_at).exists()
    if overtaken:
        pending = Rendition.objects.filter(pk__in=mine, state=RenditionState.PENDING)
        pending.update(state=RenditionState.SUPERSEDED, superseded_at=timezone.now())
    else:
        Rendition.objects.filter(pk__in=mine).update(state=RenditionState.CURRENT,
                                                     superseded_at=None, job=job)
        Rendition.objects.filter(where, state=RenditionState.CURRENT).exclude(
            pk__in=mine).update(state=RenditionState.SUPERSEDED, superseded_at=timezone.now())
    keep = int(gan_settings.KEEP_SUPERSEDED)
    if not keep:
        Job.objects.filter(where, status__in=done, created_at__lt=job.created_at).delete()
    after_commit(prune_superseded, job.content_type_id, job.object_id, job.field_name,
                 job.kind)


#: Seconds a superseded preview set (a pipeline's fast first pass, ``meta["stage"]``) stays
#: stored after the full set replaced it, so a page rendered just before still finds its
#: files; the sweeper removes it after that.
PREVIEW_GRACE_S = 300
#: Rows of a preview set, and the others (a missing key is not NULL-compared away).
PREVIEW = Q(meta__stage="preview")
NOT_PREVIEW = Q(meta__stage__isnull=True) | ~Q(meta__stage="preview")


def prune_superseded(content_type_id: int, object_id: str, field_name: str,
                     kind: str) -> CleanupResult:
    """Delete the superseded sets of one (object, field, kind) beyond ``KEEP_SUPERSEDED``
    (newest first; a set is the rows of one recipe), with their files when unused. Preview
    sets are never history: the sweeper removes them after :data:`PREVIEW_GRACE_S`."""
    where = Q(content_type_id=content_type_id, object_id=object_id, field_name=field_name,
              kind=kind, state=RenditionState.SUPERSEDED) & NOT_PREVIEW
    keep = int(gan_settings.KEEP_SUPERSEDED)
    recipes: list[str] = []
    for recipe in Rendition.objects.filter(where).order_by("-superseded_at", "-pk").values_list(
            "recipe", flat=True):
        if recipe not in recipes:
            recipes.append(recipe)
    old = Rendition.objects.filter(where, recipe__in=recipes[keep:])
    return purge(old, Job.objects.none(), "")


def purge_pending(job: Job) -> CleanupResult:
    """Drop what a run wrote for a job that failed for good: never shown, never kept."""
    return purge(Rendition.objects.filter(job=job, state=RenditionState.PENDING),
                  Job.objects.none(), "")


def after_commit(func: Any, *args: Any) -> None:
    """Run a cleanup once the surrounding transaction commits (at once outside one)."""

    def run() -> None:
        try:
            func(*args)
        except Exception:  # noqa: BLE001 - cleanup is best effort; the sweeper is not needed
            log.warning("cleanup %s%s failed", func.__name__, args, exc_info=True)

    transaction.on_commit(run, robust=True)


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
