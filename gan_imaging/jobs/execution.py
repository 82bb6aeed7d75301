"""Running one job: claim with a lease, heartbeat, the kind's runner, finish or retry."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from gan_imaging import signals
from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError
from gan_imaging.jobs.cleanup import purge_pending
from gan_imaging.jobs.common import JobCancelled, stored_error, worker_id
from gan_imaging.jobs.requests import publish
from gan_imaging.jobs.runners import DEFERRED, Deferred, Superseded, runner_for
from gan_imaging.models import Job, JobStatus

log = logging.getLogger("gan_imaging.jobs")


@dataclass
class Outcome:
    """What ``execute`` did: ``status`` is a JobStatus value, ``"skipped"`` (not claimed) or
    ``"deferred"`` (its first pass is shown and it went back to the queue for the rest).
    ``retry_in`` (s) asks the caller to deliver the job again after that delay."""

    status: str
    retry_in: float | None = None
    renditions: list[Any] = field(default_factory=list)


def dead_local_owner(owner: str) -> bool:
    """Whether a lease owner (``host:pid``) is a process of this host that no longer exists
    (a killed pool child, or a worker stopped with SIGKILL)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _dead_local_owners(job_id: Any) -> list[str]:
    """The job's lease owner when it is a dead process of this host: lets a redelivered job be
    taken over at once instead of after its lease expires."""
    owner = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).values_list(
        "lease_owner", flat=True
    ).first()
    return [owner] if owner and dead_local_owner(owner) else []


def claim(job_id: Any, owner: str) -> Job | None:
    """Atomically take the job; None when another worker has it or it is finished.

    Claimable: queued, or running under an expired lease or a dead process of this host.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=gan_settings.LEASE_SECONDS)
    claimable = (
        Q(status=JobStatus.QUEUED)
        | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
        | Q(status=JobStatus.RUNNING, lease_owner__in=_dead_local_owners(job_id))
    )
    with transaction.atomic():
        # Where the database can (PostgreSQL), skip a row another worker is claiming instead
        # of queueing behind its lock; the conditional UPDATE below is what guarantees one
        # winner on every database.
        free = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id)
        if not list(free.values_list("pk", flat=True)):
            return None
        n = Job.objects.filter(claimable, pk=job_id, attempts__lt=F("max_attempts")).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            lease_owner=owner,
            lease_expires_at=lease,
            heartbeat_at=now,
            started_at=now,
            progress=0.0,
        )
    if n == 1:
        return Job.objects.select_related("content_type").get(pk=job_id)
    # A queued job whose attempts are spent (its last run died with the worker) ends here.
    Job.objects.filter(claimable, pk=job_id, attempts__gte=F("max_attempts")).update(
        **worker_lost(now)
    )
    return None


def worker_lost(now: Any) -> dict[str, Any]:
    """Field values of a job given up after its worker died on every attempt."""
    return {
        "status": JobStatus.FAILED,
        "error_code": "worker_lost",
        "error_message": gettext_noop(
            "Generation stopped unexpectedly several times (the worker was restarted or ran "
            "out of memory). Use “Retry failed” to try again; if it keeps failing, try a "
            "smaller photo."
        ),
        "finished_at": now,
        "lease_owner": "",
        "lease_expires_at": None,
    }


class Heartbeat:
    """Progress callback that also extends the lease, at most once a second."""

    def __init__(self, job: Job, owner: str, listener: Callable[[float], None] | None = None):
        self.job, self.owner, self.last, self.listener = job, owner, 0.0, listener

    def __call__(self, fraction: float) -> None:
        if self.listener is not None:
            self.listener(fraction)
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


class _LeaseKeeper:
    """Extends the lease from a background thread while a job runs, so a long model call
    that reports no progress is not mistaken for a dead worker. Interval: LEASE_SECONDS / 3."""

    def __init__(self, job: Job, owner: str):
        self.job, self.owner = job, owner
        self.interval = max(1.0, gan_settings.LEASE_SECONDS / 3)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{job.pk}", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.interval):
                now = timezone.now()
                alive = Job.objects.filter(
                    pk=self.job.pk, lease_owner=self.owner, status=JobStatus.RUNNING
                ).update(
                    heartbeat_at=now,
                    lease_expires_at=now + timedelta(seconds=gan_settings.LEASE_SECONDS),
                )
                if not alive:
                    return
        except Exception:  # noqa: BLE001 - a failed heartbeat only shortens the lease
            log.warning("job %s: heartbeat failed", self.job.pk, exc_info=True)
        finally:
            connection.close()

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


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


def execute(
    job_id: Any, *, owner: str | None = None, on_progress: Callable[[float], None] | None = None
) -> Outcome:
    """Run one job to completion. Safe to call any number of times for the same id.

    ``on_progress(fraction 0–1)`` is called as the job advances (``manage.py gan_train``'s bar).
    """
    owner = owner or worker_id()
    job = claim(job_id, owner)
    if job is None:
        return Outcome("skipped")
    runner = runner_for(job.kind)
    try:
        with _LeaseKeeper(job, owner):
            renditions = runner.run(job, Heartbeat(job, owner, on_progress))
    except Deferred:
        # The fast first pass is shown; the rest waits behind other uploads' first passes.
        Job.objects.filter(pk=job.pk, lease_owner=owner, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, attempts=F("attempts") - 1, lease_owner="",
            lease_expires_at=None, published_at=None)
        publish([job.pk])
        return Outcome(DEFERRED)
    except JobCancelled as exc:
        code = "superseded" if isinstance(exc, Superseded) else "cancelled"
        _finish(job, owner, JobStatus.CANCELLED, error_code=code,
                **stored_error(exc.template, exc.params))
        return Outcome(JobStatus.CANCELLED)
    except GanImagingError as exc:
        return _fail_or_retry(job, owner, exc.code, exc.template, exc.retryable, exc.params)
    except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker or lose the job
        log.exception("job %s crashed", job.pk)
        return _fail_or_retry(
            job,
            owner,
            "internal",
            gettext_noop("An unexpected error stopped generation (%(error)s). "
                         "The details are in the worker log."),
            True,
            {"error": type(exc).__name__},
        )
    with transaction.atomic():
        # The job's outputs become the shown set in the same commit that marks it done.
        finished = _finish(job, owner, JobStatus.SUCCEEDED, progress=1.0, error_code="",
                           error_message="")
        if finished:
            runner.on_success(job, renditions)
    if finished:
        signals.rendition_ready.send(sender=Job, job=job, renditions=renditions)
    return Outcome(JobStatus.SUCCEEDED, renditions=renditions)


def _fail_or_retry(
    job: Job, owner: str, code: str, message: str, retryable: bool,
    params: dict[str, Any] | None = None,
) -> Outcome:
    """``message`` is a ``gettext_noop`` template filled with ``params`` (see stored_error)."""
    job.refresh_from_db(fields=["attempts", "max_attempts"])
    if retryable and job.attempts < job.max_attempts:
        delay = min(300.0, float(gan_settings.RETRY_BACKOFF) * 2 ** (job.attempts - 1))
        Job.objects.filter(pk=job.pk, lease_owner=owner).update(
            status=JobStatus.QUEUED,
            lease_owner="",
            lease_expires_at=None,
            error_code=code,
            **stored_error(message, params),
            published_at=timezone.now() + timedelta(seconds=delay),
        )
        return Outcome(JobStatus.QUEUED, retry_in=delay)
    if _finish(job, owner, JobStatus.FAILED, error_code=code, **stored_error(message, params)):
        purge_pending(job)
    return Outcome(JobStatus.FAILED)
