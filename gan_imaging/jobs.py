"""The service layer: every piece of job logic lives here.

``request`` writes Job rows inside the caller's transaction and publishes their ids on commit;
``execute`` claims a row with a conditional UPDATE, runs the pure pipeline, stores the outputs
under input-derived names and records Rendition rows; ``sweep`` republishes lost messages and
recovers expired leases. A job can run twice without harm: claims are exclusive and outputs are
idempotent rows, which is what makes ``acks_late`` safe.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from gan_imaging import outputs, signals
from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError, SpecError, StorageError
from gan_imaging.core.imaging.decode import content_hash, decode, read_limited
from gan_imaging.core.pipelines import PIPELINES, Context, Pipeline
from gan_imaging.limits import upload_limits
from gan_imaging.models import ACTIVE_STATUSES, Job, JobStatus

log = logging.getLogger("gan_imaging.jobs")

TASK_NAME = "gan_imaging.run_job"


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
    return gan_settings.QUEUES[pipeline_for(kind).device]


def spec_for(kind: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical spec dict for ``kind`` from settings (and optional overrides)."""
    options = dict(gan_settings.SPECS.get(kind, {}))
    options.update(overrides or {})
    return pipeline_for(kind).spec_type.from_dict(options).to_dict()


def target_filter(instance: models.Model, field_name: str) -> Q:
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return Q(content_type=ct, object_id=str(instance.pk), field_name=field_name)


# --------------------------------------------------------------------------- request & publish


def read_source(fieldfile: Any) -> bytes:
    """Bytes of a stored field file, with the upload size cap applied."""
    try:
        fieldfile.open("rb")
        try:
            return read_limited(fieldfile.file, upload_limits())
        finally:
            fieldfile.close()
    except (OSError, ValueError) as exc:
        raise StorageError(f"The photo could not be read from storage: {exc}") from exc


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
        spec = spec_for(kind)
        existing = Job.objects.filter(where, kind=kind, source_hash=source_hash, spec=spec)
        if not force and (
            existing.filter(status__in=ACTIVE_STATUSES).exists()
            or existing.filter(status=JobStatus.SUCCEEDED, model_version=pipeline.version).exists()
        ):
            continue
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
                model_version=pipeline.version,
                max_attempts=gan_settings.MAX_ATTEMPTS,
                requested_by=user if getattr(user, "pk", None) else None,
            )
        )
    if created:
        ids = [job.pk for job in created]
        transaction.on_commit(partial(publish, ids), robust=True)
    return created


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


# --------------------------------------------------------------------------- execute


@dataclass
class Outcome:
    """What ``execute`` did: ``status`` is a JobStatus value or ``"skipped"`` (not claimed).
    ``retry_in`` (s) asks the caller to deliver the job again after that delay."""

    status: str
    retry_in: float | None = None
    renditions: list[Any] = field(default_factory=list)


def claim(job_id: Any, owner: str) -> Job | None:
    """Atomically take the job; None when another worker has it or it is finished."""
    now = timezone.now()
    lease = now + timedelta(seconds=gan_settings.LEASE_SECONDS)
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
    n = (
        Job.objects.filter(claimable, pk=job_id, attempts__lt=F("max_attempts"))
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            lease_owner=owner,
            lease_expires_at=lease,
            heartbeat_at=now,
            started_at=now,
            progress=0.0,
        )
    )
    if n == 1:
        return Job.objects.select_related("content_type").get(pk=job_id)
    # A queued job whose attempts are spent (its last run died with the worker) ends here.
    Job.objects.filter(
        claimable, pk=job_id, attempts__gte=F("max_attempts")
    ).update(
        status=JobStatus.FAILED,
        error_code="worker_lost",
        error_message=give_up_message(),
        finished_at=now,
        lease_owner="",
        lease_expires_at=None,
    )
    return None


def give_up_message() -> str:
    return (
        "Generation stopped unexpectedly several times (the worker was restarted or ran out of "
        "memory). Use “Retry failed” to try again; if it keeps failing, try a smaller photo."
    )


class _Heartbeat:
    """Progress callback that also extends the lease, at most once a second."""

    def __init__(self, job: Job, owner: str):
        self.job, self.owner, self.last = job, owner, 0.0

    def __call__(self, fraction: float) -> None:
        now_s = time.monotonic()
        if now_s - self.last < 1.0 and fraction < 1.0:
            return
        self.last = now_s
        now = timezone.now()
        Job.objects.filter(pk=self.job.pk, lease_owner=self.owner).update(
            progress=max(0.0, min(1.0, fraction)),
            heartbeat_at=now,
            lease_expires_at=now + timedelta(seconds=gan_settings.LEASE_SECONDS),
        )


