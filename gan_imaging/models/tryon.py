"""TryOn: one shopper's photo with a product placed in it ("try it in your photo").

Personal data: the row names its files only by storage name (no FileField, so nothing builds a
public URL for them), it is not registered in the admin, and it belongs to the session that
uploaded it through a keyed hash of that session (and of the client's address, for rate
limits). The sweeper deletes the row and its files at ``expires_at``.
"""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from gan_imaging.i18n import translate_error


class TryOnStatus(models.TextChoices):
    PHOTO = "photo", _("Photo uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Rendering")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted")


class TryOn(models.Model):
    """A shopper's photo (``photo``), the product it shows (content type, object, field),
    where they placed it (``pose``, a :class:`~gan_imaging.core.vision.tryon.TryOnSpec` as a
    dict) and the rendered result (``result``). ``progress`` 0.0–1.0."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    field_name = models.CharField(max_length=100)
    session_hash = models.CharField(max_length=64, db_index=True)
    ip_hash = models.CharField(max_length=64, db_index=True)
    photo = models.CharField(max_length=500, blank=True)
    photo_width = models.PositiveIntegerField(default=0)
    photo_height = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=500, blank=True)
    pose = models.JSONField(default=dict, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=TryOnStatus.choices,
                              default=TryOnStatus.PHOTO)
    progress = models.FloatField(default=0.0)
    renders = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error_message = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-created_at",)
        default_permissions = ()  # never listed or edited in the admin
        verbose_name = _("try-on")
        verbose_name_plural = _("try-ons")

    def __str__(self) -> str:
        return f"try-on {self.pk} ({self.status})"

    @property
    def error_text(self) -> str:
        """The failure reason in the active language."""
        return translate_error(self.error_message, self.error_params)
