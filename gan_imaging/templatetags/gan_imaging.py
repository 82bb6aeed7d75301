"""Template tags. They read Rendition rows only: a page never generates or touches storage
beyond building URLs.

``{% thumbnail_url obj.image 640 "webp" %}`` — URL of the smallest thumbnail ≥ 640 px wide.
``{% picture obj.image sizes="..." alt="..." class="..." %}`` — ``<picture>`` with a srcset per
format, ``width``/``height`` attributes, lazy loading; a placeholder while pending.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Best first: browsers take the first <source> they support.
FORMAT_ORDER = ("avif", "webp", "jpeg", "png")
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


def _thumbnails(fieldfile: Any) -> list[Any]:
    if not fieldfile or not hasattr(fieldfile, "rendition_list"):
        return []
    return [r for r in fieldfile.rendition_list() if r.kind == "thumbnails"]


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
    fieldfile: Any, sizes: str = "100vw", alt: str = "", **attrs: Any
) -> SafeString:
    renditions = _thumbnails(fieldfile)
    extra = format_html_join("", ' {}="{}"', ((k.replace("_", "-"), v) for k, v in attrs.items()))
    if not renditions:
        return format_html(
            '<img src="{}" alt="{}" data-gan-pending="1" loading="lazy" decoding="async"{}>',
            static("gan_imaging/placeholder.svg"),
            alt,
            extra,
        )
    by_format: dict[str, list[Any]] = {}
    for r in renditions:
        by_format.setdefault(r.format, []).append(r)
    # The <img> carries a format every browser decodes; the others become <source>s.
    fallback_fmt = next((f for f in ("jpeg", "png", "webp", "avif") if f in by_format), None)
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
    img = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" '
        'decoding="async"{}>',
        largest.file.url,
        ", ".join(f"{r.file.url} {r.width}w" for r in fallback),
        sizes,
        largest.width,
        largest.height,
        alt,
        extra,
    )
    return format_html("<picture>{}{}</picture>", mark_safe("".join(sources)), img)
