"""Uploads through the admin: validated with a form error, or saved with queued jobs."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from gan_imaging.core.errors import InvalidImageError
from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.models import Job
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/catalog/product/add/"


def post_product(client, data: bytes, filename: str, content_type: str = "image/jpeg"):
    upload = SimpleUploadedFile(filename, data, content_type=content_type)
    return client.post(
        ADD_URL,
        {"name": "Blue mug", "slug": "blue-mug", "price": "9.99", "description": "",
         "image": upload},
    )


def media_files(media_root) -> list[Path]:
    return [p for p in Path(media_root).rglob("*") if p.is_file()]


def test_valid_upload_saves_product_and_queues_jobs_in_the_same_save(admin_client, media_root):
    data = make_photo(900, 600)
    response = post_product(admin_client, data, "mug.jpg")
    assert response.status_code == 302, response.content[:2000]
    product = Product.objects.get()
    job = Job.objects.get()
    assert job.kind == "thumbnails" and job.status == "queued"
    assert job.object_id == str(product.pk) and job.field_name == "image"
    assert job.source_hash == content_hash(data)
    assert job.source_name == product.image.name
    assert job.spec["widths"] == [1280, 640, 320]
    assert (product.image_width, product.image_height) == (900, 600)


def png_with_html_trailer() -> bytes:
    return make_photo(64, 64, "PNG") + b"<html><script>alert(1)</script></html>"


def tiff_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buf, "TIFF")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("payload", "filename", "message"),
    [
        (make_photo(800, 600)[:4000], "half.jpg", "damaged"),
        (b"this is not an image at all", "notes.jpg", "not an image"),
        (b"", "empty.jpg", "empty"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.png", "SVG"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n", "art.png", "PostScript"),
        (make_photo(64, 64), "photo.html", "extension"),
    ],
)
def test_bad_uploads_get_a_form_error_and_nothing_is_saved(
    admin_client, media_root, payload, filename, message
):
    before = media_files(media_root)
    response = post_product(admin_client, payload, filename)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert any(message.lower() in e.lower() for e in errors), errors
    assert Product.objects.count() == 0
    assert Job.objects.count() == 0
    assert media_files(media_root) == before


def test_tiff_disguised_as_png_is_refused_or_processed_but_never_trusted(admin_client, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ALLOWED_FORMATS": ["JPEG", "PNG"]}
    response = post_product(admin_client, tiff_bytes(), "photo.png", "image/png")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert any("TIFF files are not accepted" in e for e in errors), errors
    assert Product.objects.count() == 0


def test_pixel_cap_is_enforced_from_the_header(admin_client, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "MAX_PIXELS": 100_000}
    response = post_product(admin_client, make_photo(400, 300), "big.jpg")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert any("megapixels" in e for e in errors), errors
    assert Product.objects.count() == 0


def test_polyglot_upload_is_accepted_only_as_an_image(admin_client):
    # A PNG with an HTML trailer is a valid PNG; it is stored as uploaded but every output is
    # re-encoded from pixels (checked in the jobs tests), so the trailer never reaches a page.
    response = post_product(admin_client, png_with_html_trailer(), "poly.png", "text/html")
    assert response.status_code == 302
    assert Job.objects.count() == 1


def test_saving_from_code_validates_too(media_root):
    product = Product(name="Code", price="1.00")
    product.image = SimpleUploadedFile("x.jpg", b"garbage", content_type="image/jpeg")
    with pytest.raises(InvalidImageError), transaction.atomic():
        product.save()
    assert Product.objects.count() == 0 and Job.objects.count() == 0


def test_pointing_the_field_at_a_bad_stored_file_is_refused(media_root):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("products/fake.jpg", ContentFile(b"not an image"))
    product = Product(name="Code", price="1.00", image=name)
    with pytest.raises(InvalidImageError), transaction.atomic():
        product.save()
    assert Product.objects.count() == 0 and Job.objects.count() == 0


def test_editing_other_fields_does_not_queue_new_jobs(admin_client):
    post_product(admin_client, make_photo(), "mug.jpg")
    product = Product.objects.get()
    product.price = "12.00"
    product.save()
    assert Job.objects.count() == 1


def test_replacing_the_photo_queues_jobs_for_the_new_source(admin_client):
    post_product(admin_client, make_photo(), "mug.jpg")
    product = Product.objects.get()
    new = make_photo(640, 640)
    response = admin_client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {"name": "Blue mug", "slug": "blue-mug", "price": "9.99", "description": "",
         "image": SimpleUploadedFile("mug2.jpg", new, content_type="image/jpeg")},
    )
    assert response.status_code == 302
    assert sorted(Job.objects.values_list("source_hash", flat=True)) == sorted(
        [content_hash(make_photo()), content_hash(new)]
    )
