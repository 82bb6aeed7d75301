"""Settings are one dict with defaults; mistakes are system checks with ids."""

from django.core import checks

from gan_imaging.conf import gan_settings


def ids():
    return sorted({m.id for m in checks.run_checks() if m.id.startswith("gan_imaging")})


def test_demo_settings_pass_all_checks():
    assert ids() == []


def test_unknown_key_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "MAX_PIXLES": 5}
    assert "gan_imaging.E001" in ids()


def test_unknown_output_kind_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails", "holograms"]}
    assert "gan_imaging.E002" in ids()


def test_invalid_spec_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "SPECS": {"thumbnails": {"widths": [0]}}}
    assert "gan_imaging.E003" in ids()


def test_storage_alias_must_exist(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "STORAGE": "nowhere"}
    assert "gan_imaging.E004" in ids()


def test_bad_device_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "DEVICE": "tpu"}
    assert "gan_imaging.E006" in ids()


def test_celery_app_must_be_configured(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "CELERY_APP": "no.such.module.app"}
    assert "gan_imaging.E010" in ids()


def test_settings_reload_on_override(settings):
    assert gan_settings.MAX_ATTEMPTS == 3
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "MAX_ATTEMPTS": 7}
    assert gan_settings.MAX_ATTEMPTS == 7


def test_bad_upscale_setting_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "UPSCALE": "always"}
    assert "gan_imaging.E011" in ids()
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "UPSCALE": 2, "UPSCALE_VARIANT": "sharp"}
    assert "gan_imaging.E011" in ids()


def test_unreadable_banner_font_is_an_error(settings, tmp_path):
    bogus = tmp_path / "brand.ttf"
    bogus.write_bytes(b"not a font")
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "FONTS": {"brand": str(bogus)}}
    messages = [m for m in checks.run_checks() if m.id == "gan_imaging.E012"]
    assert messages and "'brand'" in messages[0].msg


def test_brand_kit_whose_font_lacks_chinese_glyphs_warns(settings, db):
    from gan_imaging.core.vision.fonts import resolve_font
    from gan_imaging.models import BrandKit

    latin = resolve_font("latin").path  # a Latin-only font (DejaVu or matplotlib's copy)
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "FONTS": {"plain": latin}}
    BrandKit.objects.create(name="Ok", locale="zh-CN")  # default CJK font: covered
    BrandKit.objects.create(name="Shanghai", locale="zh-CN", font_cjk="plain")
    found = [m for m in checks.run_checks(databases=["default"]) if m.id == "gan_imaging.W002"]
    assert [m.obj.name for m in found] == ["Shanghai"]
    assert "lacks glyphs" in found[0].msg
    # Without the database the check does not run (manage.py check without --database).
    assert "gan_imaging.W002" not in ids()


def test_history_stripping_and_aspect_settings_are_checked(settings):
    base = dict(settings.GAN_IMAGING)
    for key, bad in (("KEEP_SUPERSEDED", -1), ("KEEP_SUPERSEDED", "all"),
                     ("STRIP_PRIVATE_METADATA", "yes"), ("MAX_ASPECT", 0.5)):
        settings.GAN_IMAGING = {**base, key: bad}
        assert ids() == ["gan_imaging.E013"], key
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "KEEP_SUPERSEDED": 3,
                            "STRIP_PRIVATE_METADATA": False, "MAX_ASPECT": 20}
    assert ids() == []
