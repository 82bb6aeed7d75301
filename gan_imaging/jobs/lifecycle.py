"""What the field reports, in one call each: a photo was saved, an object was deleted.

``GanImageField`` calls these from its ``post_save``/``post_delete`` handlers and nothing else
of the job service, so the whole reaction to an upload (jobs in the caller's transaction, the
inline placeholder row, removing what the previous photo left) lives here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from gan_imaging.core.pipelines import Output
from gan_imaging.jobs.cleanup import after_commit, cleanup_deleted, cleanup_replaced
from gan_imaging.jobs.outputs import save_placeholder
from gan_imaging.jobs.requests import request


def photo_saved(instance: models.Model, field_name: str, source_hash: str,
                placeholder: Output | None, *, replaced: bool) -> None:
    """``instance.<field_name>`` now holds a new photo (SHA-256 ``source_hash``): request its
    ``ON_UPLOAD`` kinds, store its placeholder, and — when it ``replaced`` an earlier photo —
    remove that photo's outputs once the transaction commits."""
    request(instance, field_name, source_hash=source_hash)
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    if placeholder is not None:
        save_placeholder(ct.pk, str(instance.pk), field_name, source_hash, placeholder)
    if replaced:
        after_commit(cleanup_replaced, ct.pk, str(instance.pk), field_name, source_hash)


def object_deleted(instance: Any) -> None:
    """``instance`` was deleted: remove its outputs and queued jobs after commit."""
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    after_commit(cleanup_deleted, ct.pk, str(instance.pk))
