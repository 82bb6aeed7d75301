#!/usr/bin/env python
"""Load: uploads through the admin (Django test client, full middleware stack, real multipart)
with real Celery worker processes on a throwaway redis-server; reports what completed, what was
lost or duplicated, and upload-to-ready latency per output kind.

    python benchmarks/load.py [--uploads 200] [--workers 2] [--photos DIR]

Ends with ``RESULT uploads=… lost=… dup=… p50_s=… p95_s=… …``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PHOTOS = ROOT.parent / "shared" / "datasets" / "products"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def photos(folder: Path, n: int) -> list[tuple[str, bytes]]:
    files = sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    ) if folder.is_dir() else []
    if files:
        return [(f.name, f.read_bytes()) for f in (files * (n // len(files) + 1))[:n]]
    sys.path.insert(0, str(ROOT))
    from tests.conftest import make_photo  # synthetic fallback: distinct gradients

    return [(f"synthetic{i}.jpg", make_photo(1200 + i, 900)) for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    children: list[subprocess.Popen] = []
    try:
        run(children)
    finally:  # never leave a worker or redis-server behind, even on Ctrl-C
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()


def run(children: list[subprocess.Popen]) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uploads", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gan-load-"))
    port = free_port()
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
         "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    children.append(redis)
    env = {
        "GAN_SHOP_DATA_DIR": str(tmp),
        "GAN_SHOP_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "DJANGO_SETTINGS_MODULE": "shop.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from gan_imaging import jobs
    from gan_imaging.models import ACTIVE_STATUSES, Job, Rendition

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("load", password="load")
    client = Client()
    client.force_login(user)

    workers = []
    for i in range(args.workers):
        log = (tmp / f"worker{i}.log").open("wb")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "worker", "-c", "1", "-Q",
             "gan_imaging.cpu,gan_imaging.gpu", "--without-gossip", "--without-mingle",
             "-n", f"load{i}@%h", "-l", "WARNING"],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        ))
        children.append(workers[-1])
    time.sleep(3)

    batch = photos(args.photos, args.uploads)
    upload_s, refused = [], 0
    t0 = time.monotonic()
    for i, (name, data) in enumerate(batch):
        t = time.monotonic()
        response = client.post("/admin/catalog/product/add/", {
            "name": f"Load {i}", "slug": f"load-{i}", "price": "1.00", "description": "",
            "image": SimpleUploadedFile(name, data),
        })
        upload_s.append(time.monotonic() - t)
        refused += response.status_code != 302
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and Job.objects.filter(status__in=ACTIVE_STATUSES).exists():
        jobs.sweep()
        time.sleep(1.0)
    wall = time.monotonic() - t0

    all_jobs = list(Job.objects.all())
    lost = sum(
        j.status in ACTIVE_STATUSES
        or (j.status == "succeeded" and not Rendition.objects.filter(job=j).exists()
            and not Rendition.objects.filter(object_id=j.object_id, source_hash=j.source_hash)
            .exists())
        for j in all_jobs
    )
    # Duplicates: two rows for one output (same object, kind, spec key, source, version, seed)
    # or two rows naming one file. Placeholder rows carry their data inline (no file).
    files = list(Rendition.objects.exclude(file="").values_list("file", flat=True))
    keys = list(Rendition.objects.values_list("content_type", "object_id", "field_name", "kind",
                                              "spec_key", "source_hash", "model_version", "seed"))
    dup = (len(files) - len(set(files))) + (len(keys) - len(set(keys)))
    media = tmp / "media" / "gan_imaging"
    on_disk = {str(p.relative_to(tmp / "media")) for p in media.rglob("*") if p.is_file()}
    orphans = len(on_disk - set(files))
    print(f"uploads {len(batch)} (refused {refused}), workers {args.workers}, "
          f"wall {wall:.1f} s, upload p50 {percentile(upload_s, .5) * 1000:.0f} ms")
    print(f"{'kind':<12} {'jobs':>5} {'ok':>5} {'failed':>6} {'p50 s':>7} {'p95 s':>7} "
          f"{'max s':>7}")
    p50_all = p95_all = 0.0
    for kind in sorted({j.kind for j in all_jobs}):
        ks = [j for j in all_jobs if j.kind == kind]
        lat = [(j.finished_at - j.created_at).total_seconds() for j in ks if j.finished_at]
        p50_all, p95_all = percentile(lat, .5), percentile(lat, .95)
        print(f"{kind:<12} {len(ks):>5} {sum(j.status == 'succeeded' for j in ks):>5} "
              f"{sum(j.status == 'failed' for j in ks):>6} {p50_all:>7.2f} {p95_all:>7.2f} "
              f"{max(lat, default=float('nan')):>7.2f}")
    failed = sum(j.status == "failed" for j in all_jobs)
    reasons = sorted({j.error_code for j in all_jobs if j.status == "failed"})
    if reasons:
        print("failure codes:", ", ".join(reasons))
    print(f"mean job run time {statistics.mean([j.duration_ms or 0 for j in all_jobs]):.0f} ms; "
          f"renditions {len(files)}; orphan files {orphans}")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"RESULT uploads={len(batch)} lost={lost} dup={dup} p50_s={p50_all:.2f} "
          f"p95_s={p95_all:.2f} failed={failed} refused={refused} orphans={orphans} "
          f"wall_s={wall:.1f} workers={args.workers}")


if __name__ == "__main__":
    main()
