"""``GanImageField``: a drop-in ``ImageField`` that validates safely and queues generation."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.db.models.signals import post_delete, post_init, post_save
from django.utils.deconstruct import deconstructible
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from gan_imaging.core.errors import InvalidImageError
from gan_imaging.core.imaging.decode import content_hash, probe, read_limited
from gan_imaging.core.imaging.encode import FORMATS
from gan_imaging.i18n import error_text
from gan_imaging.jobs.common import target_filter
from gan_imaging.jobs.lifecycle import object_deleted, photo_saved
from gan_imaging.jobs.sources import (  # noqa: F401 - check_upload: also imported from here
    allowed_extensions,
    check_upload,
    prepare_upload,
    read_source,
    upload_limits,
    upload_placeholder,
)

_PENDING = "_gan_imaging_pending"
_LOADED = "_gan_imaging_loaded"


_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "AVIF": "avif",
               "TIFF": "tif"}


def safe_upload_name(original: str | None, fmt: str) -> str:
    """``"../Blue Mug (1).PNG"`` with JPEG content → ``"blue-mug-1-3f9a0c2e.jpg"``.

    ASCII slug of the base name (at most 40 characters, "photo" when nothing is left), 8 random
    hex digits, and the extension of the detected format.
    """
    stem = PurePosixPath((original or "").replace("\\", "/")).name.rsplit(".", 1)[0]
    slug = slugify(stem)[:40].strip("-_") or "photo"
    return f"{slug}-{uuid.uuid4().hex[:8]}.{_EXTENSIONS.get(fmt, 'img')}"


@deconstructible
class UploadExtensionValidator:
    """Django's ``FileExtensionValidator`` for upload names: ``"photo.jpg."`` and
    ``"photo.jpg "`` count as ``.jpg``, and a name without one gets its own message."""

    message = _(
        "File extension “%(extension)s” is not allowed. "
        "Allowed extensions are: %(allowed_extensions)s."
    )
    missing_message = _(
        "The file name has no extension. Allowed extensions are: %(allowed_extensions)s."
    )
    code = "invalid_extension"

    def __init__(self, allowed_extensions: list[str] | None = None):
        self.allowed_extensions = [e.lower() for e in (allowed_extensions or [])]

    @staticmethod
    def trimmed(name: str | None) -> str:
        """The base name as Windows treats it: trailing dots and spaces dropped."""
        return PurePosixPath(str(name or "").replace("\\", "/")).name.rstrip(". ")

    def __call__(self, value: Any) -> None:
        _stem, dot, extension = self.trimmed(getattr(value, "name", value)).rpartition(".")
        if dot and extension.lower() in self.allowed_extensions:
            return
        params = {"extension": extension, "value": value,
                  "allowed_extensions": ", ".join(self.allowed_extensions)}
        raise ValidationError(self.message if dot else self.missing_message,
                              code=self.code, params=params)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, UploadExtensionValidator)
                and self.allowed_extensions == other.allowed_extensions)


class GanImageFormField(forms.ImageField):
    """Form field: the same checks as the worker (allow-list, pixel cap, real decode)."""

    default_error_messages = {
        "invalid_image": _("Upload a valid image."),
    }
    default_validators: list[Any] = []  # not Pillow's ~70 extensions (pdf, eps, psd…): ours

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("validators", [UploadExtensionValidator(allowed_extensions())])
        super().__init__(**kwargs)
        self.widget.attrs.setdefault(
            "accept", ",".join(sorted({f".{e}" for e in allowed_extensions()}))
        )
        # admin-progress.js shortens over-long file names before the form is sent.
        self.widget.attrs.setdefault("data-gan-image", "1")

    def to_python(self, data: Any) -> Any:
        f = forms.FileField.to_python(self, data)
        if f is None:
            return None
        # "photo.jpg. " is photo.jpg to Windows, and so to the checks and the stored name.
        f.name = UploadExtensionValidator.trimmed(f.name) or f.name
        try:
            data, fmt = check_upload(f)
        except InvalidImageError as exc:
            raise ValidationError(error_text(exc), code=exc.code) from exc
        # Spares the model field a second decode of the same bytes: an attribute on the
        # uploaded file object that the model field reads (duck-typed).
        f.gan_imaging_prepared = prepare_upload(  # type: ignore[attr-defined]
            data, fmt, getattr(f, "name", None))
        f.content_type = {  # type: ignore[attr-defined]
            "JPEG": "image/jpeg", "GIF": "image/gif"
        }.get(
            fmt, FORMATS.get(fmt.lower(), FORMATS["png"]).mime
        )
        return f


class GanImageFieldFile(ImageFieldFile):
    """The field's value. Adds read-only access to generated renditions (rows only)."""

    def _get_image_dimensions(self) -> tuple[int | None, int | None]:
        """Width and height in px from the header, through the safe probe.

        Django's own parser raises on decompression bombs and other hostile files (a 500 when
        such a file is assigned to a loaded object); here they simply have no dimensions.
        """
        if not hasattr(self, "_dimensions_cache"):
            close = self.closed
            self.open()
            position = self.file.tell() if hasattr(self.file, "tell") else 0
            try:
                self.file.seek(0)
                data = read_limited(self.file, upload_limits())
                info = probe(data, upload_limits(), filename=self.name)
                self._dimensions_cache = (info.width, info.height)
            except (InvalidImageError, OSError, ValueError):
                self._dimensions_cache = (None, None)  # type: ignore[assignment]
            finally:
                if close:
                    self.close()
                else:
                    self.file.seek(position)
        return self._dimensions_cache

    @property
    def jobs(self) -> models.QuerySet:
        from gan_imaging.models import Job

        if not self or self.instance.pk is None:
            return Job.objects.none()
        return Job.objects.filter(target_filter(self.instance, self.field.name))

    @property
    def renditions(self) -> models.QuerySet:
        """The current renditions of the current photo (the newest requested source): one
        set per kind, the newest that finished; older and unfinished sets are not included."""
        from gan_imaging.models import Rendition, RenditionState

        if not self or self.instance.pk is None:
            return Rendition.objects.none()
        latest = (
            self.jobs.filter(source_name=self.name).order_by("-created_at").values("source_hash")[:1]
        )
        return Rendition.objects.filter(target_filter(self.instance, self.field.name),
                                        source_hash=models.Subquery(latest),
                                        state=RenditionState.CURRENT)

    def rendition_list(self) -> list[Any]:
        """The renditions as a list, cached on this value for the life of the object."""
        cache = self.__dict__.get("_gan_renditions")
        if cache is None:
            cache = list(self.renditions)
            self.__dict__["_gan_renditions"] = cache
        return cache

    def thumbnail(self, width: int, format: str = "webp", aspect: str | None = None) -> Any:
        """The smallest thumbnail at least ``width`` px wide in ``format`` (else the widest
        one there is), or None while none is ready. ``aspect`` ("1:1", "4:5") selects fill
        crops; None the uncropped fit. Reads rows only, never generates."""
        found = [
            r for r in self.rendition_list()
            if r.kind == "thumbnails" and r.format == format and r.file
            and (r.meta or {}).get("aspect") == aspect
        ]
        if not found:
            return None
        wide_enough = [r for r in found if r.width >= width]
        return min(wide_enough, key=lambda r: r.width) if wide_enough else max(
            found, key=lambda r: r.width
        )

    @property
    def generation_status(self) -> str:
        """``"none"``, ``"pending"``, ``"failed"`` or ``"ready"`` for the current photo."""
        jobs = list(self.jobs.filter(source_name=self.name).values_list("status", flat=True))
        if not jobs:
            return "none"
        if any(s in ("queued", "running") for s in jobs):
            return "pending"
        if any(s == "failed" for s in jobs):
            return "failed"
        return "ready"


