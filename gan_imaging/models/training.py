"""GanModel: a GAN trained on the shop's photos (or a bundled default) and its checkpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gan_imaging.models.storage import output_storage


class GanModelStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    TRAINING = "training", _("Training")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class GanModel(models.Model):
    """A GAN trained on the shop's own photos (or a bundled default) and its checkpoint.

    The checkpoint is safetensors + a JSON sidecar in the output storage; ``version`` is the
    model version every output made with it records.
    """

    name = models.SlugField(_("name"), max_length=50)
    arch = models.CharField(_("architecture"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=GanModelStatus.choices, default=GanModelStatus.QUEUED
    )
    version = models.CharField(_("version"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=False)
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # [{"step": int, "loss_d": float, "loss_g": float}, ...] for the admin's loss curve.
    history = models.JSONField(default=list, blank=True)
    trained_on = models.JSONField(default=dict, blank=True)
    checkpoint = models.FileField(storage=output_storage, max_length=500, blank=True)
    checkpoint_meta = models.FileField(storage=output_storage, max_length=500, blank=True)
    samples = models.FileField(storage=output_storage, max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["name", "arch"],
                condition=models.Q(active=True),
                name="gan_imaging_one_active_model_per_name",
            )
        ]
        verbose_name = _("GAN model")
        verbose_name_plural = _("GAN models")

    def __str__(self) -> str:
        return f"{self.arch} {self.name} ({self.version or self.status})"
