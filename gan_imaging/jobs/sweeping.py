"""Recovering lost work: expired leases and queued jobs whose message may be lost."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gan_imaging.conf import gan_settings
from gan_imaging.jobs import tryon, tryon_privacy
from gan_imaging.jobs.cleanup import NOT_PREVIEW, PREVIEW, PREVIEW_GRACE_S, purge
from gan_imaging.jobs.execution import dead_local_owner, worker_lost
from gan_imaging.jobs.requests import publish
from gan_imaging.models import Job, JobStatus, Rendition, RenditionState


@dataclass
class SweepResult:
    republished: int = 0
    recovered: int = 0
    failed: int = 0
    #: Rendition rows removed: left pending by runs that failed or died, or superseded
    #: beyond ``KEEP_SUPERSEDED``.
    tidied: int = 0
    #: Shoppers' try-ons deleted at their expiry (rows, with their photos and results).
    tryons_expired: int = 0


def sweep(*, now: Any = None, limit: int = 500) -> SweepResult:
    """Recover lost work: expired leases go back to the queue (or fail once attempts are
    spent) and queued jobs whose message may be lost are published again; shoppers' try-ons
    past their ``TRYON_TTL`` are deleted and lost try-on renders published again.

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
    result.tidied = tidy(limit=limit)
    result.tryons_expired = tryon_privacy.expire(now=now, limit=limit)
    result.republished += tryon.recover(now=now, limit=limit)
    return result


def recover_local(*, limit: int = 500) -> int:
    """Requeue and publish the running jobs whose lease holder was a process of this host that
    no longer exists (a worker killed or stopped hard), at once rather than when the lease
    expires. Called when a worker starts; returns how many were published."""
    prefix = f"{socket.gethostname()}:"
    with transaction.atomic():
        rows = list(Job.objects.select_for_update(skip_locked=True)
                    .filter(status=JobStatus.RUNNING, lease_owner__startswith=prefix)
                    .values_list("pk", "lease_owner")[:limit])
        dead = [pk for pk, owner in rows if dead_local_owner(owner)]
        Job.objects.filter(pk__in=dead, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, lease_owner="", lease_expires_at=None, published_at=None)
    return publish(dead) if dead else 0


def tidy(*, limit: int = 500) -> int:
    """Remove rows no page will show again: ``pending`` rows of jobs that ended without
    succeeding (or were deleted), superseded preview sets older than ``PREVIEW_GRACE_S``, and
    other ``superseded`` ones when no history is kept (e.g. those the 0004 migration marked).
    Files go only when no other row names them."""
    orphan = Q(job__isnull=True) | Q(job__status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
    ids = list(Rendition.objects.filter(orphan, state=RenditionState.PENDING)
               .values_list("pk", flat=True)[:limit])
    superseded = Rendition.objects.filter(state=RenditionState.SUPERSEDED)
    grace = timezone.now() - timedelta(seconds=PREVIEW_GRACE_S)
    ids += list(superseded.filter(PREVIEW, superseded_at__lt=grace)
                .values_list("pk", flat=True)[:limit])
    if not int(gan_settings.KEEP_SUPERSEDED):
        ids += list(superseded.filter(NOT_PREVIEW).values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    return purge(Rendition.objects.filter(pk__in=ids), Job.objects.none(), "").renditions
