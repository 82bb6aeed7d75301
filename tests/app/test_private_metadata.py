"""The stored original loses its GPS and identity tags on upload, losslessly; a setting keeps
them. Read back from storage, as a visitor of /media/ would get it."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging import jobs
from gan_imaging.core.imaging.decode import content_hash
from gan_imaging.core.imaging.privacy import private_metadata
from gan_imaging.models import Job
from shop.catalog.models import Product
from tests.app.test_admin import LIST_URL

pytestmark = pytest.mark.django_db


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: orientation, make and model, GPS, a body serial number."""
    im = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0xA431] = "SN-0042-SECRET"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.5)
    gps[3], gps[4] = "E", (13.0, 24.0, 17.25)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def scan_data(jpeg: bytes) -> bytes:
    """The entropy-coded image data, from the first SOS marker on."""
    return jpeg[jpeg.index(b"\xff\xda"):]


def stored(media_root, product: Product) -> bytes:
    return (Path(media_root) / product.image.name).read_bytes()


def test_admin_upload_stores_the_photo_without_gps_or_serial_losslessly(admin_client,
                                                                       media_root):
    original = phone_photo()
    assert set(private_metadata(original)) == {"gps", "serial_numbers"}
    upload = SimpleUploadedFile("holiday.jpg", original, content_type="image/jpeg")
    response = admin_client.post(f"{LIST_URL}add/", {"name": "Mug", "price": "9.00",
                                                     "image": upload})
    assert response.status_code == 302
    product = Product.objects.get()
    data = stored(media_root, product)
    assert private_metadata(data) == ()
    assert b"SN-0042-SECRET" not in data
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert dict(exif.get_ifd(0x8825)) == {}
        assert (exif[0x010F], exif[0x0110], exif[0x0112]) == ("PhoneMaker", "Phone 12", 1)
    assert scan_data(data) == scan_data(original)  # not re-encoded
    # Jobs hash what is stored, so the worker's source check passes.
    job = Job.objects.get()
    assert job.source_hash == content_hash(data)
    assert jobs.execute(job.pk, owner="w").status == "succeeded"


def test_uploads_saved_from_code_are_cleaned_too(media_root):
    p = Product(name="Lamp", price="1.00")
    p.image = SimpleUploadedFile("lamp.jpg", phone_photo())
    p.save()
    assert private_metadata(stored(media_root, p)) == ()


def test_a_setting_keeps_the_original_byte_for_byte(settings, media_root):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "STRIP_PRIVATE_METADATA": False}
    original = phone_photo()
    p = Product(name="Lamp", price="1.00")
    p.image = SimpleUploadedFile("lamp.jpg", original)
    p.save()
    assert stored(media_root, p) == original
