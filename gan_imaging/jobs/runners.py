"""The kind → runner table: how each job kind runs, where it is queued, what success commits.

Every pipeline kind (thumbnails, renders, banners, …) runs the same way (``run_pipeline``)
and, on success, makes its rows the current set (``cleanup.promote``); training runs the
trainer and commits nothing more. ``execute`` looks the runner up and has no kind-specific
branch; publishing and the GPU quota ask the table for a kind's queue.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_noop
from PIL import Image

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import (
    GanImagingError,
    InvalidImageError,
    OutOfMemoryError,
    SpecError,
    StorageError,
)
from gan_imaging.core.imaging.decode import ImageInfo, content_hash, decode, probe
from gan_imaging.core.pipelines import PIPELINES, Context, restoration
from gan_imaging.jobs import outputs
from gan_imaging.jobs.assets import context_models, effective_version, job_assets, restore_image
from gan_imaging.jobs.cleanup import discard_outputs, promote
from gan_imaging.jobs.common import TRAIN_KIND, JobCancelled, pipeline_for
from gan_imaging.jobs.sources import read_source, upload_limits
from gan_imaging.models import (
    GanModel,
    GanModelStatus,
    Job,
    JobStatus,
    Rendition,
    RenditionState,
)
from gan_imaging.models.storage import output_storage


@dataclass(frozen=True)
class Runner:
    """``queue``: ``"cpu"`` or ``"gpu"`` (a key of ``GAN_IMAGING["QUEUES"]``); ``run(job,
    heartbeat)`` does the work and returns the rows it wrote (``heartbeat(fraction 0–1)``
    reports progress and keeps the lease); ``on_success(job, rows)`` runs in the transaction
    that marks the job succeeded."""

    queue: str
    run: Callable[[Job, Callable[[float], None]], list[Rendition]]
    on_success: Callable[[Job, list[Rendition]], None]


def _train(job: Job, heartbeat: Callable[[float], None]) -> list[Rendition]:
    run_training(job, heartbeat)
    return []


def _nothing(job: Job, renditions: list[Rendition]) -> None:
    return None


def runners() -> dict[str, Runner]:
    """Every job kind and its runner (built from the pipeline registry on each call, so a
    kind registered later is found)."""
    table = {kind: Runner(PIPELINES.get(kind).device, run_pipeline, promote)
             for kind in PIPELINES.names()}
    table[TRAIN_KIND] = Runner("gpu", _train, _nothing)
    return table


def runner_for(kind: str) -> Runner:
    """The runner of ``kind``; ``KeyError`` for a kind nobody registered."""
    return runners()[kind]


def gpu_kinds() -> list[str]:
    """The kinds that run on the GPU queue (counted against ``GPU_QUOTA``)."""
    return [kind for kind, runner in runners().items() if runner.queue == "gpu"]


def queue_for(kind: str) -> str:
    """The Celery queue name a job of ``kind`` is published to."""
    return str(gan_settings.QUEUES[runner_for(kind).queue])


DEFERRED = "deferred"


#: Seconds after its request a job whose first pass is shown stops giving way to fresh
#: uploads' first passes (a steady stream of uploads never starves the full sets).
DEFER_LIMIT_S = 120


class Deferred(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by a runner whose first pass is shown while other jobs of the kind still wait
    for theirs: ``execute`` puts the job back at the end of the queue (the attempt not
    counted); it comes round again, giving way each time, until none waits (or
    :data:`DEFER_LIMIT_S` has passed), then runs the full pass."""


class Superseded(JobCancelled):
    """The job's photo was replaced or its object deleted: it ends cancelled, not failed."""


REPLACED = gettext_noop("The photo was replaced; a newer job generates its images.")


def _first_passes_waiting(job: Job) -> bool:
    """Whether ``job`` should give way: other queued jobs of the kind have shown nothing yet
    (fresh uploads), and the job is younger than :data:`DEFER_LIMIT_S`."""
    if job.created_at and timezone.now() - job.created_at > timedelta(seconds=DEFER_LIMIT_S):
        return False
    shown = Rendition.objects.filter(job=OuterRef("pk"), state=RenditionState.CURRENT)
    return Job.objects.filter(kind=job.kind, status=JobStatus.QUEUED).exclude(pk=job.pk).filter(
        ~Exists(shown)).exists()


