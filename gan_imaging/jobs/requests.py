"""Creating jobs (inside the caller's transaction) and publishing them after commit."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import QuotaExceededError, SpecError, gettext_noop
from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.jobs.assets import effective_version
from gan_imaging.jobs.common import (
    TASK_NAME,
    celery_app,
    pipeline_for,
    spec_for,
    spec_overrides,
    stored_error,
    target_filter,
)
from gan_imaging.jobs.runners import gpu_kinds, queue_for, runner_for
from gan_imaging.jobs.sources import read_source
from gan_imaging.models import ACTIVE_STATUSES, Job, JobStatus

log = logging.getLogger("gan_imaging.jobs")


def check_gpu_quota(user: Any) -> None:
    """Refuse one more GPU job for ``user`` beyond ``GPU_QUOTA`` jobs per window (from the job
    table, inside the caller's transaction). Uploads without a user (code, imports) are not
    counted against anyone."""
    quota = gan_settings.GPU_QUOTA
    if not quota or not getattr(user, "pk", None):
        return
    since = timezone.now() - timedelta(hours=float(quota["hours"]))
    used = Job.objects.filter(requested_by=user, kind__in=gpu_kinds(),
                              created_at__gte=since).count()
    if used >= int(quota["jobs"]):
        raise QuotaExceededError(
            gettext_noop(
                "You have used your GPU quota (%(jobs)s jobs per %(hours)s hours). Try again "
                "later or ask an administrator to raise GAN_IMAGING['GPU_QUOTA']."
            ),
            params={"jobs": quota["jobs"], "hours": quota["hours"]},
        )


def request(
    instance: models.Model,
    field_name: str,
    kinds: list[str] | None = None,
    *,
    source_hash: str | None = None,
    force: bool = False,
    new_seed: bool = False,
    user: Any = None,
) -> list[Job]:
    """Create Job rows for ``kinds`` of ``instance.<field_name>``; publish them on commit.

    Without ``force`` a kind is skipped when an active or succeeded job already covers the same
    source, spec and version. ``new_seed`` draws a fresh seed (0–2³¹−1) for seeded kinds.
    Call inside the transaction that saved the instance so rows and upload commit together.
    """
    fieldfile = getattr(instance, field_name)
    if not fieldfile:
        return []
    if kinds is None:
        kinds = list(getattr(fieldfile.field, "outputs", None) or gan_settings.ON_UPLOAD)
    if source_hash is None:
        source_hash = content_hash(read_source(fieldfile))
    where = target_filter(instance, field_name)
    created: list[Job] = []
    for kind in kinds:
        pipeline = pipeline_for(kind)
        try:
            spec = spec_for(kind, spec_overrides(instance, field_name, kind))
        except SpecError as exc:
            # This object's settings cannot make this kind (e.g. a banner with no headline):
            # record a failed job with the reason instead of failing the save that asked.
            _refused(instance, field_name, fieldfile, kind, source_hash, exc, user)
            continue
        version = effective_version(pipeline, pipeline.spec_type.from_dict(spec))
        if not force and _covered(where, kind, source_hash, spec, version):
            continue
        if runner_for(kind).queue == "gpu":
            check_gpu_quota(user)
        seed = random.SystemRandom().randrange(2**31) if new_seed and pipeline.seeded else 0
        created.append(
            Job.objects.create(
                content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
                object_id=str(instance.pk),
                field_name=field_name,
                kind=kind,
                spec=spec,
                source_name=fieldfile.name,
                source_hash=source_hash,
                seed=seed,
                model_version=version,
                max_attempts=gan_settings.MAX_ATTEMPTS,
                requested_by=user if getattr(user, "pk", None) else None,
            )
        )
    if created:
        ids = [job.pk for job in created]
        transaction.on_commit(partial(publish, ids), robust=True)
    return created


def _covered(where: Any, kind: str, source_hash: str, spec: dict[str, Any],
             version: str) -> bool:
    """Whether a job for this exact output is under way, or made the set shown now (the
    newest succeeded job of the kind; an older one's set is superseded)."""
    same = {"source_hash": source_hash, "spec": spec}
    if Job.objects.filter(where, kind=kind, status__in=ACTIVE_STATUSES, **same).exists():
        return True
    newest = Job.objects.filter(where, kind=kind, status=JobStatus.SUCCEEDED).order_by(
        "-created_at").values_list("pk", flat=True)[:1]
    # Compared in the database, as JSON, like the spec is stored.
    return Job.objects.filter(pk__in=list(newest), model_version=version, **same).exists()


def _refused(instance: models.Model, field_name: str, fieldfile: Any, kind: str,
             source_hash: str, exc: SpecError, user: Any) -> Job:
    """A failed Job row for a kind whose spec could not be made for ``instance``."""
    existing = Job.objects.filter(target_filter(instance, field_name), kind=kind,
                                  source_hash=source_hash, status=JobStatus.FAILED,
                                  error_code=exc.code).first()
    if existing is not None:
        return existing
    now = timezone.now()
    return Job.objects.create(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        object_id=str(instance.pk), field_name=field_name, kind=kind, spec={},
        source_name=fieldfile.name, source_hash=source_hash, status=JobStatus.FAILED,
        error_code=exc.code, **stored_error(exc.template, exc.params), finished_at=now,
        max_attempts=gan_settings.MAX_ATTEMPTS,
        requested_by=user if getattr(user, "pk", None) else None,
    )


def publish(job_ids: list[Any]) -> int:
    """Send one Celery message per still-queued job. Never raises: a job whose message could
    not be sent stays queued and the sweeper sends it later. Returns the number sent."""
    app = celery_app()
    sent = 0
    for job in Job.objects.filter(pk__in=job_ids, status=JobStatus.QUEUED):
        try:
            app.send_task(
                TASK_NAME,
                args=[str(job.pk)],
                task_id=str(job.pk),
                queue=queue_for(job.kind),
                retry=True,
                retry_policy={
                    "max_retries": 1,
                    "interval_start": 0,
                    "interval_step": 0.5,
                    "interval_max": 0.5,
                },
            )
        except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row queued
            log.warning("publishing job %s failed, the sweeper will retry: %s", job.pk, exc)
            continue
        Job.objects.filter(pk=job.pk).update(
            published_at=timezone.now(), publish_count=F("publish_count") + 1
        )
        sent += 1
    return sent


def retry(queryset: models.QuerySet) -> int:
    """Put failed jobs back in the queue with fresh attempts; publish on commit."""
    ids = list(queryset.filter(status=JobStatus.FAILED).values_list("pk", flat=True))
    Job.objects.filter(pk__in=ids, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED,
        attempts=0,
        progress=0.0,
        error_code="",
        error_message="",
        published_at=None,
        finished_at=None,
    )
    if ids:
        transaction.on_commit(partial(publish, ids), robust=True)
    return len(ids)
