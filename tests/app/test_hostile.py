"""Hostile inputs on every path: ≥ 1,000 generated cases uploaded through the admin form and
fed to the job runner; a crafted subset through a real worker process. Nothing crashes,
nothing hangs, refusals carry a reason, and nothing refused is saved."""

from __future__ import annotations

import collections
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from gan_imaging import jobs
from gan_imaging.core.testing.hostile import generate
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.app.conftest import wait_for_jobs
from tests.conftest import make_photo

CASES = list(generate(seed=0, n_mutations=1000))
INPUT_CODES = {"invalid_image", "unsupported_format", "corrupt_image", "image_too_large"}


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 1000
    assert {c.expect for c in CASES} == {"refuse", "accept", "accept_or_refuse"}


@pytest.mark.django_db
def test_every_case_through_the_admin_form(admin_client, capsys):
    counts: collections.Counter[str] = collections.Counter()
    slowest = 0.0
    for i, case in enumerate(CASES):
        t = time.monotonic()
        response = admin_client.post(
            "/admin/catalog/product/add/",
            {"name": f"h{i}", "slug": f"h{i}", "price": "1.00", "description": "",
             "image": SimpleUploadedFile(case.filename, case.data)},
        )
        slowest = max(slowest, time.monotonic() - t)
        saved = Product.objects.filter(slug=f"h{i}").exists()
        if response.status_code == 302:
            assert saved and case.expect != "refuse", case.name
            counts["accepted"] += 1
        else:
            assert response.status_code == 200, (case.name, response.status_code)
            errors = response.context["adminform"].form.errors.get("image")
            assert errors and all(len(e) > 20 for e in errors), (case.name, errors)
            assert not saved and case.expect != "accept", case.name
            counts["refused"] += 1
    with capsys.disabled():
        print(f"\nadmin form: {len(CASES)} hostile cases, {counts['accepted']} accepted, "
              f"{counts['refused']} refused with a form error, slowest {slowest * 1000:.0f} ms")
    assert Job.objects.count() == counts["accepted"]


def products_pointing_at(cases, prefix: str) -> list[tuple[Product, object]]:
    """One product per case whose image is the raw hostile file, written behind the field's
    back (as code or an older release might have), with no jobs yet."""
    out = []
    for i, case in enumerate(cases):
        product = Product(name=f"{prefix}{i}", slug=f"{prefix}{i}", price="1.00")
        product.image = SimpleUploadedFile("ok.jpg", make_photo(32, 32))
        product.save()
        name = default_storage.save(f"hostile/{prefix}{i}/{case.filename or 'x.bin'}",
                                    ContentFile(case.data))
        Product.objects.filter(pk=product.pk).update(image=name)  # bypasses validation
        product.refresh_from_db()
        out.append((product, case))
    Job.objects.all().delete()
    return out


@pytest.mark.django_db
def test_every_case_fed_to_the_job_runner(media_root, capsys):
    """Files that skipped upload validation (written by code, or validated by an older
    release) still only ever end as succeeded or failed-with-reason."""
    counts: collections.Counter[str] = collections.Counter()
    for product, case in products_pointing_at(CASES, "h"):
        (job,) = jobs.request(product, "image", source_hash=jobs.content_hash(case.data))
        outcome = jobs.execute(job.pk, owner="w")
        job.refresh_from_db()
        assert outcome.status in ("succeeded", "failed"), (case.name, outcome)
        if job.status == "failed":
            assert job.error_code in INPUT_CODES and job.error_message, (case.name, job.error_code)
            assert case.expect != "accept", case.name
            assert not Rendition.objects.filter(job=job).exclude(kind="placeholder").exists()
        else:
            assert case.expect != "refuse", case.name
        counts[job.status] += 1
        counts[job.error_code] += bool(job.error_code)
    with capsys.disabled():
        print(f"\njob runner: {len(CASES)} hostile cases → {dict(counts)}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_crafted_cases_through_a_real_worker(celery_worker, media_root):
    crafted = [c for c in CASES if not c.name.startswith("fuzz/")]
    for product, case in products_pointing_at(crafted, "w"):
        jobs.request(product, "image", source_hash=jobs.content_hash(case.data))
    finished = wait_for_jobs(Job.objects.all(), timeout=120)
    assert len(finished) == len(crafted)
    for job in finished:
        assert job.status in ("succeeded", "failed")
        if job.status == "failed":
            assert job.error_code in INPUT_CODES, (job.error_code, job.error_message)
    assert celery_worker.proc.poll() is None  # the worker survived all of it
    from django.conf import settings

    budget_kib = settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
    for pid in subprocess.run(["pgrep", "-P", str(celery_worker.proc.pid)],
                              capture_output=True, text=True).stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        peak_kib = int(next(line.split()[1] for line in status.splitlines()
                            if line.startswith("VmHWM:")))
        assert peak_kib < budget_kib, (pid, peak_kib)
