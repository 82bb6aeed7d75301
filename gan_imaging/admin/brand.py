"""Admin for brand kits, and the per-product banner copy inline the mixin adds."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericStackedInline
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gan_imaging.models import BannerCopy, BrandKit


class BannerCopyInline(GenericStackedInline):
    """Headline, subline, prices and call to action for one product's banners."""

    model = BannerCopy
    extra = 0
    max_num = 1
    fields = ("brand_kit", "headline", "subline", ("price", "sale_price"), "cta")
    verbose_name = _("banner copy")
    verbose_name_plural = _("banner copy (overrides the brand kit and product)")


@admin.register(BrandKit)
class BrandKitAdmin(admin.ModelAdmin):
    list_display = ("name", "default", "swatches", "locale", "currency", "background")
    list_filter = ("locale", "default")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "default", "locale", "currency")}),
        (_("Look"), {"fields": (("primary_colour", "secondary_colour", "text_colour"), "logo",
                                "background", ("font_latin", "font_cjk"))}),
        (_("Default copy"), {"fields": ("headline", "cta")}),
    )

    @admin.display(description=_("colours"))
    def swatches(self, obj: BrandKit) -> Any:
        swatch = ('<span style="display:inline-block;width:1.2em;height:1.2em;'
                  'border:1px solid #888;margin-right:2px;background:{}"></span>')
        return format_html(swatch * 3, obj.primary_colour, obj.secondary_colour,
                           obj.text_colour)
