"""Recovering lost work: expired leases and queued jobs whose message may be lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gan_imaging.conf import gan_settings
from gan_imaging.jobs.execution import worker_lost
from gan_imaging.jobs.requests import publish
from gan_imaging.models import Job, JobStatus


@dataclass
class SweepResult:
    republished: int = 0
    recovered: int = 0
    failed: int = 0


def sweep(*, now: Any = None, limit: int = 500) -> SweepResult:
    """Recover lost work: expired leases go back to the queue (or fail once attempts are
    spent) and queued jobs whose message may be lost are published again.

    Rows are selected ``FOR UPDATE SKIP LOCKED`` where the database supports it, so several
    sweepers (beat on two hosts) do not block each other. At most ``limit`` rows of each sort
    per call.
    """
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        expired = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.RUNNING, lease_expires_at__lt=now)
            .values_list("pk", "attempts", "max_attempts")[:limit]
        )
        exhausted = [pk for pk, attempts, cap in expired if attempts >= cap]
        recovered = [pk for pk, attempts, cap in expired if attempts < cap]
        result.failed = Job.objects.filter(pk__in=exhausted, status=JobStatus.RUNNING).update(
            **worker_lost(now)
        )
        result.recovered = Job.objects.filter(pk__in=recovered, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, lease_owner="", lease_expires_at=None, published_at=None
        )
        stale = now - timedelta(seconds=gan_settings.REPUBLISH_AFTER)
        # Jobs younger than a few seconds are still being published by their request's
        # on_commit callback.
        due = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.QUEUED)
            .filter(
                Q(published_at__isnull=True, created_at__lt=now - timedelta(seconds=10))
                | Q(published_at__lt=stale)
            )
            .exclude(pk__in=recovered)
            .values_list("pk", flat=True)[:limit]
        )
    ids = recovered + due
    if ids:
        result.republished = publish(ids)
    return result
