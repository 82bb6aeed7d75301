"""Try it in your photo, the app side: a shopper's photo is theirs alone (other sessions get
404s, links are signed and expire, public media never serves it), it arrives checked like a
merchant's upload and stripped of metadata, it is rate-limited, CSRF-protected, switchable per
product type, deletable at once, and gone after the TTL. Renders run through ``jobs.tryon``
in-process here; ``test_tryon_worker.py`` sends them through a real worker."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from gan_imaging import jobs
from gan_imaging.core.testing.hostile import crafted
from gan_imaging.jobs import tryon
from gan_imaging.models import TryOn, TryOnStatus
from shop.catalog.models import Product
from tests.conftest import make_packshot

pytestmark = pytest.mark.django_db

PREFIX = "gan_imaging_tryon"


def phone_photo(width: int = 1200, height: int = 900) -> bytes:
    """A JPEG as a phone writes it: GPS, maker, serial number, a comment."""
    im = Image.new("RGB", (width, height), (180, 170, 150))
    im.paste((110, 80, 60), (0, height // 2, width, height))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8769] = {}
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.5)
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, quality=90, comment=b"owner jane@example.com")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _empty_prefix(media_root):
    """The media folder is shared by the session's tests: start each with no try-on files."""
    shutil.rmtree(Path(media_root) / PREFIX, ignore_errors=True)


@pytest.fixture
def product(settings) -> Product:
    p = Product(name="Brass lamp", price="9.00")
    p.image = SimpleUploadedFile("lamp.jpg", make_packshot(600, 450))
    p.save()
    return p


def upload_url(product: Product) -> str:
    ct = ContentType.objects.get_for_model(product)
    return reverse("gan_imaging:tryon_upload", args=[ct.pk, product.pk, "image"])


def upload(client: Client, product: Product, data: bytes | None = None, name: str = "me.jpg",
           **extra):
    return client.post(upload_url(product),
                       {"photo": SimpleUploadedFile(name, data or phone_photo())}, **extra)


