"""``{% load gan_imaging_tryon %}{% tryon product %}``: the storefront's "Try it in your photo"
block for an object's image field (nothing when the shop switched it off for that type).

Include ``gan_imaging/tryon.css`` and ``gan_imaging/tryon.js`` (the tag adds both) and
``gan_imaging.urls`` in the project's URLs.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from gan_imaging.conf import gan_settings
from gan_imaging.jobs.tryon import allowed

register = template.Library()


def preview_image(fieldfile: Any) -> tuple[str, bool]:
    """The URL the shopper drags over their photo and whether it is a transparent cutout:
    the product's cutout rendition (PNG first, as the worker picks it), else a thumbnail of
    the photo (the worker then cuts the product out of the same frame)."""
    rows = fieldfile.rendition_list() if hasattr(fieldfile, "rendition_list") else []
    cuts = sorted((r for r in rows if r.kind == "renders" and r.file
                   and r.spec_key.startswith("cutout")), key=lambda r: r.format)
    if cuts:
        return cuts[0].file.url, True
    thumbs = sorted((r for r in rows if r.kind == "thumbnails" and r.file
                     and not (r.meta or {}).get("aspect")), key=lambda r: -r.width)
    return (thumbs[0].file.url if thumbs else fieldfile.url), False


@register.inclusion_tag("gan_imaging/tryon.html", takes_context=True)
def tryon(context: Any, obj: Any, field_name: str = "image") -> dict[str, Any]:
    fieldfile = getattr(obj, field_name, None)
    if obj is None or not fieldfile or not allowed(obj):
        return {"enabled": False}
    url, transparent = preview_image(fieldfile)
    ct = ContentType.objects.get_for_model(obj)
    return {
        "enabled": True,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "upload_url": reverse("gan_imaging:tryon_upload", args=[ct.pk, str(obj.pk), field_name]),
        "cutout_url": url,
        "transparent": transparent,
        "name": str(obj),
        "minutes": max(1, round(int(gan_settings.TRYON_TTL) / 60)),
        "uid": f"gan-tryon-{ct.pk}-{obj.pk}",
    }
