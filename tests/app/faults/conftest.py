"""Fault-injection harness: a restartable redis-server, workers with fault hooks, invariant
checks and a summary table printed at the end of the run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.app.conftest import RedisServer, Worker, use_broker

FAST = {
    "LEASE_SECONDS": 4,
    "REPUBLISH_AFTER": 3,
    "RETRY_BACKOFF": 0.5,
    "MAX_ATTEMPTS": 4,
}
REPORT: list[dict] = []


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    previous = use_broker(server.url)
    yield server
    server.stop()
    use_broker(previous)


@pytest.fixture
def fast_settings(settings, tmp_path):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, **FAST}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings


@pytest.fixture
def make_worker(redis, fast_settings, tmp_path):
    from django.conf import settings

    started: list[Worker] = []

    def start(faults: dict | None = None, concurrency: int = 1, name: str = "w") -> Worker:
        folder = tmp_path / f"{name}{len(started)}"
        folder.mkdir()
        worker = Worker(
            broker=redis.url,
            db_name=settings.DATABASES["default"]["NAME"],
            media=Path(settings.MEDIA_ROOT),
            data=folder,
            log=folder / "worker.log",
            app="tests.app.faults.worker_app",
            concurrency=concurrency,
            env={
                "GAN_FAULTS": json.dumps(faults or {}),
                "GAN_SHOP_GAN_IMAGING": json.dumps(FAST),
                "GAN_SHOP_VISIBILITY_TIMEOUT": "10",
            },
        )
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc and worker.proc.poll() is None:
            kill_group(worker)
        worker._fh.close()


def kill_group(worker: Worker) -> None:
    """SIGKILL the worker's main process and every pool child."""
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)


def pool_children(worker: Worker) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(worker.proc.pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def wait_until(predicate, timeout: float, step: float = 0.1, sweep: bool = False):
    """Poll ``predicate`` (running the sweeper each second when asked) until it is truthy."""
    from gan_imaging import jobs

    deadline = time.monotonic() + timeout
    last_sweep = 0.0
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if sweep and time.monotonic() - last_sweep >= 1.0:
            jobs.sweep()
            last_sweep = time.monotonic()
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


def all_terminal() -> bool:
    from gan_imaging.models import ACTIVE_STATUSES, Job

    return Job.objects.exists() and not Job.objects.filter(status__in=ACTIVE_STATUSES).exists()


def check_invariants(media_root: Path, originals: dict[int, bytes], per_job: int) -> dict:
    """I1 every job terminal, failures with a reason; I2 no duplicate renditions and exactly
    ``per_job`` current outputs per succeeded job (a superseded preview set may still be in its
    grace period); I3 no orphan files; I4 originals intact."""
    from gan_imaging.models import Job, Rendition
    from shop.catalog.models import Product

    jobs = list(Job.objects.all())
    assert all(j.status in ("succeeded", "failed", "cancelled") for j in jobs)
    assert all(j.error_message for j in jobs if j.status == "failed")
    assert all(j.attempts <= j.max_attempts for j in jobs)
    files = list(Rendition.objects.exclude(file="").values_list("file", flat=True))
    assert len(files) == len(set(files)), "two rows name the same file"
    for j in jobs:
        if j.status == "succeeded":
            n = Rendition.objects.filter(
                object_id=j.object_id, source_hash=j.source_hash, kind=j.kind, state="current"
            ).exclude(file="").count()
            assert n == per_job, (j.pk, n)
    out_root = media_root / "gan_imaging"
    on_disk = {str(p.relative_to(media_root)) for p in out_root.rglob("*") if p.is_file()} \
        if out_root.exists() else set()
    orphans, missing = on_disk - set(files), set(files) - on_disk
    assert not orphans and not missing, f"orphans: {orphans}, missing: {missing}"
    for pk, data in originals.items():
        product = Product.objects.get(pk=pk)
        stored = (media_root / product.image.name).read_bytes()
        assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    return {
        "jobs": len(jobs),
        "succeeded": sum(j.status == "succeeded" for j in jobs),
        "failed": sum(j.status == "failed" for j in jobs),
        "renditions": len(files),
    }


def record(case: str, injections: int, recovered: str, seconds: float, facts: dict) -> None:
    REPORT.append({"case": case, "injections": injections, "recovered": recovered,
                   "seconds": seconds, **facts})


def pytest_terminal_summary(terminalreporter):
    if not REPORT:
        return
    tr = terminalreporter
    tr.section("fault injection")
    tr.write_line(f"{'case':<44} {'inj':>4} {'jobs':>5} {'ok':>4} {'fail':>5} "
                  f"{'rend':>5} {'recovery s':>10}  recovered by")
    for r in REPORT:
        tr.write_line(f"{r['case']:<44} {r['injections']:>4} {r['jobs']:>5} {r['succeeded']:>4} "
                      f"{r['failed']:>5} {r['renditions']:>5} {r['seconds']:>10.1f}  "
                      f"{r['recovered']}")
