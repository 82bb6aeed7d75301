"""Celery tasks: ids in, one call to ``jobs``, delivery policy on the decorator.

``acks_late`` + ``reject_on_worker_lost`` redeliver a job whose worker died; the job row's
claim and attempts cap make that safe. Results live in the database, never in Celery.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from gan_imaging import jobs
from gan_imaging.jobs import tryon


@shared_task(
    name=jobs.TASK_NAME,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    serializer="json",
    max_retries=None,  # the job row's attempts cap decides
    soft_time_limit=14 * 60,
    time_limit=15 * 60,
)
def run_job(self: Any, job_id: str) -> str:
    outcome = jobs.execute(job_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(
    name=tryon.TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    serializer="json",
    soft_time_limit=60,
    time_limit=90,
)
def run_tryon(tryon_id: str) -> str:
    """A shopper's try-on render, on its own queue (``QUEUES["tryon"]``)."""
    return tryon.execute(tryon_id)


@shared_task(name="gan_imaging.sweep", ignore_result=True, acks_late=False)
def sweep() -> dict[str, int]:
    result = jobs.sweep()
    return {"republished": result.republished, "recovered": result.recovered,
            "failed": result.failed, "tidied": result.tidied,
            "tryons_expired": result.tryons_expired}


@worker_ready.connect
def _recover_after_restart(**kwargs: Any) -> None:
    """A worker stopped hard (SIGKILL, a crash, the demo's Ctrl-C) leaves its job running under
    a lease; on this host's next start, take such jobs back at once."""
    try:
        jobs.recover_local()
    except Exception:  # noqa: BLE001 - recovery is best effort; the sweeper covers the rest
        logging.getLogger("gan_imaging.jobs").warning("recovering jobs failed", exc_info=True)


@worker_ready.connect
def _warm_tryon(sender: Any = None, **kwargs: Any) -> None:
    """A worker consuming the try-on queue loads the try-on models before it says it is ready,
    not in a shopper's first render (about 2 s on a CPU). With ``--pool solo``, as the try-on
    worker runs, this is the process that renders; prefork children load them at their first."""
    try:
        queues = set(sender.app.amqp.queues.consume_from)
    except AttributeError:
        return
    if tryon.queue_name() not in queues:
        return
    try:
        tryon.warm()
    except Exception:  # noqa: BLE001 - a model that fails to load fails the render with a reason
        logging.getLogger("gan_imaging.tryon").warning("warming the try-on models failed",
                                                       exc_info=True)
