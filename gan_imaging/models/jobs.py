"""Job (the outbox row), Rendition (one generated file), FocalPoint (a merchant's crop centre)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gan_imaging.i18n import translate_error
from gan_imaging.models.storage import output_storage


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """One requested output kind for one image field of one object.

    Written in the same transaction as the upload; the Celery message only carries its id.
    The row is the source of truth: a worker claims it with a conditional UPDATE and a lease,
    the sweeper republishes it when a message is lost or a lease expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField(max_length=100)
    kind = models.CharField(_("kind"), max_length=32)
    spec = models.JSONField(default=dict, blank=True)
    source_name = models.CharField(max_length=500)
    source_hash = models.CharField(max_length=64)
    seed = models.BigIntegerField(default=0)
    model_version = models.CharField(max_length=100, blank=True)

    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0, help_text="0.0–1.0")
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    # {"template": msgid, "params": {...}} when error_message was made from a template with
    # parameters, so error_text can translate it for the reader (see jobs.common.stored_error).
    error_params = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    publish_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["content_type", "object_id", "field_name"]),
            models.Index(fields=["status", "created_at"]),
        ]
        permissions = [
            ("generate_renditions", _("Can generate and regenerate renditions")),
            ("train_models", _("Can train GAN models on the catalog")),
        ]
        verbose_name = _("generation job")
        verbose_name_plural = _("generation jobs")

    def __str__(self) -> str:
        return f"{self.kind} for {self.content_type.model} #{self.object_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def kind_label(self) -> str:
        """The output kind as a merchant reads it, in the active language."""
        from gan_imaging.core.pipelines import PIPELINES

        if self.kind in PIPELINES:
            return gettext(PIPELINES.get(self.kind).label)
        return gettext("Model training") if self.kind == "gan_train" else self.kind

    @property
    def error_text(self) -> str:
        """The failure or cancellation reason in the active language."""
        return translate_error(self.error_message, self.error_params)


class RenditionState(models.TextChoices):
    """Where a row stands in its (object, field, kind) history. Only ``current`` rows are what
    pages, ``field.renditions`` and the admin previews show: one set per kind."""

    PENDING = "pending", _("Pending")  # written by a run that has not finished yet
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Superseded")  # kept only with KEEP_SUPERSEDED


class Rendition(models.Model):
    """A generated file. A re-run of the same job finds its row instead of adding one.

    ``recipe`` is a digest of everything that made the file (kind, source hash, the whole
    spec — banner copy, brand kit, focal point, overrides —, model versions and seed); the
    file is named by it, so two objects share a file only when every input is the same.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32)
    spec_key = models.CharField(max_length=200)
    source_hash = models.CharField(max_length=64)
    model_version = models.CharField(max_length=100)
    seed = models.BigIntegerField(default=0)
    recipe = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(_("state"), max_length=16, choices=RenditionState.choices,
                             default=RenditionState.CURRENT)
    superseded_at = models.DateTimeField(null=True, blank=True)

    # Empty for rows that carry their data inline (the LQIP placeholder).
    file = models.FileField(storage=output_storage, max_length=500, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=16)
    bytes = models.PositiveIntegerField()
    quality = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Encoder quality 1–100 chosen for this file."
    )
    ssim = models.FloatField(
        null=True, blank=True, help_text="Luma SSIM against a high-quality resize, 0–1."
    )
    meta = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("kind", "-width", "format")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "content_type",
                    "object_id",
                    "field_name",
                    "kind",
                    "spec_key",
                    "source_hash",
                    "model_version",
                    "seed",
                    "recipe",
                ],
                name="gan_imaging_rendition_unique_recipe",
            )
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id", "field_name", "source_hash"]),
            models.Index(fields=["content_type", "object_id", "field_name", "kind", "state"],
                         name="gan_imaging_rendition_state"),
        ]
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")

    def __str__(self) -> str:
        return f"{self.kind} {self.width}×{self.height} {self.format}"

    @property
    def url(self) -> str:
        return self.file.url


class FocalPoint(models.Model):
    """Where the merchant wants fill crops centred, per image field: x, y fractions 0–1 of
    the photo's width and height (after EXIF orientation)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    field_name = models.CharField(max_length=100)
    x = models.FloatField()
    y = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "field_name"],
                                    name="gan_imaging_one_focal_point_per_field"),
            models.CheckConstraint(condition=models.Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1),
                                   name="gan_imaging_focal_point_in_frame"),
        ]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")

    def __str__(self) -> str:
        return f"{self.field_name} of #{self.object_id} at ({self.x:.2f}, {self.y:.2f})"
