"""The whole path with real parts: admin multipart upload → Job rows → Redis → a real Celery
worker process → files in storage + Rendition rows → storefront markup."""

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from shop.celery import app
from tests.app.conftest import wait_for_jobs
from tests.conftest import make_photo

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def snapshot(media_root) -> dict[str, int]:
    root = Path(media_root) / "gan_imaging"
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def wait_for_log(worker, needle: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in worker.log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not in worker log:\n{worker.log.read_text()[-2000:]}")


def test_upload_through_admin_is_rendered_by_a_real_worker(celery_worker, admin_client,
                                                            media_root):
    data = make_photo(1600, 1200)
    response = admin_client.post(
        "/admin/catalog/product/add/",
        {"name": "Desk lamp", "slug": "desk-lamp", "price": "49.00", "description": "Bright.",
         "image": SimpleUploadedFile("lamp.jpg", data, content_type="image/jpeg")},
    )
    assert response.status_code == 302
    product = Product.objects.get()

    (job,) = wait_for_jobs(Job.objects.all())
    assert job.status == "succeeded", job.error_message
    assert job.attempts == 1 and job.publish_count == 1

    rows = list(Rendition.objects.filter(state="current").exclude(kind="placeholder")
                .order_by("-width", "format"))
    assert [(r.width, r.height, r.format) for r in rows if r.meta["aspect"] is None] == [
        (1280, 960, "jpeg"), (1280, 960, "webp"), (640, 480, "jpeg"), (640, 480, "webp"),
        (320, 240, "jpeg"), (320, 240, "webp"),
    ]
    assert sorted((r.width, r.format) for r in rows if r.meta["aspect"] == "1:1") == [
        (320, "jpeg"), (320, "webp"), (640, "jpeg"), (640, "webp")]
    for r in rows:
        path = Path(media_root) / r.file.name
        assert path.stat().st_size == r.bytes
        with Image.open(path) as im:
            assert (im.width, im.height, im.format) == (
                r.width, r.height, {"jpeg": "JPEG", "webp": "WEBP"}[r.format])

    # The admin shows them.
    page = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "gan-status-ready" in page and rows[0].file.url in page

    # Delivering the same job again is a no-op.
    before = snapshot(media_root)
    app.send_task("gan_imaging.run_job", args=[str(job.pk)], queue="gan_imaging.cpu")
    wait_for_log(celery_worker, "'skipped'")
    # Regenerating a deterministic kind re-runs and finds every output in place.
    admin_client.post("/admin/catalog/product/",
                      {"action": "gan_regenerate", "_selected_action": [product.pk]})
    jobs = wait_for_jobs(Job.objects.exclude(pk=job.pk))
    # The newer job's set is current; the superseded job leaves the job table.
    assert [j.status for j in jobs] == ["succeeded"]
    assert list(Job.objects.values_list("pk", flat=True)) == [jobs[0].pk]
    assert list(Rendition.objects.filter(state="current").exclude(kind="placeholder")
                .order_by("-width", "format")) == rows
    assert snapshot(media_root) == before

    # The storefront reads the rows.
    page = admin_client.get("/").content.decode()
    square = [r for r in rows if r.meta["aspect"] == "1:1"]  # the grid shows square crops
    assert "<picture>" in page and all(r.file.url in page for r in square)
    detail = admin_client.get(product.get_absolute_url()).content.decode()
    assert 'width="1280" height="960"' in detail


def test_publish_failure_never_fails_the_upload_and_the_sweeper_recovers(
    celery_worker, admin_client, redis_server
):
    from gan_imaging import jobs
    from tests.app.conftest import use_broker

    use_broker("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        response = admin_client.post(
            "/admin/catalog/product/add/",
            {"name": "Rug", "slug": "rug", "price": "80.00", "description": "",
             "image": SimpleUploadedFile("rug.jpg", make_photo(500, 400))},
        )
    finally:
        use_broker(redis_server.url)
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.status == "queued" and job.publish_count == 0
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2000))
    assert jobs.sweep().republished == 1
    (job,) = wait_for_jobs(Job.objects.all())
    assert job.status == "succeeded"
    # 320 px fit + square, 2 formats
    assert Rendition.objects.filter(job=job, state="current").count() == 4
