"""System checks. Misconfiguration is reported with an id and a hint, never a crash."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.translation import gettext as _

from gan_imaging.conf import DEFAULTS, gan_settings
from gan_imaging.core.errors import SpecError
from gan_imaging.core.pipelines import PIPELINES
from gan_imaging.i18n import error_text

KNOWN_DEVICES = ("auto", "cpu", "cuda", "mps")


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    raw = getattr(settings, "GAN_IMAGING", {})
    if not isinstance(raw, dict):
        return [Error(_("GAN_IMAGING must be a dict."), id="gan_imaging.E001")]
    for key in gan_settings.unknown_keys():
        errors.append(
            Error(
                _("Unknown GAN_IMAGING setting %(key)s.") % {"key": repr(key)},
                hint=_("Known settings: %(names)s.") % {"names": ", ".join(sorted(DEFAULTS))},
                id="gan_imaging.E001",
            )
        )
    kinds = list(gan_settings.ON_UPLOAD) + list(gan_settings.SPECS)
    for kind in kinds:
        if kind not in PIPELINES:
            errors.append(
                Error(
                    _("Unknown output kind %(kind)s in GAN_IMAGING.") % {"kind": repr(kind)},
                    hint=_("Available kinds: %(kinds)s.") % {"kinds": ", ".join(PIPELINES.names())},
                    id="gan_imaging.E002",
                )
            )
    for kind, options in dict(gan_settings.SPECS).items():
        if kind in PIPELINES:
            try:
                PIPELINES.get(kind).spec_type.from_dict(options)
            except (SpecError, TypeError) as exc:
                errors.append(
                    Error(
                        _("GAN_IMAGING['SPECS'][%(kind)s] is invalid: %(error)s")
                        % {"kind": repr(kind), "error": error_text(exc)},
                        id="gan_imaging.E003",
                    )
                )
    storages_setting = getattr(settings, "STORAGES", {})
    if gan_settings.STORAGE not in storages_setting:
        errors.append(
            Error(
                _("GAN_IMAGING['STORAGE'] is %(alias)s, which is not an alias in STORAGES.")
                % {"alias": repr(gan_settings.STORAGE)},
                hint=_("Use one of: %(aliases)s.")
                % {"aliases": ", ".join(storages_setting) or _("none defined")},
                id="gan_imaging.E004",
            )
        )
    queues = gan_settings.QUEUES
    if not isinstance(queues, dict) or not {"cpu", "gpu"} <= set(queues):
        errors.append(
            Error(
                _("GAN_IMAGING['QUEUES'] must name a 'cpu' and a 'gpu' queue."),
                id="gan_imaging.E005",
            )
        )
    device = str(gan_settings.DEVICE)
    if device.split(":")[0] not in KNOWN_DEVICES:
        errors.append(
            Error(
                _("GAN_IMAGING['DEVICE'] is %(device)s.") % {"device": repr(device)},
                hint=_("Use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'."),
                id="gan_imaging.E006",
            )
        )
    if int(gan_settings.MAX_PIXELS) > 89_478_485:
        errors.append(
            Warning(
                _("GAN_IMAGING['MAX_PIXELS'] is above Pillow's decompression-bomb threshold."),
                hint=_("Keep it at or below 89 megapixels; 50 is the default."),
                id="gan_imaging.W001",
            )
        )
    return errors


@register(Tags.compatibility)
def check_celery(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from gan_imaging.jobs import celery_app

    try:
        app = celery_app()
    except ImportError as exc:
        return [
            Error(
                _("GAN_IMAGING['CELERY_APP'] cannot be imported: %(error)s") % {"error": exc},
                id="gan_imaging.E010",
            )
        ]
    # Celery's fallback app is called "default" and has no broker configured.
    if getattr(app, "main", None) in (None, "default") and not app.conf.broker_url:
        return [
            Error(
                _("No Celery app is configured, so generation jobs cannot be sent to workers."),
                hint=_(
                    "Create a Celery app in your project (proj/celery.py) and import it in "
                    "proj/__init__.py, or set GAN_IMAGING['CELERY_APP'] to its dotted path."
                ),
                id="gan_imaging.E010",
            )
        ]
    return []


@register(Tags.compatibility)
def check_generation(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """UPSCALE and RESTORE with their variants, and FONTS."""
    errors: list[Any] = []
    value = gan_settings.UPSCALE
    if value not in ("never", "when_needed", 1, 2, 4) or isinstance(value, bool):
        errors.append(Error(
            _("GAN_IMAGING['UPSCALE'] is %(value)s.") % {"value": repr(value)},
            hint=_("Use 'never', 'when_needed', 2 or 4."), id="gan_imaging.E011"))
    if gan_settings.UPSCALE_VARIANT not in ("psnr", "gan"):
        errors.append(Error(
            _("GAN_IMAGING['UPSCALE_VARIANT'] is %(value)s.")
            % {"value": repr(gan_settings.UPSCALE_VARIANT)},
            hint=_("Use 'psnr' or 'gan'."), id="gan_imaging.E011"))
    if gan_settings.RESTORE not in ("when_needed", "always", "never"):
        errors.append(Error(
            _("GAN_IMAGING['RESTORE'] is %(value)s.") % {"value": repr(gan_settings.RESTORE)},
            hint=_("Use 'when_needed', 'always' or 'never'."), id="gan_imaging.E011"))
    if gan_settings.RESTORE_VARIANT not in ("psnr", "gan"):
        errors.append(Error(
            _("GAN_IMAGING['RESTORE_VARIANT'] is %(value)s.")
            % {"value": repr(gan_settings.RESTORE_VARIANT)},
            hint=_("Use 'psnr' or 'gan'."), id="gan_imaging.E011"))
    from gan_imaging.jobs.assets import register_fonts

    fonts = gan_settings.FONTS
    if not isinstance(fonts, dict):
        errors.append(Error(_("GAN_IMAGING['FONTS'] must be a dict of name to font file."),
                            id="gan_imaging.E012"))
        return errors
    for key, problem in register_fonts().items():
        errors.append(Error(
            _("The banner font %(key)s cannot be used: %(problem)s")
            % {"key": repr(key), "problem": problem},
            hint=_("Point GAN_IMAGING['FONTS'] at a readable .ttf, .otf or .ttc file."),
            id="gan_imaging.E012"))
    return errors


@register(Tags.compatibility)
def check_values(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Settings whose type or range is wrong: the history kept, metadata stripping, the
    aspect-ratio limit."""
    errors: list[Any] = []
    keep = gan_settings.KEEP_SUPERSEDED
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        errors.append(Error(
            _("GAN_IMAGING['KEEP_SUPERSEDED'] is %(value)s.") % {"value": repr(keep)},
            hint=_("Use 0 (delete older sets at once) or how many older sets to keep."),
            id="gan_imaging.E013"))
    if not isinstance(gan_settings.STRIP_PRIVATE_METADATA, bool):
        errors.append(Error(
            _("GAN_IMAGING['STRIP_PRIVATE_METADATA'] is %(value)s.")
            % {"value": repr(gan_settings.STRIP_PRIVATE_METADATA)},
            hint=_("Use True (the default) or False."), id="gan_imaging.E013"))
    aspect = gan_settings.MAX_ASPECT
    if isinstance(aspect, bool) or not isinstance(aspect, int | float) or aspect < 1:
        errors.append(Error(
            _("GAN_IMAGING['MAX_ASPECT'] is %(value)s.") % {"value": repr(aspect)},
            hint=_("Use a number of at least 1 (longest side ÷ shortest side)."),
            id="gan_imaging.E013"))
    return errors


