"""What one object's banners say and look like: its BannerCopy, the object's own
``gan_banner_copy()`` values, and a brand kit, merged into banner spec options."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.models import BannerCopy, BrandKit

COPY_FIELDS = ("headline", "subline", "price", "sale_price", "cta")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def banner_options(instance: models.Model) -> dict[str, Any]:
    """Spec options for ``instance``'s banners. Precedence for each piece of copy: the
    merchant's BannerCopy row, then ``instance.gan_banner_copy()`` (a dict a shop's model may
    define, e.g. name and price), then the brand kit's defaults. No kit configured: the spec's
    own defaults apply."""
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    copy = BannerCopy.objects.filter(content_type=ct, object_id=str(instance.pk)).first()
    kit = (copy.brand_kit if copy and copy.brand_kit_id else None) or BrandKit.objects.filter(
        default=True).first()
    own = getattr(instance, "gan_banner_copy", None)
    values: dict[str, str] = {k: _text(v) for k, v in (own() if callable(own) else {}).items()
                              if k in COPY_FIELDS}
    if copy is not None:
        values.update({k: _text(getattr(copy, k)) for k in COPY_FIELDS if _text(getattr(copy, k))})
    options: dict[str, Any] = {}
    if kit is not None:
        options.update(
            brand_name=kit.name, primary=kit.primary_colour.lower(),
            secondary=kit.secondary_colour.lower(), text_colour=kit.text_colour.lower(),
            locale=kit.locale, currency=kit.currency, background=kit.background,
        )
        if kit.font_latin:
            options["font_latin"] = kit.font_latin
        if kit.font_cjk:
            options["font_cjk"] = kit.font_cjk
        for key in ("headline", "cta"):
            if not values.get(key) and getattr(kit, key):
                values[key] = getattr(kit, key)
        if kit.logo:
            options.update(logo_name=kit.logo.name, logo_hash=_logo_hash(kit))
    options.update({k: v for k, v in values.items() if v})
    return options


def _logo_hash(kit: BrandKit) -> str:
    try:
        with kit.logo.open("rb") as fh:
            return content_hash(fh.read())[:16]
    except OSError:
        return ""
