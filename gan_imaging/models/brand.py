"""Brand kits and per-product banner copy."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour like #1a2b3c."))

LOCALES = [
    ("en-US", "English (United States)"),
    ("en-GB", "English (United Kingdom)"),
    ("de-DE", "Deutsch (Deutschland)"),
    ("fr-FR", "Français (France)"),
    ("zh-CN", "简体中文 (中国)"),
    ("ja-JP", "日本語 (日本)"),
]
CURRENCIES = [("USD", "USD $"), ("EUR", "EUR €"), ("GBP", "GBP £"), ("CNY", "CNY ¥"),
              ("JPY", "JPY ¥")]


class BrandKit(models.Model):
    """A shop's look for banners: colours, logo, fonts, default copy, locale and currency.

    The kit marked ``default`` is used for products without their own; at most one is.
    Colours are ``#rrggbb``. ``background`` is ``"gradient"`` (from the brand colours and the
    photo's palette) or ``"texture:<style>"`` (a texture GAN: bundled or trained on the
    brand's own images under that name).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    default = models.BooleanField(_("default kit"), default=False)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1f3a5f",
                                      validators=[_colour])
    secondary_colour = models.CharField(_("secondary colour"), max_length=7, default="#f2a541",
                                        validators=[_colour])
    text_colour = models.CharField(_("text colour"), max_length=7, default="#ffffff",
                                   validators=[_colour],
                                   help_text=_("Replaced automatically where it would not be "
                                               "legible (WCAG AA contrast)."))
    logo = models.ImageField(_("logo"), upload_to="gan_imaging/brand/", blank=True)
    font_latin = models.CharField(_("Latin font"), max_length=100, blank=True,
                                  help_text=_("Leave empty for the bundled default."))
    font_cjk = models.CharField(_("Chinese font"), max_length=100, blank=True,
                                help_text=_("Leave empty for the bundled default."))
    headline = models.CharField(_("default headline"), max_length=120, blank=True)
    cta = models.CharField(_("call to action"), max_length=40, blank=True)
    locale = models.CharField(_("locale"), max_length=10, choices=LOCALES, default="en-US")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="USD")
    background = models.CharField(_("background"), max_length=60, default="gradient",
                                  help_text=_('"gradient", or "texture:brick" / '
                                              '"texture:gravel" / "texture:NAME" with the '
                                              'name of a texture model you trained.'))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "gan_imaging"
        ordering = ("-default", "name")
        constraints = [
            models.UniqueConstraint(fields=["default"], condition=models.Q(default=True),
                                    name="gan_imaging_one_default_brand_kit"),
        ]
        verbose_name = _("brand kit")
        verbose_name_plural = _("brand kits")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a kit as the default makes it the only one, in one transaction."""
        with transaction.atomic():
            if self.default:
                BrandKit.objects.select_for_update().filter(default=True).exclude(
                    pk=self.pk).update(default=False)
            super().save(*args, **kwargs)

    def validate_constraints(self, exclude: Any = None) -> None:
        # Making this kit the default takes the flag from the old one in save(); the
        # one-default constraint only guards the database against anything else.
        exclude = set(exclude or ())
        if self.default:
            exclude.add("default")
        super().validate_constraints(exclude=exclude)


class BannerCopy(models.Model):
    """What one product's banners say, overriding its brand kit and the product's own
    ``gan_banner_copy()`` values. Blank fields fall back to those. Prices are in the brand
    kit's currency."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    brand_kit = models.ForeignKey(BrandKit, null=True, blank=True, on_delete=models.SET_NULL,
                                  verbose_name=_("brand kit"),
                                  help_text=_("Empty: the default kit."))
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    subline = models.CharField(_("subline"), max_length=200, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True,
                                blank=True, validators=[MinValueValidator(0)])
    sale_price = models.DecimalField(_("sale price"), max_digits=12, decimal_places=2,
                                     null=True, blank=True, validators=[MinValueValidator(0)])
    cta = models.CharField(_("call to action"), max_length=40, blank=True)

    class Meta:
        app_label = "gan_imaging"
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"],
                                    name="gan_imaging_one_banner_copy_per_object"),
        ]
        verbose_name = _("banner copy")
        verbose_name_plural = _("banner copy")

    def __str__(self) -> str:
        return self.headline or f"#{self.object_id}"
