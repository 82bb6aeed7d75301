"""The service layer: every piece of job logic lives here, and nothing here calls back into the
field, the admin or the views.

- ``sources``: checking an upload, preparing what is stored, reading the stored photo back;
- ``lifecycle``: what the field reports (a photo saved, an object deleted);
- ``requests``: Job rows inside the caller's transaction, published on commit;
- ``runners``: the kind → runner table (every pipeline kind, and training);
- ``execution``: claim with a conditional UPDATE and a lease, heartbeat, finish or retry;
- ``outputs``: naming files by a digest of every input, writing them, Rendition rows;
- ``cleanup``: promoting a finished set, removing superseded and orphaned outputs;
- ``assets``: which model serves a kind (trained or bundled), loaded once per worker;
- ``brand``: brand kits and banner copy as banner spec options;
- ``sweeping``: republishing lost messages, recovering expired leases, tidying rows;
- ``training``: GANs trained on the catalog, as a job.

A job can run twice without harm: claims are exclusive and outputs are idempotent rows, which
is what makes ``acks_late`` safe.
"""

from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.jobs.cleanup import CleanupResult, after_commit, cleanup_deleted, cleanup_replaced
from gan_imaging.jobs.common import (
    TASK_NAME,
    TRAIN_KIND,
    JobCancelled,
    celery_app,
    pipeline_for,
    spec_for,
    target_filter,
    worker_id,
)
from gan_imaging.jobs.execution import Outcome, claim, execute, worker_lost
from gan_imaging.jobs.lifecycle import object_deleted, photo_saved
from gan_imaging.jobs.requests import publish, request, retry
from gan_imaging.jobs.runners import Runner, queue_for, runner_for, runners
from gan_imaging.jobs.sources import PreparedUpload, check_upload, prepare_upload, read_source
from gan_imaging.jobs.sweeping import SweepResult, recover_local, sweep, tidy

__all__ = [
    "TASK_NAME",
    "TRAIN_KIND",
    "CleanupResult",
    "JobCancelled",
    "Outcome",
    "PreparedUpload",
    "Runner",
    "SweepResult",
    "after_commit",
    "celery_app",
    "check_upload",
    "claim",
    "cleanup_deleted",
    "cleanup_replaced",
    "content_hash",
    "execute",
    "object_deleted",
    "photo_saved",
    "pipeline_for",
    "prepare_upload",
    "publish",
    "queue_for",
    "read_source",
    "recover_local",
    "request",
    "retry",
    "runner_for",
    "runners",
    "spec_for",
    "sweep",
    "target_filter",
    "tidy",
    "worker_id",
    "worker_lost",
]
