"""Time to the first thumbnail: from the admin save to the first thumbnail a page can show.

    python benchmarks/latency.py [--photos DIR] [--uploads 20] [--mp 12] [--layout demo]

Starts the demo as ``make demo`` does (``manage.py rundemo``: ``runserver`` plus its workers on
the embedded filesystem broker, SQLite, local files) in a temporary data folder with the
demo's settings — every upload also queues renders and banners — logs in to the admin over
HTTP and posts ``--uploads`` product forms one after another, each with a ``--mp`` megapixel
JPEG (a corpus photo enlarged to 4:3 at that size, quality 90, fine noise added so it encodes
like a camera photo). For each upload:

* ``post_s``: the form post, from sending to the admin's redirect;
* ``first_preview_s``: from sending the post to the first ``current`` thumbnail row of the
  product (what ``{% picture %}`` serves), polled every 50 ms from this process;
* ``all_thumbs_s``: to the thumbnails job's ``finished_at`` (the full per-image-quality set).

Anchor in the same run (``--layout both``, the default): the previous demo layout, one worker
consuming both queues with two prefork children and kombu's default 1 s broker polling
(``--layout single``), so the ratio shows what the separate CPU queue and fast polling buy.
Ends with one line ``RESULT first_preview_s_p50=… first_preview_s_p95=… all_thumbs_s_p50=…
uploads=…``. Needs the shared corpus (or any folder of photos); CPU only. With
``LATENCY_KEEP_LOG=FILE`` the demo's log (web requests, each task's duration and outcome) is
copied there, to see where the time went.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_PHOTOS = ROOT.parent / "shared" / "datasets" / "products"
PY = sys.executable


def big_photos(folder: Path, n: int, megapixels: float) -> list[bytes]:
    """``n`` JPEGs of about ``megapixels`` MP (4:3), quality 90, from the folder's photos."""
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")
                   and p.stat().st_size > 50_000)
    if not files:
        sys.exit(f"no JPEG photos under {folder}")
    rng = np.random.default_rng(0)
    w = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    h = int(round(w * 3 / 4))
    out = []
    for path in [files[i * len(files) // n] for i in range(n)]:
        with Image.open(path) as im:
            big = im.convert("RGB").resize((w, h), Image.Resampling.LANCZOS)
        arr = np.asarray(big, np.int16) + rng.normal(0, 2.0, (h, w, 1)).astype(np.int16)
        buf = io.BytesIO()
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """The demo's processes on a temporary data folder. ``layout``: ``"demo"`` (what rundemo
    starts) or ``"single"`` (one worker on both queues, 2 children, 1 s polling: the anchor)."""

    def __init__(self, data: Path, layout: str):
        self.data, self.layout, self.port = data, layout, free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GAN_SHOP_")}
        self.env.update(GAN_SHOP_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="shop.settings",
                        PYTHONUNBUFFERED="1", DJANGO_SUPERUSER_PASSWORD="bench-pass")
        self.procs: list[subprocess.Popen] = []
        self.log = (data / "demo.log").open("wb")

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("createsuperuser", "--noinput", "--username", "bench",
                    "--email", "b@example.com")
        if self.layout == "demo":
            self.procs.append(subprocess.Popen(
                [PY, "manage.py", "rundemo", "--port", str(self.port)], cwd=ROOT, env=self.env,
                stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True))
            ready = 2
        else:
            env = dict(self.env)
            # The previous layout also polled at kombu's default interval.
            env["GAN_SHOP_BROKER_POLLING"] = "1.0"
            self.procs.append(subprocess.Popen(
                [PY, "-m", "celery", "-A", "shop", "worker", "-Q",
                 "gan_imaging.cpu,gan_imaging.gpu", "--concurrency", "2", "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                start_new_session=True))
            self.procs.append(subprocess.Popen(
                [PY, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                start_new_session=True))
            ready = 1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = (self.data / "demo.log").read_text(errors="replace")
            try:
                up = requests.get(f"{self.url}/admin/login/", timeout=2).status_code == 200
            except requests.RequestException:
                up = False
            if up and text.count(" ready.") >= ready:
                return
            time.sleep(0.5)
        raise RuntimeError("the demo did not start:\n" + text[-3000:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT if self.layout == "demo" else signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.log.close()


def login(url: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{url}/admin/login/")
    r = s.post(f"{url}/admin/login/", data={
        "username": "bench", "password": "bench-pass", "next": "/admin/",
        "csrfmiddlewaretoken": s.cookies["csrftoken"]}, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login failed: {r.status_code}")
    return s


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the admin's add form (CSRF token, inline management forms)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
    return fields


def watch(env: dict[str, str], started: dict[int, float], stop: threading.Event,
          seen: dict[int, float]) -> None:
    """Poll the demo's database (a second process's SQLite in WAL mode) every 50 ms."""
    os.environ.update({k: env[k] for k in ("GAN_SHOP_DATA_DIR", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    from gan_imaging.models import Rendition

    while not stop.is_set():
        pending = [pk for pk in list(started) if pk not in seen]
        if pending:
            rows = Rendition.objects.filter(kind="thumbnails", state="current",
                                            object_id__in=[str(pk) for pk in pending])
            now = time.time()
            for pk in set(rows.values_list("object_id", flat=True)):
                seen.setdefault(int(pk), now)
        time.sleep(0.05)


def run_layout(photos: list[bytes], layout: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gan-latency-") as tmp:
        demo = Demo(Path(tmp), layout)
        demo.start()
        started: dict[int, float] = {}
        seen: dict[int, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(demo.env, started, stop, seen),
                                   daemon=True)
        posts = []
        try:
            s = login(demo.url)
            watcher.start()
            for i, data in enumerate(photos):
                page = s.get(f"{demo.url}/admin/catalog/product/add/")
                form = hidden_fields(page.text)  # the CSRF token, the banner copy inline's
                form.update(name=f"Latency product {i}", price="10.00", description="",
                            _continue="1")
                t0 = time.time()
                r = s.post(f"{demo.url}/admin/catalog/product/add/", data=form,
                           files={"image": (f"photo-{i}.jpg", data, "image/jpeg")},
                           allow_redirects=False)
                posts.append(time.time() - t0)
                m = re.search(r"/product/(\d+)/change/", r.headers.get("Location", ""))
                if r.status_code != 302 or not m:
                    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', r.text, re.S)
                    raise RuntimeError(f"upload {i} failed: {r.status_code} {errors}")
                started[int(m.group(1))] = t0
            deadline = time.time() + 900
            while len(seen) < len(started) and time.time() < deadline:
                if not watcher.is_alive():
                    raise RuntimeError("the database watcher stopped")
                time.sleep(0.2)
            finished = _all_thumbs(demo, started, deadline)
        finally:
            stop.set()
            demo.stop()
            if os.environ.get("LATENCY_KEEP_LOG"):
                log = (Path(tmp) / "demo.log").read_bytes()
                Path(os.environ["LATENCY_KEEP_LOG"]).write_bytes(log)
    first = [seen[pk] - t0 for pk, t0 in started.items() if pk in seen]
    full = [finished[pk] - t0 for pk, t0 in started.items() if pk in finished]
    return {"uploads": len(started), "previewed": len(first), "post_s_p50": _p(posts, 50),
            "first_preview_s_p50": _p(first, 50), "first_preview_s_p95": _p(first, 95),
            "all_thumbs_s_p50": _p(full, 50), "all_thumbs_s_p95": _p(full, 95)}


def _all_thumbs(demo: Demo, started: dict[int, float], deadline: float) -> dict[int, float]:
    from gan_imaging.models import Job

    while time.time() < deadline:
        jobs = Job.objects.filter(kind="thumbnails", object_id__in=[str(k) for k in started])
        done = {int(j.object_id): j.finished_at.timestamp() for j in jobs
                if j.status == "succeeded" and j.finished_at}
        if len(done) >= len(started):
            return done
        time.sleep(0.5)
    return done


def _p(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(pct / 100 * (len(values) - 1)))))
    return round(values[k], 2) if pct != 50 else round(statistics.median(values), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--mp", type=float, default=12.0)
    ap.add_argument("--layout", choices=["demo", "single", "both"], default="both")
    ap.add_argument("--json", action="store_true", help="one layout; print its figures as JSON")
    args = ap.parse_args()
    if not args.photos.exists():
        sys.exit(f"no photos at {args.photos}; pass --photos DIR")
    if args.layout != "both":
        photos = big_photos(args.photos, args.uploads, args.mp)
        result = run_layout(photos, args.layout)
        if args.json:
            print("JSON " + json.dumps(result))
            return
        results = {args.layout: result}
    else:
        # Each layout in its own process: Django settings (the database) are per process.
        results = {}
        for layout in ("demo", "single"):
            out = subprocess.run([PY, __file__, "--photos", str(args.photos), "--uploads",
                                  str(args.uploads), "--mp", str(args.mp), "--layout", layout,
                                  "--json"], capture_output=True, text=True, check=True).stdout
            results[layout] = json.loads(out.split("JSON ", 1)[1])
    print(f"{args.uploads} uploads of {args.mp} MP photos; load average {os.getloadavg()}")
    keys = ["uploads", "previewed", "post_s_p50", "first_preview_s_p50", "first_preview_s_p95",
            "all_thumbs_s_p50", "all_thumbs_s_p95"]
    print(f"{'layout':8}" + "".join(f"{k:>21}" for k in keys))
    for layout, r in results.items():
        print(f"{layout:8}" + "".join(f"{r[k]:>21}" for k in keys))
    ours = results.get("demo") or next(iter(results.values()))
    extra = ""
    if "single" in results and "demo" in results:
        ratio = ours["first_preview_s_p50"] / results["single"]["first_preview_s_p50"]
        extra = f" first_preview_vs_single={ratio:.3f}"
    print(f"RESULT first_preview_s_p50={ours['first_preview_s_p50']} "
          f"first_preview_s_p95={ours['first_preview_s_p95']} "
          f"all_thumbs_s_p50={ours['all_thumbs_s_p50']} uploads={ours['uploads']}{extra}")


if __name__ == "__main__":
    main()