#: Text a locale's banners need glyphs for, beyond digits and punctuation.
GLYPH_SAMPLES = {"cjk": "立即购买新品特价", "latin": "Shop now"}


@register(Tags.database)
def check_brand_fonts(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Each brand kit's locale has glyphs in the font it will be drawn with (needs the
    database: runs with ``manage.py check --database default`` and before ``migrate``)."""
    from django.db import DatabaseError

    from gan_imaging.core.errors import GanImagingError
    from gan_imaging.core.vision.fonts import font_covers, resolve_font, script_of_locale
    from gan_imaging.jobs.assets import register_fonts
    from gan_imaging.models import BrandKit

    if not kwargs.get("databases"):
        return []
    register_fonts()
    warnings: list[Any] = []
    try:
        kits = list(BrandKit.objects.all())
    except DatabaseError:  # not migrated yet
        return []
    for kit in kits:
        script = script_of_locale(kit.locale)
        key = (kit.font_cjk if script == "cjk" else kit.font_latin) or script
        try:
            covered = font_covers(resolve_font(key, kit.locale), GLYPH_SAMPLES[script])
            problem = "" if covered else _("the font lacks glyphs for this language")
        except GanImagingError as exc:
            problem = str(exc)
        if problem:
            warnings.append(Warning(
                _("Brand kit %(kit)s (%(locale)s): %(problem)s.")
                % {"kit": repr(kit.name), "locale": kit.locale, "problem": problem},
                hint=_("Install fonts-noto-cjk or set a font that covers the language."),
                obj=kit, id="gan_imaging.W002"))
    return warnings


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@register(Tags.compatibility)
def check_tryon(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The try-on settings: switches, TTL, link lifetime, storage, sizes, rate limits."""
    errors: list[Any] = []

    def bad(name: str, hint: str) -> None:
        errors.append(Error(
            _("GAN_IMAGING['%(name)s'] is %(value)s.")
            % {"name": name, "value": repr(getattr(gan_settings, name))},
            hint=hint, id="gan_imaging.E020"))

    if not isinstance(gan_settings.TRYON_ENABLED, bool):
        bad("TRYON_ENABLED", _("Use True or False."))
    off = gan_settings.TRYON_DISABLED_FOR
    if not isinstance(off, list | tuple) or not all(
            isinstance(x, str) and "." in x.split(":")[0] for x in off):
        bad("TRYON_DISABLED_FOR",
            _("Use a list of 'app_label.model' or 'app_label.model:type' names."))
    for name in ("TRYON_TTL", "TRYON_URL_MAX_AGE", "TRYON_MAX_RENDERS"):
        if not _positive_int(getattr(gan_settings, name)):
            bad(name, _("Use a whole number above 0."))
    side = gan_settings.TRYON_MAX_SIDE
    if not _positive_int(side) or not 256 <= side <= 4096:
        bad("TRYON_MAX_SIDE", _("Use a number of pixels between 256 and 4096."))
    if not isinstance(gan_settings.TRYON_PREFIX, str) or not gan_settings.TRYON_PREFIX.strip("/"):
        bad("TRYON_PREFIX", _("Use a folder name such as 'gan_imaging_tryon'."))
    if gan_settings.TRYON_STORAGE not in getattr(settings, "STORAGES", {}):
        bad("TRYON_STORAGE", _("Use an alias defined in STORAGES (a private one)."))
    limits = gan_settings.TRYON_RATE_LIMITS
    ok = isinstance(limits, dict) and set(limits) <= {"session", "ip"} and all(
        isinstance(v, list | tuple) and len(v) == 2 and all(_positive_int(n) for n in v)
        for v in limits.values())
    if not ok:
        bad("TRYON_RATE_LIMITS",
            _("Use {'session': [uploads, seconds], 'ip': [uploads, seconds]}."))
    ttl, age = gan_settings.TRYON_TTL, gan_settings.TRYON_URL_MAX_AGE
    if _positive_int(ttl) and _positive_int(age) and age > ttl:
        errors.append(Warning(
            _("GAN_IMAGING['TRYON_URL_MAX_AGE'] is longer than TRYON_TTL."),
            hint=_("Links then outlive the photos they point to; keep it shorter."),
            id="gan_imaging.W020"))
    return errors