def working_image(data: bytes, image: Image.Image, info: ImageInfo, filename: str
                  ) -> tuple[Image.Image, dict[str, Any] | None]:
    """The image a pipeline works on and the ``meta["restore"]`` record (None when
    ``RESTORE`` is "never"). The decision looks at the photo at full size: a reduced (draft)
    decode is decoded again in full for it, and a photo to restore is restored in full. A
    photo not restored is returned as the very object decoded."""
    mode = str(gan_settings.RESTORE)
    if mode == "never":
        return image, None
    reduced = image.width * image.height < info.width * info.height
    full = decode(data, upload_limits(), filename=filename)[0] if reduced else image
    decision = restoration.decide(full, data, mode)
    if not decision.restore:
        return image, decision.meta()
    return restoration.apply(full, decision, restore_image)


def run_pipeline(job: Job, heartbeat: Callable[[float], None]) -> list[Rendition]:
    """A pipeline kind's run: check the photo is still the job's, decode it (reduced where the
    spec allows), run the pure pipeline with the shop's models, write pending rows."""
    pipeline = pipeline_for(job.kind)
    shown = pipeline.preview is not None and Rendition.objects.filter(
        job=job, state=RenditionState.CURRENT).exists()
    if shown and _first_passes_waiting(job):
        raise Deferred  # its first pass is shown; fresh uploads' come first
    model: Any = job.content_type.model_class()
    instance = model._default_manager.filter(pk=job.object_id).first() if model else None
    if instance is None:
        raise Superseded(gettext_noop("The item was deleted before its images were generated."))
    fieldfile = getattr(instance, job.field_name, None)
    if not fieldfile or fieldfile.name != job.source_name:
        raise Superseded(REPLACED)
    data = read_source(fieldfile)
    if content_hash(data) != job.source_hash:
        raise Superseded(REPLACED)
    try:
        spec = pipeline.spec_type.from_dict(job.spec)
    except (TypeError, ValueError) as exc:
        raise SpecError(gettext_noop("The job's settings are invalid: %(error)s"),
                        params={"error": str(exc)}) from exc
    limits = upload_limits()
    hint = None
    if pipeline.decode_hint is not None:
        probe(data, limits, filename=job.source_name)  # refuse before any pixel is decoded
        # A function of the photo's size as displayed: decode() knows its EXIF orientation.
        hint = functools.partial(pipeline.decode_hint, spec)
    image, info = decode(data, limits, filename=job.source_name, draft_to=hint)
    # Models activated since the request count: record what this run really used.
    version = effective_version(pipeline, spec)
    if version != job.model_version:
        Job.objects.filter(pk=job.pk).update(model_version=version)
        job.model_version = version
    models = context_models(job_assets(job))
    preview = pipeline.preview(spec) if pipeline.preview is not None else None
    if preview is not None and (shown or outputs.already_current(job, version)):
        preview = None  # this job's first pass is already shown, or nothing to gain
    start = 0.0
    if preview is not None:
        # A fast first pass is stored and shown at once; the full run replaces it. It is made
        # from the photo as uploaded: the repair decision (a full-size decode and analysis,
        # ~0.5 s for 12 MP) would double its time, and the full pass replaces it anyway.
        start = 0.3
        first = pipeline.run(image, preview, Context(
            seed=job.seed, progress=lambda f: heartbeat(start * f), models=models))
        for out in first:
            out.meta["stage"] = "preview"
        rows = outputs.save_all(job, first, version, spec=preview.to_dict())
        with transaction.atomic():
            promote(job, rows)
        if _first_passes_waiting(job):
            raise Deferred
    image, restored = working_image(data, image, info, job.source_name)
    results = pipeline.run(image, spec, Context(
        seed=job.seed, progress=lambda f: heartbeat(start + (1 - start) * f), models=models))
    if restored is not None:
        for out in results:
            out.meta["restore"] = restored
    renditions = outputs.save_all(job, results, version)
    # The photo may have been replaced while the pipeline ran: do not leave its outputs behind.
    current = model._default_manager.filter(pk=job.object_id).values_list(
        job.field_name, flat=True
    ).first()
    if current != job.source_name:
        discard_outputs(job)
        raise Superseded(REPLACED)
    return renditions


# ------------------------------------------------------------------ training

def _photos(spec: dict) -> tuple[list[Any], int]:
    images, skipped = [], 0
    for item in spec["data"]:
        model = ContentType.objects.get_for_id(item["ct"]).model_class()
        obj = model._default_manager.filter(pk=item["id"]).first() if model else None
        file = getattr(obj, item["field"], None) if obj else None
        if not file:
            skipped += 1
            continue
        try:
            image, _ = decode(read_source(file), upload_limits(), filename=file.name,
                              draft_to=(512, 512))
        except InvalidImageError:
            skipped += 1
            continue
        images.append(image)
    return images, skipped