class GanImageField(models.ImageField):
    """``ImageField`` that validates uploads safely and creates generation jobs on save.

    ``outputs``: output kinds to make when the file changes (default: ``ON_UPLOAD`` setting).
    ``keep_filename``: store uploads under the merchant's file name (sanitised by the storage).
    By default the stored name is ``<slug of the name>-<random>.<extension of the real format>``,
    so names never collide, never carry path tricks, and the extension matches the content.
    """

    attr_class = GanImageFieldFile
    description = _("Image processed by gan_imaging")
    default_validators: list[Any] = []  # the form field checks extensions, pre_save content

    def __init__(
        self,
        *args: Any,
        outputs: list[str] | None = None,
        keep_filename: bool = False,
        **kwargs: Any,
    ):
        self.outputs = list(outputs) if outputs is not None else None
        self.keep_filename = keep_filename
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        if self.outputs is not None:
            kwargs["outputs"] = self.outputs
        if self.keep_filename:
            kwargs["keep_filename"] = True
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        field = super().formfield(**{"form_class": GanImageFormField, **kwargs})
        if not self.keep_filename and field is not None:
            field.max_length = None  # type: ignore[attr-defined]  # replaced by a safe name
        return field

    def contribute_to_class(  # type: ignore[override]
        self, cls: type[models.Model], name: str, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            post_init.connect(_remember_names, sender=cls, weak=False)
            post_save.connect(_request_jobs, sender=cls, weak=False)
            post_delete.connect(_forget_outputs, sender=cls, weak=False)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        file = getattr(model_instance, self.attname)
        loaded = model_instance.__dict__.get(_LOADED, {}).get(self.name)
        if file and not file._committed:
            # A new upload, from a form or from code: the same checks either way.
            prepared = getattr(file.file, "gan_imaging_prepared", None)
            if prepared is None:
                data, fmt = check_upload(file.file)
                prepared = prepare_upload(data, fmt, file.name)
            if prepared.data is not None:
                # Location and identity metadata removed (losslessly): store the clean bytes.
                clean = ContentFile(prepared.data, name=file.name)
                clean.content_type = getattr(  # type: ignore[attr-defined]  # read by S3
                    file.file, "content_type", None)
                file.file = clean
            model_instance.__dict__.setdefault(_PENDING, {})[self.name] = (
                prepared.sha256, prepared.placeholder)
            if not self.keep_filename:
                file.name = safe_upload_name(file.name, prepared.format)
        elif file and (add or file.name != loaded):
            # A name pointing at a file already in storage: check and hash it as it is there.
            data, _fmt = check_upload(read_source(file), file.name)
            model_instance.__dict__.setdefault(_PENDING, {})[self.name] = (
                content_hash(data), upload_placeholder(data, file.name)
            )
        return super().pre_save(model_instance, add)


def _remember_names(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    names: dict[str, Any] = {}
    for f in sender._meta.concrete_fields:
        if isinstance(f, GanImageField):
            names[f.name] = instance.__dict__.get(f.attname)
            if hasattr(names[f.name], "name"):
                names[f.name] = names[f.name].name
    instance.__dict__[_LOADED] = names


def _request_jobs(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    pending = instance.__dict__.pop(_PENDING, {})
    for name, (source_hash, lqip) in pending.items():
        photo_saved(instance, name, source_hash, lqip, replaced=not kwargs.get("created"))
        file = getattr(instance, name)
        instance.__dict__.setdefault(_LOADED, {})[name] = file.name if file else None


def _forget_outputs(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    object_deleted(instance)
