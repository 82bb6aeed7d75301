"""Template tags. They read Rendition rows only: a page never generates anything and never
asks the storage whether a file exists.

``{% thumbnail_url obj.image 640 "webp" %}`` — URL of the smallest thumbnail ≥ 640 px wide.
``{% picture obj.image sizes="..." alt="..." aspect="1:1" class="..." %}`` — ``<picture>`` with
a srcset per format (best first), ``width``/``height`` (no layout shift), lazy loading, and the
upload's LQIP: shown alone while renditions are pending, as the image's background after.
``aspect`` picks the fill crops of that aspect (spec option ``fill``); default: fit.
``{{ warning|gan_message }}`` — a stored ``{"template", "params"}`` reason in the reader's
language (compliance warnings, integrity reasons).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from gan_imaging.core.errors import render_message
from gan_imaging.i18n import translate_error

register = template.Library()

# Best first: browsers take the first <source> they support.
FORMAT_ORDER = ("avif", "webp", "jpeg", "png")
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


def _rows(fieldfile: Any) -> list[Any]:
    if not fieldfile or not hasattr(fieldfile, "rendition_list"):
        return []
    return fieldfile.rendition_list()


def _thumbnails(rows: list[Any], aspect: str | None) -> list[Any]:
    return [r for r in rows if r.kind == "thumbnails" and r.file
            and (r.meta or {}).get("aspect") == aspect]


def _placeholder(rows: list[Any]) -> Any:
    return next((r for r in rows if r.kind == "placeholder"), None)


@register.simple_tag
def thumbnail_url(fieldfile: Any, width: int, format: str = "webp") -> str:
    """URL of the thumbnail, or the placeholder's URL while none is ready."""
    if fieldfile and hasattr(fieldfile, "thumbnail"):
        r = fieldfile.thumbnail(int(width), format)
        if r is not None:
            return r.file.url
    return static("gan_imaging/placeholder.svg")


@register.simple_tag
def picture(
    fieldfile: Any, sizes: str = "100vw", alt: str = "", aspect: str | None = None, **attrs: Any
) -> SafeString:
    rows = _rows(fieldfile)
    renditions = _thumbnails(rows, aspect)
    lqip = _placeholder(rows)
    extra = format_html_join("", ' {}="{}"', ((k.replace("_", "-"), v) for k, v in attrs.items()))
    if not renditions:
        if lqip is not None:
            return format_html(
                '<img src="{}" width="{}" height="{}" alt="{}" data-gan-pending="1" '
                'class="gan-lqip" decoding="async"{}>',
                lqip.meta["data_uri"], lqip.width, lqip.height, alt, extra,
            )
        return format_html(
            '<img src="{}" alt="{}" data-gan-pending="1" loading="lazy" decoding="async"{}>',
            static("gan_imaging/placeholder.svg"), alt, extra,
        )
    by_format: dict[str, list[Any]] = {}
    for r in renditions:
        by_format.setdefault(r.format, []).append(r)
    # The <img> carries a format every browser decodes; the others become <source>s.
    fallback_fmt: str | None = next(
        (f for f in ("jpeg", "png", "webp", "avif") if f in by_format), None
    )
    fallback_fmt = fallback_fmt or next(iter(by_format))
    sources = []
    for fmt in FORMAT_ORDER:
        if fmt in by_format and fmt != fallback_fmt:
            srcset = ", ".join(f"{r.file.url} {r.width}w" for r in sorted(
                by_format[fmt], key=lambda r: r.width))
            sources.append(
                format_html('<source type="{}" srcset="{}" sizes="{}">', MIME[fmt], srcset, sizes)
            )
    fallback = sorted(by_format[fallback_fmt], key=lambda r: r.width)
    largest = fallback[-1]
    style = (
        format_html(' style="background:url({}) center/cover no-repeat"', lqip.meta["data_uri"])
        if lqip is not None
        else ""
    )
    img = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" '
        'decoding="async"{}{}>',
        largest.file.url,
        ", ".join(f"{r.file.url} {r.width}w" for r in fallback),
        sizes,
        largest.width,
        largest.height,
        alt,
        style,
        extra,
    )
    return format_html("<picture>{}{}</picture>", mark_safe("".join(sources)), img)


@register.simple_tag
def renditions(fieldfile: Any, kind: str, format: str | None = None) -> list[Any]:
    """The ready renditions of one output ``kind`` ("renders", "banners", …) of an image,
    optionally of one ``format``, in the pipeline's order (rows only):
    ``{% renditions product.image "renders" as renders %}``."""
    rows = [r for r in _rows(fieldfile) if r.kind == kind and r.file]
    return [r for r in rows if format is None or r.format == format]


@register.filter
def gan_message(item: Any) -> str:
    """A stored reason in the active language: a ``{"template", "params"}`` dict (a compliance
    warning, an integrity reason) is translated and filled in; a plain string (reports stored
    before warnings had templates) is translated as its own msgid when the catalogue has it."""
    if isinstance(item, dict):
        template, params = item.get("template"), item.get("params") or {}
        if not isinstance(template, str) or not isinstance(params, dict):
            return ""
        try:
            english = render_message(template, params)
        except (KeyError, TypeError, ValueError):
            return template
        return translate_error(english, {"template": template, "params": params}
                               if params else None)  # fmt: skip
    return translate_error(str(item)) if item else ""
