"""Showing stored and raised reasons in the reader's language.

Core raises ``GanImagingError`` with an English template (marked with ``gettext_noop``) and
``params``; jobs store the English text plus ``{"template", "params"}`` (``Job.error_params``).
These helpers translate either at display time, in the active language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


def translate_error(message: str, params: dict[str, Any] | None = None) -> str:
    """``gettext(template) % params`` for a stored reason, falling back to the English text.

    The template is used only while it still renders to ``message`` (params left from an
    earlier attempt never describe a newer reason); a message without parameters is its own
    msgid. Unknown messages come back unchanged.
    """
    if not message:
        return ""
    template, values = (params or {}).get("template"), (params or {}).get("params")
    if isinstance(template, str) and isinstance(values, dict):
        try:
            if template % values == message:
                return gettext(template) % values
        except (KeyError, TypeError, ValueError):
            return message
    return gettext(message)


def error_text(exc: BaseException) -> str:
    """``str(exc)`` in the active language for a ``GanImagingError`` (or ``JobCancelled``)."""
    template, params = getattr(exc, "template", None), getattr(exc, "params", None)
    if isinstance(template, str):
        return translate_error(str(exc), {"template": template, "params": params or {}}
                               if params else None)
    return str(exc)
