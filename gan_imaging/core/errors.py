"""Typed errors. Every message is written for a merchant: what went wrong and what to do.

``code`` is a stable machine-readable identifier stored on failed jobs; ``retryable`` tells
the job layer whether trying again later can help (a flaky storage) or not (a corrupt photo).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation without translating it (``makemessages`` extracts it).

    Core raises errors in English; the app translates the stored template when it shows it,
    in the language of whoever reads it. Same contract as ``django.utils.translation``'s
    function of that name, without importing Django.
    """
    return message


def render_message(template: str, params: Mapping[str, Any] | None = None) -> str:
    """``template % params`` (``%(name)s`` placeholders); the template as is without params."""
    return template % dict(params) if params else template


class GanImagingError(Exception):
    """Base class of every error gan_imaging raises on purpose.

    ``message`` is a template marked with :func:`gettext_noop` and ``params`` fills its
    ``%(name)s`` placeholders; ``self.message`` is the English text, ``self.template`` and
    ``self.params`` let the app translate it at display time.
    """

    code = "error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        params: Mapping[str, Any] | None = None,
        code: str | None = None,
        retryable: bool | None = None,
    ):
        self.template = message
        self.params: dict[str, Any] = dict(params or {})
        self.message = render_message(message, self.params)
        super().__init__(self.message)
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class ConfigurationError(GanImagingError):
    code = "configuration"


class InvalidImageError(GanImagingError):
    """The uploaded file is not an image we accept. Never retried."""

    code = "invalid_image"


class UnsupportedFormatError(InvalidImageError):
    code = "unsupported_format"


class CorruptImageError(InvalidImageError):
    code = "corrupt_image"


class ImageTooLargeError(InvalidImageError):
    code = "image_too_large"


class SpecError(GanImagingError):
    """A rendition spec is malformed (for example a width of 0)."""

    code = "invalid_spec"


class StorageError(GanImagingError):
    """Reading the source or writing an output failed; usually transient."""

    code = "storage"
    retryable = True


class ModelError(GanImagingError):
    """A model could not be loaded or run."""

    code = "model"


class QuotaExceededError(GanImagingError):
    """A merchant asked for more GPU work than their quota allows."""

    code = "quota"


class OutOfMemoryError(ModelError):
    code = "out_of_memory"
    retryable = True