def stored(media_root: Path) -> list[Path]:
    folder = Path(media_root) / PREFIX
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def render(client: Client, state: dict, **pose) -> dict:
    body = {"x": 0.5, "y": 0.9, "width": 0.3, "surface": "floor", "horizon": 0.5, **pose}
    response = client.post(state["render_url"], json.dumps(body),
                           content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()


def test_a_photo_is_stored_cleaned_under_its_own_prefix_and_owned_by_a_session_hash(
        client, product, media_root):
    original = phone_photo(2400, 1800)
    response = upload(client, product, original)
    assert response.status_code == 201, response.content
    state = response.json()
    row = TryOn.objects.get()
    assert row.photo.startswith(f"{PREFIX}/")
    assert (row.photo_width, row.photo_height) == (1600, 1200)
    data = (Path(media_root) / row.photo).read_bytes()
    for secret in (b"Exif", b"PhoneMaker", b"jane", b"GPS"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (1600, 1200) and not im.getexif() and "comment" not in im.info
    session_key = client.session.session_key
    assert session_key and session_key not in row.session_hash and len(row.session_hash) == 64
    # The owner fetches it through the signed link, never cached by shared caches.
    got = client.get(state["photo_url"])
    assert got.status_code == 200 and got.content == data
    assert got["Cache-Control"] == "private, no-store"


def test_another_session_can_fetch_nothing(client, product, media_root):
    state = upload(client, product).json()
    row = TryOn.objects.get()
    tryon.execute(render(client, state)["id"])
    state = client.get(state["status_url"]).json()
    assert state["status"] == "succeeded"
    assert client.get(state["result_url"]).status_code == 200
    other = Client()
    other.get("/")  # a session of its own
    for url in (state["photo_url"], state["result_url"], state["download_url"],
                state["status_url"]):
        assert other.get(url).status_code == 404
    assert other.post(state["render_url"], "{}", content_type="application/json"
                      ).status_code == 404
    assert other.post(state["delete_url"]).status_code == 404
    # Nor through the public media URL of the demo.
    assert other.get(f"/media/{row.photo}").status_code == 404
    assert other.get(f"/media/products/../{row.photo}").status_code == 404
    assert client.get(f"/media/{row.photo}").status_code == 404
    assert len(stored(media_root)) == 2  # still there for its owner


def test_links_are_signed_and_expire(client, product, settings):
    state = upload(client, product).json()
    url = state["photo_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get(forged).status_code == 404
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRYON_URL_MAX_AGE": 1}
    time.sleep(2.1)
    assert client.get(url).status_code == 404
    assert client.get(client.get(state["status_url"]).json()["photo_url"]).status_code == 200


def test_the_render_places_the_product_and_replaces_the_previous_result(client, product,
                                                                         media_root):
    state = upload(client, product).json()
    tryon.execute(render(client, state)["id"])
    first = client.get(state["status_url"]).json()
    with Image.open(io.BytesIO(client.get(first["result_url"]).content)) as im:
        assert im.size == (1200, 900) and im.format == "JPEG"
        result = im.convert("RGB")
    with Image.open(io.BytesIO(client.get(first["photo_url"]).content)) as im:
        photo = im.convert("RGB")
    # Where the lamp stands the result differs from the photo; far from it, it does not.
    diff = (abs(int(result.getpixel((600, 700))[0]) - int(photo.getpixel((600, 700))[0]))
            + abs(int(result.getpixel((600, 700))[2]) - int(photo.getpixel((600, 700))[2])))
    assert diff > 20
    assert max(abs(a - b) for a, b in zip(result.getpixel((50, 100)), photo.getpixel((50, 100)),
                                          strict=True)) <= 4
    download = client.get(first["download_url"])
    assert download["Content-Disposition"].startswith("attachment;")
    tryon.execute(render(client, first, x=0.3)["id"])
    assert len(stored(media_root)) == 2  # the photo and the newest result only


def test_the_shopper_deletes_at_once(client, product, media_root):
    state = upload(client, product).json()
    tryon.execute(render(client, state)["id"])
    state = client.get(state["status_url"]).json()
    assert len(stored(media_root)) == 2
    assert client.post(state["delete_url"]).json() == {"deleted": True}
    assert stored(media_root) == []
    for url in (state["photo_url"], state["result_url"], state["status_url"]):
        assert client.get(url).status_code == 404
    row = TryOn.objects.get()
    assert row.status == TryOnStatus.DELETED and not row.photo and not row.result


def test_nothing_remains_after_the_ttl(client, product, media_root):
    state = upload(client, product).json()
    tryon.execute(render(client, state)["id"])
    upload(client, product)
    # A file whose row never committed (a crash between storing and saving).
    orphan = Path(media_root) / PREFIX / "orphan.jpg"
    orphan.write_bytes(b"x")
    assert len(stored(media_root)) == 4
    first, last = (TryOn.objects.order_by(order).first().expires_at
                   for order in ("expires_at", "-expires_at"))
    born = (first - timedelta(seconds=3600)).timestamp()  # written with the first upload
    os.utime(orphan, (born, born))
    assert jobs.sweep(now=first - timedelta(seconds=1)).tryons_expired == 0
    assert len(stored(media_root)) == 4  # the orphan is younger than the TTL there
    result = jobs.sweep(now=last + timedelta(seconds=1))
    assert result.tryons_expired == 2
    assert TryOn.objects.count() == 0 and stored(media_root) == []
    assert client.get(state["photo_url"]).status_code == 404


@pytest.mark.parametrize("case", [c for c in crafted() if c.expect == "refuse"][:12],
                         ids=lambda c: c.name)
def test_hostile_files_are_refused_like_merchants_uploads(client, product, media_root, case):
    response = upload(client, product, case.data, case.filename)
    assert response.status_code == 400 and response.json()["error"]
    assert TryOn.objects.count() == 0 and stored(media_root) == []


def test_a_polyglot_trailer_does_not_survive(client, product, media_root):
    case = next(c for c in crafted() if c.name == "polyglot/png_html_trailer")
    response = upload(client, product, case.data, case.filename)
    if response.status_code == 201:
        assert b"<script>" not in (Path(media_root) / TryOn.objects.get().photo).read_bytes()
    else:
        assert response.status_code == 400


def test_the_upload_size_cap_applies(client, product, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "MAX_UPLOAD_BYTES": 10_000}
    response = upload(client, product, phone_photo(1600, 1200))
    assert response.status_code == 400 and TryOn.objects.count() == 0


def test_rate_limits_per_session_and_per_address(client, product, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "TRYON_RATE_LIMITS": {"session": [2, 3600], "ip": [3, 3600]}}
    assert upload(client, product).status_code == 201
    state = upload(client, product).json()
    client.post(state["delete_url"])  # deleting does not give the upload back
    refused = upload(client, product)
    assert refused.status_code == 429 and "wait" in refused.json()["error"]
    other = Client()
    assert upload(other, product).status_code == 201  # same address, third upload
    assert upload(other, product).status_code == 429
    assert upload(Client(), product, REMOTE_ADDR="10.0.0.9").status_code == 201


def test_posts_need_the_csrf_token(product):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(product.get_absolute_url())
    assert page.status_code == 200
    assert upload(strict, product).status_code == 403
    token = page.cookies["csrftoken"].value
    assert upload(strict, product, HTTP_X_CSRFTOKEN=token).status_code == 201


def test_the_feature_switches_off_per_product_type(client, product, settings):
    page = client.get(product.get_absolute_url()).content.decode()
    assert 'class="gan-tryon"' in page and 'capture="environment"' in page
    assert 'accept="image/*"' in page
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRYON_DISABLED_FOR": ["catalog.product"]}
    assert 'class="gan-tryon"' not in client.get(product.get_absolute_url()).content.decode()
    assert upload(client, product).status_code == 404 and TryOn.objects.count() == 0


def test_a_bad_pose_is_refused_with_a_reason(client, product):
    state = upload(client, product).json()
    response = client.post(state["render_url"], json.dumps({"x": 0.5, "y": 0.5, "width": 9}),
                           content_type="application/json")
    assert response.status_code == 400 and "150 %" in response.json()["error"]
    assert TryOn.objects.get().status == TryOnStatus.PHOTO


def test_try_ons_are_not_in_the_admin(admin_client, client, product):
    upload(client, product)
    assert "try-on" not in admin_client.get("/admin/").content.decode().lower()
    assert admin_client.get("/admin/gan_imaging/tryon/").status_code == 404


def test_bad_settings_are_system_check_errors(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRYON_TTL": 0,
                            "TRYON_RATE_LIMITS": {"session": 5},
                            "TRYON_DISABLED_FOR": ["product"], "TRYON_STORAGE": "nope"}
    found = [e for e in checks.run_checks() if e.id == "gan_imaging.E020"]
    names = " ".join(e.msg for e in found)
    for name in ("TRYON_TTL", "TRYON_RATE_LIMITS", "TRYON_DISABLED_FOR", "TRYON_STORAGE"):
        assert name in names


def test_the_switch_reads_the_objects_product_type(product, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "TRYON_DISABLED_FOR": ["catalog.product:poster"]}
    assert tryon.allowed(product)
    product.gan_product_type = "poster"
    assert not tryon.allowed(product)
    product.gan_product_type = lambda: "lamp"
    assert tryon.allowed(product)
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRYON_ENABLED": False}
    assert not tryon.allowed(product)
