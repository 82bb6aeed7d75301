"""The job service run in-process: claim, outputs, idempotency, failures, sweeping."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gan_imaging import jobs
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


def make_product(data: bytes | None = None, name: str = "Lamp") -> Product:
    product = Product(name=name, price="5.00")
    product.image = SimpleUploadedFile("lamp.jpg", data or make_photo(1400, 700))
    product.save()
    return product


def stored_files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file()}


def test_execute_writes_every_rendition_with_true_sizes_and_formats(media_root):
    product = make_product()
    job = Job.objects.get()
    outcome = jobs.execute(job.pk, owner="w1")
    assert outcome.status == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress, job.lease_owner) == ("succeeded", 1, 1.0, "")
    assert job.duration_ms is not None and job.finished_at is not None
    rows = list(Rendition.objects.filter(state="current").exclude(kind="placeholder")
                .order_by("-width", "format"))
    fit = [(r.width, r.height, r.format) for r in rows if r.meta["aspect"] is None]
    assert fit == [
        (1280, 640, "jpeg"), (1280, 640, "webp"), (640, 320, "jpeg"), (640, 320, "webp"),
        (320, 160, "jpeg"), (320, 160, "webp"),
    ]
    square = [(r.width, r.height, r.format) for r in rows if r.meta["aspect"] == "1:1"]
    assert square == [(640, 640, "jpeg"), (640, 640, "webp"), (320, 320, "jpeg"),
                      (320, 320, "webp")]
    placeholder = Rendition.objects.get(kind="placeholder")
    assert placeholder.meta["data_uri"].startswith("data:image/webp;base64,")
    assert not placeholder.file and len(placeholder.meta["blurhash"]) >= 6
    for r in rows:
        assert 1 <= r.quality <= 100 and r.ssim >= 0.95
        path = Path(media_root) / r.file.name
        assert path.stat().st_size == r.bytes
        with Image.open(path) as im:
            assert im.size == (r.width, r.height)
            assert im.format == {"jpeg": "JPEG", "webp": "WEBP"}[r.format]
        assert r.source_hash == job.source_hash and r.model_version.startswith("thumbnails-")
        assert r.seed == 0 and r.job_id == job.pk
        assert r.file.name.startswith(f"gan_imaging/thumbnails/{job.source_hash[:2]}/")
    assert product.image.thumbnail(600, "webp").width == 640
    assert product.image.generation_status == "ready"


def test_running_a_job_twice_creates_nothing_new(media_root):
    make_product()
    job = Job.objects.get()
    jobs.execute(job.pk, owner="w1")
    files = stored_files(media_root)
    rows = list(Rendition.objects.values_list("pk", "file"))
    assert jobs.execute(job.pk, owner="w2").status == "skipped"
    # A forced regeneration of a deterministic kind re-runs and finds every output in place.
    product = Product.objects.get()
    (again,) = jobs.request(product, "image", force=True)
    assert jobs.execute(again.pk, owner="w3").status == "succeeded"
    assert sorted(Rendition.objects.values_list("pk", "file")) == sorted(rows)
    assert stored_files(media_root) == files


def test_a_missing_output_file_is_written_again_on_rerun(media_root):
    make_product()
    jobs.execute(Job.objects.get().pk, owner="w1")
    victim = Rendition.objects.filter(state="current").exclude(file="").first()
    count = Rendition.objects.count()
    (Path(media_root) / victim.file.name).unlink()
    (again,) = jobs.request(Product.objects.get(), "image", force=True)
    jobs.execute(again.pk, owner="w1")
    assert (Path(media_root) / victim.file.name).exists()
    assert Rendition.objects.count() == count


def test_claim_is_exclusive_while_the_lease_holds():
    make_product()
    job = Job.objects.get()
    assert jobs.claim(job.pk, "a") is not None
    assert jobs.claim(job.pk, "b") is None
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert jobs.claim(job.pk, "b").lease_owner == "b"


def test_a_corrupt_stored_source_fails_with_a_reason_and_is_not_retried(media_root):
    product = make_product()
    job = Job.objects.get()
    bad = make_photo(1400, 700)[:3000]
    path = Path(media_root) / product.image.name
    path.write_bytes(bad)
    Job.objects.filter(pk=job.pk).update(source_hash=jobs.content_hash(bad))
    outcome = jobs.execute(job.pk, owner="w1")
    job.refresh_from_db()
    assert outcome.status == "failed" and outcome.retry_in is None
    assert job.error_code == "corrupt_image" and "damaged" in job.error_message
    assert job.attempts == 1 and not Rendition.objects.exclude(kind="placeholder").exists()
    assert path.read_bytes() == bad  # the original upload is never touched


def test_a_storage_failure_is_retried_then_fails_after_the_attempts_cap(media_root):
    product = make_product()
    job = Job.objects.get()
    (Path(media_root) / product.image.name).unlink()
    first = jobs.execute(job.pk, owner="w1")
    assert first.status == "queued" and first.retry_in == 5.0
    job.refresh_from_db()
    assert job.error_code == "storage" and job.status == "queued"
    assert jobs.execute(job.pk, owner="w1").retry_in == 10.0
    final = jobs.execute(job.pk, owner="w1")
    job.refresh_from_db()
    assert final.status == "failed" and job.status == "failed" and job.attempts == 3
    assert "could not be read" in job.error_message


def test_a_replaced_photo_cancels_the_old_job(media_root):
    product = make_product()
    old = Job.objects.get()
    product.image = SimpleUploadedFile("new.jpg", make_photo(500, 500))
    product.save()
    assert jobs.execute(old.pk, owner="w1").status == "cancelled"
    old.refresh_from_db()
    assert old.error_code == "superseded"
    new = Job.objects.exclude(pk=old.pk).get()
    assert jobs.execute(new.pk, owner="w1").status == "succeeded"
    assert {r.width for r in product.image.renditions.exclude(kind="placeholder")} == {320}
    assert product.image.rendition_list()[0].source_hash == new.source_hash


def test_a_deleted_object_cancels_its_job():
    product = make_product()
    job = Job.objects.get()
    Product.objects.filter(pk=product.pk).delete()
    assert jobs.execute(job.pk, owner="w1").status == "cancelled"


def test_outputs_of_a_polyglot_upload_are_clean_reencodes(media_root):
    trailer = b"<html><script>alert(1)</script></html>"
    data = make_photo(700, 500, "PNG") + trailer
    make_product(data)
    jobs.execute(Job.objects.get().pk, owner="w1")
    for r in Rendition.objects.exclude(file=""):
        assert b"<script>" not in (Path(media_root) / r.file.name).read_bytes()


def test_sweep_recovers_expired_leases_and_fails_exhausted_jobs():
    make_product()
    make_product(name="Chair")
    a, b = Job.objects.order_by("created_at")
    past = timezone.now() - timedelta(seconds=5)
    Job.objects.filter(pk=a.pk).update(status="running", attempts=1, lease_expires_at=past)
    Job.objects.filter(pk=b.pk).update(status="running", attempts=3, lease_expires_at=past)
    result = jobs.sweep()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (result.recovered, result.failed) == (1, 1)
    assert a.status == "queued" and a.lease_owner == ""
    assert b.status == "failed" and b.error_code == "worker_lost"
    assert result.republished == 1  # the recovered one, straight away


def test_sweep_republishes_queued_jobs_whose_message_may_be_lost():
    make_product()
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert jobs.sweep().republished == 1
    job.refresh_from_db()
    assert job.publish_count == 1 and job.published_at is not None
    assert jobs.sweep().republished == 0  # recently published: left alone


def test_retry_puts_failed_jobs_back_with_fresh_attempts():
    make_product()
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status="failed", attempts=3, error_message="x")
    assert jobs.retry(Job.objects.all()) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_message) == ("queued", 0, "")


def test_request_skips_work_already_done_or_in_progress():
    product = make_product()
    assert jobs.request(product, "image") == []  # the upload's job is still queued
    jobs.execute(Job.objects.get().pk, owner="w")
    assert jobs.request(product, "image") == []  # and now it has succeeded
    assert len(jobs.request(product, "image", force=True)) == 1


def test_source_saved_from_storage_by_name_is_hashed_from_storage(media_root):
    product = make_product()
    data = make_photo(300, 300)
    name = product.image.storage.save("products/other.jpg", ContentFile(data))
    product.image = name
    product.save()
    newest = Job.objects.order_by("-created_at").first()
    assert newest.source_name == name and newest.source_hash == jobs.content_hash(data)


def test_rgba_png_source_keeps_alpha_in_webp(media_root):
    im = Image.new("RGBA", (400, 400), (255, 0, 0, 0))
    im.paste((0, 0, 255, 255), (100, 100, 300, 300))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    make_product(buf.getvalue())
    jobs.execute(Job.objects.get().pk, owner="w")
    (webp,) = [r for r in Rendition.objects.filter(format="webp", width=320, state="current")
               if r.meta["aspect"] is None]
    with Image.open(Path(media_root) / webp.file.name) as out:
        assert out.mode == "RGBA" and out.getpixel((5, 5))[3] == 0


def test_a_job_held_by_a_dead_process_of_this_host_is_taken_over_at_once():
    import socket
    import subprocess

    make_product()
    job = Job.objects.get()
    dead = subprocess.Popen(["true"])
    dead.wait()
    Job.objects.filter(pk=job.pk).update(
        status="running", attempts=1, lease_owner=f"{socket.gethostname()}:{dead.pid}",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    alive = f"{socket.gethostname()}:{os.getppid()}"
    other = Job.objects.filter(pk=job.pk)
    assert jobs.claim(job.pk, "w2") is not None  # dead owner: taken over
    other.update(status="running", lease_owner=alive,
                 lease_expires_at=timezone.now() + timedelta(minutes=5))
    assert jobs.claim(job.pk, "w3") is None  # live owner: left alone