class _Monitor:
    """progress/should_stop callbacks: loss history, job progress, lease, cancel flag."""

    def __init__(self, job: Job, model: GanModel, heartbeat: Callable[[float], None]):
        self.job, self.model, self.heartbeat = job, model, heartbeat
        self.history: list[dict[str, float]] = []
        self.last_check = 0.0
        self.stop = False

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None:
        self.history.append({"step": step, "loss_d": round(metrics.get("loss_d", 0.0), 5),
                             "loss_g": round(metrics.get("loss_g", 0.0), 5)})
        self.heartbeat(step / max(1, total))
        GanModel.objects.filter(pk=self.model.pk).update(history=self.history)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self.last_check >= 1.0:
            self.last_check = now
            self.stop = Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self.stop


def _store(name: str, data: bytes) -> str:
    storage = output_storage()
    try:
        if storage.exists(name):
            storage.delete(name)
        return storage.save(name, ContentFile(data))
    except OSError as exc:
        raise StorageError(
            gettext_noop("Saving the trained model failed: %(error)s"), params={"error": str(exc)}
        ) from exc


def run_training(job: Job, heartbeat: Callable[[float], None]) -> GanModel:
    """Train the job's GanModel; store checkpoint, sidecar and sample grid; mark it ready
    (or cancelled, keeping what was trained). Raises GanImagingError subclasses."""
    from gan_imaging.core.gan import sample_sheet_png, save, train, training_data
    from gan_imaging.core.gan.config import TrainConfig
    from gan_imaging.core.gan.inference import is_oom

    model = GanModel.objects.get(pk=job.object_id)
    GanModel.objects.filter(pk=model.pk).update(status=GanModelStatus.TRAINING)
    try:
        config = TrainConfig(**{**job.spec["config"], "device": str(gan_settings.DEVICE)})
        images, skipped = _photos(job.spec)
        # The architecture's catalog recipe: exemplars, crops or patches, and for upscalers
        # the bundled model of the same scale to fine-tune.
        data, init = training_data(config.arch, images, config)
        monitor = _Monitor(job, model, heartbeat)
        try:
            ckpt = train(config, data, progress=monitor.progress, should_stop=monitor.should_stop,
                         init=init)
        except Exception as exc:
            if is_oom(exc):
                raise OutOfMemoryError(gettext_noop(
                    "The GPU ran out of memory while training. Lower the batch size in "
                    "GAN_IMAGING['TRAINING'] or train on a larger GPU."
                )) from exc
            raise
        folder = f"{gan_settings.OUTPUT_PREFIX}/models/{model.name}"
        with tempfile.TemporaryDirectory() as tmp:
            # Named after the model version (a hash of the weights): the sidecar refers to
            # the weights by that file name, and the same weights always get the same name.
            weights, sidecar = save(ckpt, Path(tmp))
            names = [
                _store(f"{folder}/{weights.name}", weights.read_bytes()),
                _store(f"{folder}/{sidecar.name}", sidecar.read_bytes()),
                _store(f"{folder}/{ckpt.model_version}-samples.png", sample_sheet_png(ckpt, data)),
            ]
    except GanImagingError as exc:
        final = not exc.retryable or job.attempts >= job.max_attempts
        GanModel.objects.filter(pk=model.pk).update(
            status=GanModelStatus.FAILED if final else GanModelStatus.QUEUED
        )
        raise
    cancelled = ckpt.step < config.steps
    with transaction.atomic():
        has_active = GanModel.objects.filter(name=model.name, arch=model.arch, active=True).exists()
        GanModel.objects.filter(pk=model.pk).update(
            status=GanModelStatus.CANCELLED if cancelled else GanModelStatus.READY,
            version=ckpt.model_version,
            metrics={**ckpt.metrics, "steps": ckpt.step, "photos": len(images),
                     "skipped_photos": skipped},
            history=monitor.history,
            checkpoint=names[0],
            checkpoint_meta=names[1],
            samples=names[2],
            finished_at=timezone.now(),
            active=not cancelled and not has_active,
        )
        Job.objects.filter(pk=job.pk).update(model_version=ckpt.model_version)
    if cancelled:
        raise JobCancelled(
            gettext_noop("Training was cancelled at step %(step)s of %(steps)s; "
                         "what was trained so far is kept."),
            params={"step": ckpt.step, "steps": config.steps},
        )
    return GanModel.objects.get(pk=model.pk)
