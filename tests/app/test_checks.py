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
