"""Photo repair before outputs are made (RESTORE): the setting, the working image a pipeline
gets, the versions outputs record, and a damaged upload rendered by a real worker."""

import io

import pytest
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging.core.imaging.decode import decode
from gan_imaging.jobs.assets import effective_version
from gan_imaging.jobs.common import pipeline_for
from gan_imaging.jobs.runners import working_image
from gan_imaging.jobs.sources import upload_limits
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.app.conftest import wait_for_jobs
from tests.conftest import make_photo


def ids():
    return sorted({m.id for m in checks.run_checks() if m.id.startswith("gan_imaging")})


def test_a_bad_restore_setting_is_an_error(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "sometimes"}
    assert "gan_imaging.E011" in ids()
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "always"}
    assert "gan_imaging.E011" not in ids()


def damaged_photo(quality: int, size: int = 640) -> bytes:
    """A photo-like picture (edges and texture, no flat fill) saved at ``quality``."""
    rng_texture = Image.effect_noise((size // 4, size // 4), 60).resize((size, size))
    base = Image.open(io.BytesIO(make_photo(size, size, fmt="PNG"))).convert("RGB")
    im = Image.blend(base, Image.merge("RGB", [rng_texture] * 3), 0.3)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.mark.parametrize("draft", [None, (100, 100)])
def test_a_clean_q95_photo_is_the_very_decoded_image(settings, draft):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "when_needed"}
    data = damaged_photo(95)
    image, info = decode(data, upload_limits(), filename="p.jpg", draft_to=draft)
    before = image.tobytes()
    work, meta = working_image(data, image, info, "p.jpg")
    assert work is image and work.tobytes() == before
    assert meta is not None and meta["applied"] is False and meta["jpeg_quality"] == 95


def test_a_q30_photo_is_restored_at_full_size(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "when_needed", "DEVICE": "cpu"}
    data = damaged_photo(30)
    image, info = decode(data, upload_limits(), filename="p.jpg", draft_to=(160, 160))
    assert image.size == (160, 160)  # the pipeline asked for a reduced decode
    work, meta = working_image(data, image, info, "p.jpg")
    full, _ = decode(data, upload_limits(), filename="p.jpg")
    assert work.size == (640, 640) and work.tobytes() != full.tobytes()
    assert meta is not None and meta["applied"] and meta["jpeg_quality"] == 30
    assert meta["model"].startswith("restore-psnr-")


@pytest.mark.django_db
def test_never_leaves_no_record_and_versions_follow_the_setting(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "never"}
    data = damaged_photo(30)
    image, info = decode(data, upload_limits(), filename="p.jpg")
    assert working_image(data, image, info, "p.jpg") == (image, None)
    pipeline = pipeline_for("thumbnails")
    spec = pipeline.spec_type()
    never = effective_version(pipeline, spec)
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "when_needed"}
    needed = effective_version(pipeline, spec)
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "always"}
    assert len({never, needed, effective_version(pipeline, spec)}) == 3


@pytest.mark.django_db
def test_the_sharpened_variant_restores_and_is_named_in_versions(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE": "always", "DEVICE": "cpu",
                            "RESTORE_VARIANT": "sharp"}
    assert "gan_imaging.E011" in ids()
    pipeline = pipeline_for("thumbnails")
    spec = pipeline.spec_type()
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE_VARIANT": "psnr"}
    faithful = effective_version(pipeline, spec)
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "RESTORE_VARIANT": "gan"}
    assert "gan_imaging.E011" not in ids()
    assert effective_version(pipeline, spec) != faithful
    data = damaged_photo(30, size=160)
    image, info = decode(data, upload_limits(), filename="p.jpg")
    work, meta = working_image(data, image, info, "p.jpg")
    assert meta is not None and meta["applied"] and meta["model"].startswith("restore-gan-")
    assert work.size == image.size and work.tobytes() != image.tobytes()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_damaged_upload_is_restored_by_a_real_worker_and_the_admin_says_so(
        celery_worker, admin_client):
    response = admin_client.post(
        "/admin/catalog/product/add/",
        {"name": "Old lamp", "slug": "old-lamp", "price": "9.00", "description": "Re-saved.",
         "image": SimpleUploadedFile("old.jpg", damaged_photo(30), content_type="image/jpeg")},
    )
    assert response.status_code == 302
    product = Product.objects.get()
    (job,) = wait_for_jobs(Job.objects.all(), timeout=120)
    assert job.status == "succeeded", job.error_message
    rows = list(Rendition.objects.filter(state="current").exclude(kind="placeholder"))
    assert rows and all(r.meta["restore"]["applied"] for r in rows)
    assert {r.meta["restore"]["jpeg_quality"] for r in rows} == {30}
    page = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "restored: JPEG q≈30, noise σ≈" in page
