"""Try it in your photo: 50 corpus cutouts placed into 20 synthesised room and lifestyle photos
with known planes, the harmoniser's gain on held-out composites, the time from "Render" to the
image shown for a 12 MP shopper photo, and a privacy audit (nothing readable by another
session, nothing left after the TTL).

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/tryon.py \\
        [--corpus ../shared/datasets/products] [--sheet docs/img/tryon_sheet.jpg]

Rooms (synthesised, known planes): a corpus lifestyle or background photo is the wall; a second
one, warped by a known homography, is the floor below a known horizon (floor cases), a table
top (a known quadrilateral) or a poster frame on the wall (wall cases); a known side light
(a brightness ramp from the left or the right) lights the room. Products: the corpus's
transparent cutouts (PNG alpha). Each of the 50 products goes into one room at a seeded pose
on that room's plane, with the plane given as the shopper would mark it.

* ``shadow_on_plane``: share of the shadow's darkening (photo minus result, outside the
  product, luma) inside the known plane, mean over placements (1.0 = all of it on the plane);
  ``shadow_present`` counts placements whose shadow darkens at least 30 px by 3 levels.
* ``scale_error``: |rendered solid width − intended| / intended, mean over placements (the
  intended width is the pose's box width times the cutout's solid share of its box).
* ``harmonise_gain_db``: the corpus's held-out one-product photos at 256 px, the product
  re-coloured and re-lit once (``harmonise_train.recolour``, fixed seed) and put back by the
  try-on's bounded harmonisation (``studio_scene.harmonise_product``); PSNR (whole image)
  against the real photo minus that of the plain paste (anchor: no harmonisation).
* ``tryon_s``: through the app (Django test client, a temporary SQLite database and media
  folder, a throwaway ``redis-server`` and a real Celery worker process with a solo pool, as
  ``rundemo`` runs the try-on worker; without redis-server the job runs in this process): a
  12 MP phone JPEG (4000x3000, EXIF with GPS) is uploaded, then timed from the "Render" POST
  through the worker's render job and status polls (every 0.05 s; the page polls every 0.4 s)
  to the result bytes fetched; median of 5 after the first (reported apart: a fresh worker).
  ``job_s``: the render job alone, in this process. ``upload_s``: the 12 MP upload (checks,
  reduced decode, clean re-encode), paid before "Render" is pressed.
* ``leaked``: photo, result, status and public-media URLs answering another session, plus
  rows and files under the try-on prefix after the sweeper ran past the TTL. Must be 0.

Ends with ``RESULT tryon_s=… shadow_on_plane=… scale_error=… harmonise_gain_db=… leaked=…``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from tryon_rooms import (  # noqa: E402  (benchmarks/, this folder)
    KINDS,
    N_PRODUCTS,
    N_ROOMS,
    H,
    W,
    corpus_rows,
    harmonisation_gain,
    load,
    make_room,
    measure_placement,
    pose_for,
)

from gan_imaging.core.vision.tryon import TryOnSpec  # noqa: E402

#: Rooms shown on the contact sheet: four of each kind.
SHEET_ROOMS = (0, 1, 2, 3, 8, 9, 10, 11, 14, 15, 16, 17)


def phone_jpeg(photo: Image.Image, seed: int) -> bytes:
    big = photo.resize((4000, 3000), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 4, (3000, 4000, 1)).astype(np.float32)
    big = Image.fromarray(np.clip(np.asarray(big, np.float32) + noise, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.5)
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def app_run(photos: list[bytes], product_png: bytes) -> dict[str, float]:
    """Timing and the privacy audit through the app, on a throwaway database and folder, with
    a real Redis and a real Celery worker process (the test suite's) when redis-server is
    installed."""
    import logging
    import shutil

    tmp = Path(tempfile.mkdtemp(prefix="tryon-bench-"))
    redis = None
    broker = "memory://"
    if shutil.which("redis-server"):
        from tests.app.conftest import RedisServer

        redis = RedisServer(tmp)
        redis.start()
        broker = redis.url
    os.environ.update({"DJANGO_SETTINGS_MODULE": "shop.settings", "GAN_SHOP_DATA_DIR": str(tmp),
                       "GAN_SHOP_BROKER_URL": broker,
                       # Nothing but try-ons for the worker: no thumbnails, renders, banners.
                       "GAN_SHOP_GAN_IMAGING": json.dumps({"ON_UPLOAD": []})})
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)
    try:
        return _app_run(tmp, redis, photos, product_png)
    finally:
        if redis is not None:
            redis.stop()


def _app_run(tmp: Path, redis, photos: list[bytes], product_png: bytes) -> dict[str, float]:
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from gan_imaging import jobs
    from gan_imaging.jobs import tryon
    from gan_imaging.models import TryOn
    from shop.catalog.models import Product

    setup_test_environment()
    call_command("migrate", verbosity=0)
    product = Product(name="Lamp", price="1.00")
    product.image = SimpleUploadedFile("lamp.png", product_png)
    product.save()
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    ct = ContentType.objects.get_for_model(product)
    url = reverse("gan_imaging:tryon_upload", args=[ct.pk, product.pk, "image"])
    worker = None
    if redis is not None:
        from django.conf import settings

        from tests.app.conftest import Worker

        worker = Worker(broker=redis.url, db_name=str(settings.DATABASES["default"]["NAME"]),
                        media=Path(settings.MEDIA_ROOT), data=tmp, log=tmp / "worker.log",
                        env={"GAN_SHOP_GAN_IMAGING": json.dumps({"ON_UPLOAD": []})},
                        pool="solo")  # as rundemo runs the try-on worker
        worker.start()
    owner, other = Client(), Client()
    other.get("/")
    uploads, renders, in_process, states = [], [], [], []
    body = {"x": 0.5, "y": 0.9, "width": 0.25, "surface": "floor", "horizon": 0.5}
    try:
        for i, data in enumerate(photos):
            t0 = time.perf_counter()
            r = owner.post(url, {"photo": SimpleUploadedFile("IMG_0001.jpg", data)})
            uploads.append(time.perf_counter() - t0)
            assert r.status_code == 201, r.content
            state = r.json()
            # The render job alone, in this process.
            t0 = time.perf_counter()
            # (queued by hand, not published: the worker must not take this one)
            TryOn.objects.filter(pk=state["id"]).update(
                status="queued", pose=TryOnSpec.from_dict(body).as_dict())
            assert tryon.execute(state["id"]) == "succeeded"
            in_process.append(time.perf_counter() - t0)
            # "Render" to the image shown: the page's POST, the worker, status polls, result.
            t0 = time.perf_counter()
            owner.post(state["render_url"], json.dumps(body), content_type="application/json")
            if worker is None:
                tryon.execute(state["id"])
            while (done := owner.get(state["status_url"]).json())["status"] in ("queued",
                                                                                 "running"):
                time.sleep(0.05)
            image = owner.get(done["result_url"]).content
            renders.append(time.perf_counter() - t0)
            assert done["status"] == "succeeded" and image[:2] == b"\xff\xd8", done
            states.append(done)
            print(f"  12 MP photo {i}: upload {uploads[-1]:.2f} s, render job "
                  f"{in_process[-1]:.2f} s, render→shown {renders[-1]:.2f} s "
                  f"({'worker' if worker else 'in process'})")
    finally:
        if worker is not None:
            worker.stop()
    readable = 0
    for s in states:
        row = TryOn.objects.get(pk=s["id"])
        for u in (s["photo_url"], s["result_url"], s["download_url"], s["status_url"],
                  f"/media/{row.photo}", f"/media/{row.result}"):
            readable += int(other.get(u).status_code == 200)
    later = max(TryOn.objects.values_list("expires_at", flat=True)) + timedelta(seconds=1)
    jobs.sweep(now=later)
    prefix = tmp / "media" / "gan_imaging_tryon"
    files = [p for p in prefix.rglob("*") if p.is_file()] if prefix.exists() else []
    left = len(files) + TryOn.objects.count()
    timed_r, timed_u = renders[1:], uploads[1:]  # the first warms the models up
    return {"tryon_s": statistics.median(timed_r), "tryon_max_s": max(timed_r),
            "job_s": statistics.median(in_process[1:]), "via": "worker" if worker else "process",
            "upload_s": statistics.median(timed_u), "readable": readable, "left": left,
            "leaked": readable + left}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/datasets/products")
    ap.add_argument("--sheet", type=Path, default=Path("/tmp/tryon_sheet.jpg"))
    ap.add_argument("--timed", type=int, default=6, help="12 MP renders (first is warm-up)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    if not (args.corpus / "manifest.csv").exists():
        print(f"no corpus at {args.corpus}; nothing to measure (skipped)")
        return
    from gan_imaging.core.gan.harmonise import get_model

    model = get_model()
    rows = corpus_rows(args.corpus)
    backdrops = sorted(r["file"] for r in rows if any(
        k in r["notes"] for k in ("lifestyle", "nature", "banner")) or r["source"] ==
        "mate-backgrounds")  # fmt: skip
    cuts: list[Image.Image] = []
    for r in sorted(rows, key=lambda r: r["file"]):
        if r["bg"] != "transparent" or len(cuts) == N_PRODUCTS:
            continue
        im = load(args.corpus, r["file"], (600, 600))
        if im.mode != "RGBA":
            continue
        im.thumbnail((600, 600))
        box = im.getchannel("A").point(lambda v: 255 if v >= 128 else 0).getbbox()
        if box is None:
            continue
        share = (box[2] - box[0]) * (box[3] - box[1]) / (im.width * im.height)
        if share > 0.02:
            cuts.append(im.crop(box))
    rng = np.random.default_rng(20)
    rooms = []
    for i in range(N_ROOMS):
        wall = load(args.corpus, backdrops[(2 * i) % len(backdrops)], (W, H))
        floor = load(args.corpus, backdrops[(2 * i + 7) % len(backdrops)], (800, 800))
        rooms.append(make_room(i, wall, floor, rng))
    print(f"{len(cuts)} cutouts, {len(rooms)} rooms ({', '.join(sorted(set(KINDS)))}), "
          f"{W}x{H} px")
    rows_out, sheet = [], []
    for j, cut in enumerate(cuts):
        photo, surface, side = rooms[j % N_ROOMS]
        spec = pose_for(surface, cut, rng)
        res, on_plane, present, scale_err, light_ok = measure_placement(photo, cut, spec, model,
                                                                        side)  # fmt: skip
        rows_out.append((surface.kind, on_plane, present, scale_err, light_ok))
        if j % N_ROOMS in SHEET_ROOMS and j < N_ROOMS:
            sheet.append(res.image)
    print(f"{'kind':6} {'n':>3} {'on_plane':>9} {'present':>8} {'scale_err':>10} {'light':>6}")
    for kind in ("floor", "table", "wall"):
        sel = [r for r in rows_out if r[0] == kind]
        print(f"{kind:6} {len(sel):3d} {np.nanmean([r[1] for r in sel]):9.3f} "
              f"{np.mean([r[2] for r in sel]):8.2f} {np.mean([r[3] for r in sel]):10.3f} "
              f"{np.mean([r[4] for r in sel]):6.2f}")
    on_plane = float(np.nanmean([r[1] for r in rows_out]))
    present = float(np.mean([r[2] for r in rows_out]))
    scale_error = float(np.mean([r[3] for r in rows_out]))
    scale_max = float(np.max([r[3] for r in rows_out]))
    light = float(np.mean([r[4] for r in rows_out]))
    print(f"all    {len(rows_out):3d} {on_plane:9.3f} {present:8.2f} {scale_error:10.3f} "
          f"{light:6.2f}   (scale_error max {scale_max:.3f})")

    h = harmonisation_gain(args.corpus, model)
    print(f"harmonisation, {h['n']} held-out composites at 256 px (PSNR dB, whole image): "
          f"plain paste {h['paste']:.2f}, bounded harmoniser {h['harmonised']:.2f}, "
          f"gain {h['gain']:+.2f}")

    tile = (400, 300)
    grid = Image.new("RGB", (tile[0] * 4, tile[1] * 3), (255, 255, 255))
    for k, im in enumerate(sheet):
        grid.paste(im.resize(tile, Image.Resampling.LANCZOS), ((k % 4) * tile[0],
                                                               (k // 4) * tile[1]))
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    grid.save(args.sheet, "JPEG", quality=78, optimize=True)
    print(f"contact sheet: {args.sheet} ({args.sheet.stat().st_size // 1024} KiB)")

    buf = io.BytesIO()
    cuts[0].save(buf, "PNG")
    photos = [phone_jpeg(rooms[k][0], k) for k in range(args.timed)]
    print(f"app: {len(photos)} 12 MP phone JPEGs ({len(photos[0]) // 1024} KiB each)")
    app = app_run(photos, buf.getvalue())
    print(f"render→shown median {app['tryon_s']:.2f} s (max {app['tryon_max_s']:.2f}, through "
          f"the {app['via']}), render job alone {app['job_s']:.2f} s, "
          f"12 MP upload median {app['upload_s']:.2f} s; readable by another session "
          f"{app['readable']}, left after the TTL {app['left']}")
    print(f"RESULT tryon_s={app['tryon_s']:.2f} shadow_on_plane={on_plane:.3f} "
          f"scale_error={scale_error:.3f} harmonise_gain_db={h['gain']:.2f} "
          f"leaked={app['leaked']}")


if __name__ == "__main__":
    main()
