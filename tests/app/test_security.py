"""Hostile names, CSRF, metadata in outputs."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from gan_imaging import jobs
from gan_imaging.fields import safe_upload_name
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.png", "a\x00.png.php", "x" * 300 + ".jpg", "\u202egpj.exe", "con.png",
     "..\\..\\windows\\win.ini", "照片.jpg", ".htaccess", "photo.svg"],
)
def test_hostile_file_names_are_stored_under_safe_names_inside_media(admin_client, media_root,
                                                                     name):
    response = admin_client.post(
        "/admin/catalog/product/add/",
        {"name": "N", "slug": "n", "price": "1.00", "description": "",
         "image": SimpleUploadedFile(name, make_photo(64, 64))},
    )
    assert response.status_code in (200, 302)
    for stored in (safe_upload_name(name, "JPEG"),
                   *(p.image.name.split("/", 1)[1] for p in Product.objects.all())):
        assert "/" not in stored and "\\" not in stored and "\x00" not in stored
        assert stored.isascii() and stored.endswith(".jpg") and len(stored) <= 54
    if response.status_code == 200:  # refused by the extension check ("photo.svg")
        assert "extension" in response.content.decode()
        return
    path = (Path(media_root) / Product.objects.get().image.name).resolve()
    assert path.is_relative_to(Path(media_root).resolve()) and path.exists()


def test_stored_extension_follows_the_content_not_the_name(admin_client, media_root):
    png = make_photo(64, 64, "PNG")
    admin_client.post(
        "/admin/catalog/product/add/",
        {"name": "N", "slug": "n", "price": "1.00", "description": "",
         "image": SimpleUploadedFile("../../evil.jpg", png, content_type="image/jpeg")},
    )
    name = Product.objects.get().image.name
    assert name.startswith("products/evil-") and name.endswith(".png")


def test_keep_filename_option_keeps_the_storage_sanitised_name():
    from gan_imaging.fields import GanImageField

    field = GanImageField(upload_to="x/", keep_filename=True)
    assert field.deconstruct()[3]["keep_filename"] is True
    assert "keep_filename" not in GanImageField(upload_to="x/").deconstruct()[3]


def test_admin_posts_need_a_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/catalog/product/add/",
        {"name": "N", "slug": "n", "price": "1.00",
         "image": SimpleUploadedFile("a.jpg", make_photo(64, 64))},
    )
    assert response.status_code == 403
    assert Product.objects.count() == 0 and Job.objects.count() == 0


def test_no_output_carries_exif_gps_xmp_comment_or_icc(media_root):
    im = Image.open(io.BytesIO(make_photo(900, 600)))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS IFD
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes(), comment=b"internal note",
            icc_profile=b"", xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    product = Product(name="Meta", price="1.00")
    product.image = SimpleUploadedFile("meta.jpg", buf.getvalue())
    product.save()
    jobs.execute(Job.objects.get().pk, owner="w")
    assert Rendition.objects.count() > 0
    for r in Rendition.objects.exclude(file=""):
        data = (Path(media_root) / r.file.name).read_bytes()
        for secret in (b"SecretCam", b"internal note", b"xmpmeta", b"GPS"):
            assert secret not in data, (r.file.name, secret)
        with Image.open(io.BytesIO(data)) as out:
            assert not out.getexif() and "icc_profile" not in out.info


@pytest.fixture
def gpu_kind():
    """A GPU output kind for the quota tests (the real GAN kinds register the same way)."""
    import dataclasses

    from gan_imaging.core.pipelines import PIPELINES

    base = PIPELINES.get("thumbnails")
    PIPELINES.add("test_gpu", dataclasses.replace(base, kind="test_gpu", device="gpu"))
    yield "test_gpu"
    PIPELINES._entries.pop("test_gpu")


def test_gpu_quota_is_enforced_per_user_from_the_job_table(admin_client, admin_user, settings,
                                                          gpu_kind):
    from gan_imaging.core.errors import QuotaExceededError

    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "GPU_QUOTA": {"jobs": 2, "hours": 1}}
    product = Product(name="Q", price="1.00")
    product.image = SimpleUploadedFile("q.jpg", make_photo(64, 64))
    product.save()
    assert len(jobs.request(product, "image", [gpu_kind], user=admin_user)) == 1
    assert len(jobs.request(product, "image", [gpu_kind], user=admin_user, force=True)) == 1
    with pytest.raises(QuotaExceededError, match="GPU quota"):
        jobs.request(product, "image", [gpu_kind], user=admin_user, force=True)
    # Code paths without a user and CPU kinds are not limited.
    assert len(jobs.request(product, "image", [gpu_kind], force=True)) == 1
    assert jobs.queue_for(gpu_kind) == "gan_imaging.gpu"


def test_outputs_are_served_with_their_real_content_type(client, media_root):
    product = Product(name="CT", price="1.00")
    product.image = SimpleUploadedFile("ct.jpg", make_photo(400, 300))
    product.save()
    jobs.execute(Job.objects.get().pk, owner="w")
    seen = set()
    for r in Rendition.objects.exclude(file=""):
        response = client.get(r.file.url)
        assert response.status_code == 200
        assert response["Content-Type"] == {"webp": "image/webp", "jpeg": "image/jpeg"}[r.format]
        seen.add(r.format)
    assert seen == {"webp", "jpeg"}