def _finish(job: Job, owner: str, status: str, **extra: Any) -> bool:
    now = timezone.now()
    started = job.started_at or now
    n = Job.objects.filter(pk=job.pk, lease_owner=owner, status=JobStatus.RUNNING).update(
        status=status,
        finished_at=now,
        duration_ms=int((now - started).total_seconds() * 1000),
        lease_owner="",
        lease_expires_at=None,
        **extra,
    )
    if n == 0:
        log.warning("job %s: lease lost before finishing; result of this run discarded", job.pk)
    return n == 1


def execute(job_id: Any, *, owner: str | None = None) -> Outcome:
    """Run one job to completion. Safe to call any number of times for the same id."""
    owner = owner or worker_id()
    job = claim(job_id, owner)
    if job is None:
        return Outcome("skipped")
    try:
        renditions = _run(job, owner)
    except _Superseded as exc:
        _finish(job, owner, JobStatus.CANCELLED, error_code="superseded", error_message=str(exc))
        return Outcome(JobStatus.CANCELLED)
    except GanImagingError as exc:
        return _fail_or_retry(job, owner, exc.code, exc.message, exc.retryable)
    except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker or lose the job
        log.exception("job %s crashed", job.pk)
        return _fail_or_retry(
            job,
            owner,
            "internal",
            f"An unexpected error stopped generation ({type(exc).__name__}). "
            "The details are in the worker log.",
            True,
        )
    if _finish(job, owner, JobStatus.SUCCEEDED, progress=1.0, error_code="", error_message=""):
        signals.rendition_ready.send(sender=Job, job=job, renditions=renditions)
    return Outcome(JobStatus.SUCCEEDED, renditions=renditions)


def _fail_or_retry(job: Job, owner: str, code: str, message: str, retryable: bool) -> Outcome:
    job.refresh_from_db(fields=["attempts", "max_attempts"])
    if retryable and job.attempts < job.max_attempts:
        delay = min(300.0, 5.0 * 2 ** (job.attempts - 1))
        Job.objects.filter(pk=job.pk, lease_owner=owner).update(
            status=JobStatus.QUEUED,
            lease_owner="",
            lease_expires_at=None,
            error_code=code,
            error_message=message,
            published_at=timezone.now() + timedelta(seconds=delay),
        )
        return Outcome(JobStatus.QUEUED, retry_in=delay)
    _finish(job, owner, JobStatus.FAILED, error_code=code, error_message=message)
    return Outcome(JobStatus.FAILED)


class _Superseded(Exception):
    pass


def _run(job: Job, owner: str) -> list[Any]:
    model = job.content_type.model_class()
    instance = model._default_manager.filter(pk=job.object_id).first() if model else None
    if instance is None:
        raise _Superseded("The item was deleted before its images were generated.")
    fieldfile = getattr(instance, job.field_name, None)
    if not fieldfile or fieldfile.name != job.source_name:
        raise _Superseded("The photo was replaced; a newer job generates its images.")
    data = read_source(fieldfile)
    if content_hash(data) != job.source_hash:
        raise _Superseded("The photo was replaced; a newer job generates its images.")
    pipeline = pipeline_for(job.kind)
    try:
        spec = pipeline.spec_type.from_dict(job.spec)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"The job's settings are invalid: {exc}") from exc
    image, _info = decode(data, upload_limits())
    heartbeat = _Heartbeat(job, owner)
    results = pipeline.run(image, spec, Context(seed=job.seed, progress=heartbeat))
    return outputs.save_all(job, results, pipeline.version)


# --------------------------------------------------------------------------- sweep


@dataclass
class SweepResult:
    republished: int = 0
    recovered: int = 0
    failed: int = 0


def sweep(*, now: Any = None) -> SweepResult:
    """Recover lost work: expired leases go back to the queue (or fail once attempts are
    spent) and queued jobs whose message may be lost are published again."""
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        expired = Job.objects.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now)
        result.failed = expired.filter(attempts__gte=F("max_attempts")).update(
            status=JobStatus.FAILED,
            error_code="worker_lost",
            error_message=give_up_message(),
            finished_at=now,
            lease_owner="",
            lease_expires_at=None,
        )
        recovered = list(expired.values_list("pk", flat=True))
        result.recovered = Job.objects.filter(pk__in=recovered, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, lease_owner="", lease_expires_at=None, published_at=None
        )
    stale = now - timedelta(seconds=gan_settings.REPUBLISH_AFTER)
    # Jobs younger than a few seconds are still being published by their request's on_commit.
    due = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(published_at__isnull=True, created_at__lt=now - timedelta(seconds=10))
        | Q(published_at__lt=stale)
    )
    ids = recovered + list(due.exclude(pk__in=recovered).values_list("pk", flat=True)[:500])
    if ids:
        result.republished = publish(ids)
    return result


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
