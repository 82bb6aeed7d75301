"""The service layer: every piece of job logic lives here.

``request`` writes Job rows inside the caller's transaction and publishes their ids on commit;
``execute`` claims a row with a conditional UPDATE, runs the pure pipeline, stores the outputs
under input-derived names and records Rendition rows; ``sweep`` republishes lost messages and
recovers expired leases. A job can run twice without harm: claims are exclusive and outputs are
idempotent rows, which is what makes ``acks_late`` safe.
"""


from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.jobs.cleanup import CleanupResult, after_commit, cleanup_deleted, cleanup_replaced
from gan_imaging.jobs.common import (
    TASK_NAME,
    TRAIN_KIND,
    JobCancelled,
    celery_app,
    pipeline_for,
    queue_for,
    spec_for,
    target_filter,
    worker_id,
)
from gan_imaging.jobs.execution import Outcome, claim, execute, worker_lost
from gan_imaging.jobs.requests import publish, request, retry
from gan_imaging.jobs.sources import PreparedUpload, check_upload, prepare_upload, read_source
from gan_imaging.jobs.sweeping import SweepResult, recover_local, sweep, tidy

__all__ = [
    "TASK_NAME",
    "TRAIN_KIND",
    "JobCancelled",
    "CleanupResult",
    "PreparedUpload",
    "Outcome",
    "after_commit",
    "cleanup_deleted",
    "cleanup_replaced",
    "SweepResult",
    "celery_app",
    "check_upload",
    "claim",
    "content_hash",
    "execute",
    "worker_lost",
    "pipeline_for",
    "prepare_upload",
    "publish",
    "queue_for",
    "read_source",
    "recover_local",
    "request",
    "retry",
    "spec_for",
    "sweep",
    "target_filter",
    "tidy",
    "worker_id",
]
