"""Fault injection against a real redis-server and real worker processes (issue: nothing lost).

Each case injects a fault, waits for recovery, then checks the invariants: every job ends
succeeded or failed-with-reason within a bound, no duplicate renditions, no orphan files, the
original upload intact. Timings are printed in the summary table, never asserted.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gan_imaging import jobs
from gan_imaging.models import GanModel, Job, JobStatus, Rendition
from shop.catalog.models import Product
from shop.celery import app
from tests.app.faults.conftest import (
    all_terminal,
    check_invariants,
    kill_group,
    pool_children,
    record,
    wait_until,
)
from tests.conftest import make_photo

pytestmark = [pytest.mark.integration, pytest.mark.faults,
              pytest.mark.django_db(transaction=True)]

PER_JOB = 10  # fit 1280/640/320 + 1:1 640/320 (900 px tall), × webp/jpeg, for 1400×900


def upload(client, n: int, seed: int = 0) -> dict[int, bytes]:
    """Upload ``n`` distinct photos through the admin; returns {product pk: original bytes}."""
    originals = {}
    for i in range(n):
        data = make_photo(1400 + seed * 10 + i, 900)
        response = client.post(
            "/admin/catalog/product/add/",
            {"name": f"Item {seed}-{i}", "slug": f"item-{seed}-{i}", "price": "1.00",
             "description": "",
             "image": SimpleUploadedFile(f"i{i}.jpg", data, content_type="image/jpeg")},
        )
        assert response.status_code == 302, response.content[:500]
        originals[Product.objects.get(slug=f"item-{seed}-{i}").pk] = data
    return originals


def running_job() -> Job | None:
    return Job.objects.filter(status=JobStatus.RUNNING).first()


def test_a_pool_child_killed_mid_task_repeatedly(make_worker, admin_client, fast_settings):
    worker = make_worker({"slow": 1.5})
    originals = upload(admin_client, 3)
    kills = 0
    t0 = time.monotonic()
    for _ in range(3):
        wait_until(running_job, timeout=30)
        (child,) = wait_until(lambda: pool_children(worker), timeout=10)
        os.kill(child, signal.SIGKILL)
        kills += 1
        time.sleep(0.3)
    wait_until(all_terminal, timeout=90, sweep=True)
    seconds = time.monotonic() - t0
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    assert facts["succeeded"] == 3
    assert max(Job.objects.values_list("attempts", flat=True)) >= 2
    record("(a) pool child SIGKILL mid-task ×3", kills, "redelivery + dead-owner takeover",
           seconds, facts)


def test_the_whole_worker_killed_then_a_new_worker(make_worker, admin_client, fast_settings):
    worker = make_worker({"slow": 2.0})
    originals = upload(admin_client, 2, seed=1)
    wait_until(running_job, timeout=30)
    kill_group(worker)
    t0 = time.monotonic()
    make_worker({}, name="replacement")
    wait_until(all_terminal, timeout=90, sweep=True)
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    assert facts["succeeded"] == 2
    record("(b) whole worker SIGKILL, second worker", 1, "lease expiry + sweeper",
           time.monotonic() - t0, facts)


def test_redis_down_while_merchants_upload(make_worker, admin_client, fast_settings, redis):
    redis.stop()
    t_up = time.monotonic()
    originals = upload(admin_client, 3, seed=2)
    upload_s = (time.monotonic() - t_up) / 3
    assert set(Job.objects.values_list("status", "publish_count")) == {("queued", 0)}
    redis.start()
    t0 = time.monotonic()
    make_worker({})
    wait_until(all_terminal, timeout=90, sweep=True)
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    assert facts["succeeded"] == 3
    record(f"(c) Redis down during 3 uploads ({upload_s:.1f} s/upload)", 1, "sweeper republish",
           time.monotonic() - t0, facts)


def test_redis_restarted_without_persistence_loses_queued_messages(
    make_worker, admin_client, fast_settings, redis
):
    originals = upload(admin_client, 3, seed=3)
    assert all(j.publish_count == 1 for j in Job.objects.all())
    redis.restart()  # the queued messages are gone
    t0 = time.monotonic()
    make_worker({})
    wait_until(all_terminal, timeout=90, sweep=True)
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    assert facts["succeeded"] == 3
    assert all(j.publish_count >= 2 for j in Job.objects.all())
    record("(d) Redis restart, no persistence, 3 queued", 1, "sweeper republish",
           time.monotonic() - t0, facts)


def test_storage_failing_transiently_then_recovering(make_worker, admin_client, fast_settings,
                                                     tmp_path):
    make_worker({"storage_fail": 2, "counter": str(tmp_path / "writes")})
    originals = upload(admin_client, 1, seed=4)
    t0 = time.monotonic()
    wait_until(all_terminal, timeout=90, sweep=True)
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    job = Job.objects.get()
    assert job.status == "succeeded" and job.attempts == 3
    record("(e1) storage write fails twice (ENOSPC)", 2, "task retry with backoff",
           time.monotonic() - t0, facts)


def test_storage_failing_permanently_fails_the_job_with_a_reason(
    make_worker, admin_client, fast_settings, tmp_path
):
    make_worker({"storage_fail": -1, "counter": str(tmp_path / "writes")})
    originals = upload(admin_client, 1, seed=5)
    t0 = time.monotonic()
    wait_until(all_terminal, timeout=90, sweep=True)
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    job = Job.objects.get()
    assert job.status == "failed" and job.error_code == "storage"
    assert job.attempts == job.max_attempts and "No space left" in job.error_message
    assert not Rendition.objects.exclude(kind="placeholder").exists()
    record("(e2) storage write fails permanently", job.attempts, "failed with reason",
           time.monotonic() - t0, facts)


def test_the_same_job_delivered_twice_at_once_runs_once(make_worker, admin_client,
                                                        fast_settings, tmp_path):
    runs = tmp_path / "runs"
    worker = make_worker({"slow": 1.5, "runs_log": str(runs)}, concurrency=2)
    originals = upload(admin_client, 1, seed=6)
    job = Job.objects.get()
    t0 = time.monotonic()
    for _ in range(2):
        app.send_task(jobs.TASK_NAME, args=[str(job.pk)], queue="gan_imaging.cpu")
    wait_until(all_terminal, timeout=60, sweep=False)
    time.sleep(2.0)  # let the duplicates arrive and be skipped
    facts = check_invariants(Path(fast_settings.MEDIA_ROOT), originals, PER_JOB)
    assert len(runs.read_text().split()) == 1  # three deliveries, one pipeline run
    assert worker.log.read_text().count("'skipped'") >= 2
    record("(g) same job delivered 3× at once", 2, "conditional claim", time.monotonic() - t0,
           facts)


TINY_TRAINING = {
    "steps": 2, "batch_size": 2, "crop": 32, "log_every": 1,
    "arch_kwargs": {"channels": 3, "z_dim": 4, "n_periodic": 2, "g_width": 4,
                    "g_max_width": 8, "n_up": 4, "d_width": 4},
}


def queue_training(settings) -> GanModel:
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRAINING": {"texture": TINY_TRAINING},
                            "DEVICE": "cpu"}
    product = Product(name="T", price="1.00")
    product.image = SimpleUploadedFile("t.jpg", make_photo(160, 120))
    product.save()
    Job.objects.all().delete()  # only the training job matters here
    return jobs.training.request_training([product], "image", name="faults")


def test_cuda_oom_in_training_is_retried(make_worker, fast_settings, tmp_path):
    make_worker({"oom": 2, "counter": str(tmp_path / "oom")})
    model = queue_training(fast_settings)
    t0 = time.monotonic()
    wait_until(all_terminal, timeout=120, sweep=True)
    job = Job.objects.get()
    model.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 3 and model.status == "ready"
    record("(f1) CUDA OOM twice in a training job", 2, "retry with backoff",
           time.monotonic() - t0, {"jobs": 1, "succeeded": 1, "failed": 0, "renditions": 0})


def test_cuda_oom_every_time_fails_with_a_clear_reason(make_worker, fast_settings, tmp_path):
    make_worker({"oom": -1, "counter": str(tmp_path / "oom")})
    model = queue_training(fast_settings)
    t0 = time.monotonic()
    wait_until(all_terminal, timeout=120, sweep=True)
    job = Job.objects.get()
    model.refresh_from_db()
    assert job.status == "failed" and job.error_code == "out_of_memory"
    assert "ran out of memory" in job.error_message and model.status == "failed"
    assert job.attempts == job.max_attempts
    record("(f2) CUDA OOM on every training attempt", job.attempts, "failed with reason",
           time.monotonic() - t0, {"jobs": 1, "succeeded": 0, "failed": 1, "renditions": 0})
