"""S3 through django-storages against a local S3-compatible server (moto in server mode,
started here on loopback; boto is not patched), with a real worker process."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging.models import Job, Rendition
from shop.settings import s3_storages
from tests.app.conftest import Worker, use_broker, wait_for_jobs
from tests.conftest import make_photo

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUCKET = "shop-media"
KEYS = {"access_key": "testing", "secret_key": "testing"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_worker(s3_endpoint, redis_server, settings, tmp_path):
    endpoint, client = s3_endpoint
    settings.STORAGES = {**settings.STORAGES,
                         **s3_storages(BUCKET, endpoint, "testing", "testing")}
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "STORAGE": "gan_imaging"}
    previous = use_broker(redis_server.url)
    worker = Worker(
        broker=redis_server.url,
        db_name=settings.DATABASES["default"]["NAME"],
        media=tmp_path / "unused-media",
        data=tmp_path,
        log=tmp_path / "worker.log",
        env={"GAN_SHOP_S3_BUCKET": BUCKET, "GAN_SHOP_S3_ENDPOINT": endpoint,
             "GAN_SHOP_S3_ACCESS_KEY": "testing", "GAN_SHOP_S3_SECRET_KEY": "testing"},
    )
    worker.start()
    yield worker, client
    worker.stop()
    use_broker(previous)


def test_uploads_and_renditions_live_in_s3_with_headers_and_pages_never_call_it(
    s3_worker, admin_client, monkeypatch, tmp_path
):
    worker, client = s3_worker
    response = admin_client.post(
        "/admin/catalog/product/add/",
        {"name": "Cloud mug", "slug": "cloud-mug", "price": "5.00", "description": "",
         "image": SimpleUploadedFile("mug.jpg", make_photo(900, 700), content_type="image/jpeg")},
    )
    assert response.status_code == 302
    (job,) = wait_for_jobs(Job.objects.all())
    assert job.status == "succeeded", job.error_message + worker.log.read_text()[-2000:]

    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert any(k.startswith("uploads/products/mug-") for k in keys)
    rows = list(Rendition.objects.exclude(file=""))
    assert rows
    for r in rows:
        assert r.file.name in keys
        head = client.head_object(Bucket=BUCKET, Key=r.file.name)
        assert head["ContentType"] == {"webp": "image/webp", "jpeg": "image/jpeg",
                                       "avif": "image/avif", "png": "image/png"}[r.format]
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentLength"] == r.bytes
        body = client.get_object(Bucket=BUCKET, Key=r.file.name)["Body"].read()
        assert Image.open(io.BytesIO(body)).size == (r.width, r.height)

    # Rendering pages asks S3 nothing: URLs come from rows.
    import botocore.client

    def no_calls(self, operation, params):
        raise AssertionError(f"a page called S3: {operation}")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", no_calls)
    page = admin_client.get("/").content.decode()
    detail = admin_client.get("/p/cloud-mug/").content.decode()
    shown = [r for r in rows if r.state == "current"]  # not the preview pass it replaced
    fit = [r for r in shown if r.meta["aspect"] is None]
    square = [r for r in shown if r.meta["aspect"] == "1:1"]
    assert "<picture>" in page and all(r.file.name in page for r in square)
    assert all(r.file.name in detail for r in fit)
