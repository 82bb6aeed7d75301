"""Product renders benchmark: cutout quality, packshot compliance, seconds per render.

    python benchmarks/renders.py [--photos DIR] [--limit N] [--sheet var/bench/renders_sheet.png]

Cutout IoU. Ground truth comes from the corpus's transparent PNG cutouts (manifest
``bg=transparent``) composited at 800 px (long side; aspect 1:1, 4:5 or 3:2; product 45–90 %
of the frame) onto

* ``plain``: white, a light grey and one random colour per cutout;
* ``complex``: three real photos per cutout (manifest ``bg=complex``/``plain-color``).

Only the **eval** split is used (``synth.split_of``: SHA-256 of the file name, 1 in 5), both
for cutouts and for background photos; ``scripts/train_cutout.py`` trains on the rest, so no
cutout or background photo is shared. The matte (``cutout(method="auto")``) is thresholded at
0.5 and compared with alpha ≥ 0.5. Anchors in the same run: the classical border-colour model
alone (``method="plain"``) and the network alone (``method="network"``) on both sets.

Compliance: ``run()`` packshots (default spec: fill 0.85, no shadow) of the white-background
photos (``bg=white``) and the model shots (magento-luma ``bg=complex`` ``*_main``/``*_back``
photos: models on light studio backdrops); ``compliant`` is the share passing Amazon's
main-image rules, ``clean_ok`` the share of cleanly cut products (matte not touching the
photo edge) passing the white-background and fill rules (target 1.0).

Timing: seconds per packshot (``run()`` with outputs=packshot, from the decoded photo to JPEG
bytes + report) and per scene (one 1200 px 1:1 brick scene incl. its cutout), CPU, 1 thread.
Anchor: a Pillow-only "packshot" (Lanczos resize onto a white square + JPEG, no cutout).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.imaging.encode import encode  # noqa: E402
from gan_imaging.core.pipelines.base import Context  # noqa: E402
from gan_imaging.core.pipelines.renders import RenderSpec, decode_hint, run  # noqa: E402
from gan_imaging.core.vision import synth  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.segnet import get_model  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
THUMB = 150


def iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    a, t = alpha >= 128, truth >= 128
    return float((a & t).sum() / max(1, (a | t).sum()))


def composites(
    photos: Path, rows: list[dict[str, str]], limit: int
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Yield (set name, rgb, truth alpha) for the eval split."""
    rng = np.random.default_rng(2026)
    ev = [r for r in rows if synth.split_of(r["file"]) == "eval"]
    cuts = [c for c in (synth.load_cutout(photos / r["file"], 800) for r in ev
                        if r["bg"] == "transparent") if c is not None][:limit]  # fmt: skip
    bgs = [synth.load_background(photos / r["file"], 900) for r in ev
           if r["bg"] in ("complex", "plain-color")]  # fmt: skip
    sizes = [(800, 800), (640, 800), (800, 534)]
    for k, cut in enumerate(cuts):
        colours = [(255, 255, 255), (236, 236, 236), synth.random_colour(rng)]
        for colour in colours:
            size = sizes[int(rng.integers(3))]
            plain = synth.plain_background(colour, size)
            yield ("plain", *synth.composite(cut, plain, size, rng, fill=(0.45, 0.9)))
        for j in range(3):
            size = sizes[int(rng.integers(3))]
            bg = bgs[(3 * k + j) % len(bgs)]
            yield ("complex", *synth.composite(cut, bg, size, rng, fill=(0.45, 0.9)))


def thumb(im: Image.Image) -> Image.Image:
    im = im.convert("RGBA")
    im.thumbnail((THUMB, THUMB))
    out = Image.new("RGB", (THUMB, THUMB), (200, 200, 200))
    out.paste(im, ((THUMB - im.width) // 2, (THUMB - im.height) // 2), im)
    return out


def anchor_packshot(image: Image.Image) -> bytes:
    side = max(1000, max(image.size))
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    im = image.convert("RGB")
    scale = 0.85 * side / max(im.size)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    canvas.paste(im, ((side - im.width) // 2, (side - im.height) // 2))
    return encode(canvas, "jpeg", quality=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=1000, help="max cutouts and max photos per set")
    ap.add_argument("--sheet", type=Path, default=Path("var/bench/renders_sheet.png"))
    ap.add_argument("--model", type=Path, default=None, help="cutout weights (default: bundled)")
    ap.add_argument("--skip-packshots", action="store_true", help="cutout IoU only")
    args = ap.parse_args()
    if not (args.photos / "manifest.csv").exists():
        print(f"No corpus at {args.photos}; pass --photos DIR. Nothing measured.")
        print("RESULT skipped=1")
        return
    torch.set_num_threads(1)
    seg = get_model(args.model) if args.model else get_model()
    ctx_models = {"cutout": seg}
    print(f"cutout model {seg.model_version}")
    rows = list(csv.DictReader((args.photos / "manifest.csv").open(encoding="utf-8")))
    sheet_rows: list[list[Image.Image]] = []

    # --- cutout IoU ---------------------------------------------------------------------
    scores: dict[tuple[str, str], list[float]] = {}
    chosen: dict[str, dict[str, int]] = {"plain": {}, "complex": {}}
    for n, (name, rgb, truth) in enumerate(composites(args.photos, rows, args.limit)):
        im = Image.fromarray(rgb)
        for method in ("auto", "plain", "network"):
            m = cutout(im, method=method, model=seg)
            scores.setdefault((name, method), []).append(iou(np.asarray(m.alpha), truth))
            if method == "auto":
                chosen[name][m.method] = chosen[name].get(m.method, 0) + 1
                if n % 6 in (0, 3) and len(sheet_rows) < 8:
                    sheet_rows.append([thumb(im), thumb(Image.fromarray(truth)), thumb(m.alpha)])
    print(f"{'set':8} {'auto':>7} {'classical':>10} {'network':>8}  n   auto chose")
    for name in ("plain", "complex"):
        means = [statistics.mean(scores[(name, m)]) for m in ("auto", "plain", "network")]
        print(f"{name:8} {means[0]:7.4f} {means[1]:10.4f} {means[2]:8.4f} "
              f"{len(scores[(name, 'auto')]):3d}  {chosen[name]}")  # fmt: skip
    iou_plain = statistics.mean(scores[("plain", "auto")])
    iou_complex = statistics.mean(scores[("complex", "auto")])
    base_plain = statistics.mean(scores[("plain", "plain")])
    base_complex = statistics.mean(scores[("complex", "plain")])
    print(f"ratio auto/classical: plain {iou_plain / base_plain:.3f}, "
          f"complex {iou_complex / base_complex:.3f}")

    if args.skip_packshots:
        print(f"RESULT iou_plain={iou_plain:.4f} iou_complex={iou_complex:.4f}")
        return

    # --- packshots: compliance and time -------------------------------------------------
    white = [r for r in rows if r["bg"] == "white"][: args.limit]
    models = [r for r in rows if r["source"] == "magento-luma" and r["bg"] == "complex"
              and ("_main" in r["file"] or "_back" in r["file"])][: args.limit]  # fmt: skip
    spec = RenderSpec(outputs=("packshot",))
    results = {"white": [0, 0], "model": [0, 0]}
    clean = [0, 0]
    times, anchor_times = [], []
    failures: list[str] = []
    for group, items in (("white", white), ("model", models)):
        for r in items:
            data = (args.photos / r["file"]).read_bytes()
            with Image.open(io.BytesIO(data)) as probe:
                hint = decode_hint(spec, *probe.size)
            image, _info = decode(data, draft_to=hint)
            t = time.perf_counter()
            (shot,) = run(image, spec, Context(models=ctx_models))
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            anchor_packshot(image)
            anchor_times.append(time.perf_counter() - t)
            rep = shot.meta["compliance"]
            results[group][0] += rep["amazon_main"]["pass"]
            results[group][1] += 1
            if not shot.meta["touches_edge"]:
                rules = {x["rule"]: x["pass"] for x in rep["amazon_main"]["rules"]}
                ok = rules["white_background"] and rules["fill"]
                clean[0] += ok
                clean[1] += 1
                if not ok:
                    failures.append(f"{r['file']}: {rep['warnings']}")
            if len(sheet_rows) < 12 and results[group][1] <= 2:
                sheet_rows.append([thumb(image), thumb(Image.open(io.BytesIO(shot.data))),
                                   Image.new("RGB", (THUMB, THUMB), (200, 200, 200))])  # fmt: skip
    total = results["white"][1] + results["model"][1]
    compliant = (results["white"][0] + results["model"][0]) / max(1, total)
    clean_ok = clean[0] / max(1, clean[1])
    print(f"\npackshots: white {results['white'][0]}/{results['white'][1]}, model shots "
          f"{results['model'][0]}/{results['model'][1]} pass Amazon main; cleanly cut passing "
          f"white+fill {clean[0]}/{clean[1]}")  # fmt: skip
    for f in failures[:10]:
        print("  fail:", f)
    packshot_s = statistics.mean(times)
    anchor_s = statistics.mean(anchor_times)
    print(f"packshot {packshot_s:.3f} s (median {statistics.median(times):.3f}, max "
          f"{max(times):.3f}); Pillow-only anchor {anchor_s:.3f} s; ratio "
          f"{packshot_s / anchor_s:.1f}x")  # fmt: skip

    # --- scenes --------------------------------------------------------------------------
    scene_spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",), scene_styles=("brick",))
    cut_rows = [r for r in rows if r["bg"] == "transparent" and synth.split_of(r["file"]) == "eval"]
    scene_times = []
    for k, r in enumerate(cut_rows[: min(args.limit, 6)]):
        image, _info = decode((args.photos / r["file"]).read_bytes())
        t = time.perf_counter()
        (scene,) = run(image, scene_spec, Context(seed=k, models=ctx_models))
        scene_times.append(time.perf_counter() - t)
        if k < 4:
            sheet_rows.append([thumb(image), thumb(cutout(image, model=seg).alpha),
                               thumb(Image.open(io.BytesIO(scene.data)))])  # fmt: skip
    scene_s = statistics.mean(scene_times)
    print(f"scene {scene_s:.3f} s (1200x1200 brick, incl. cutout)")

    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet = Image.new("RGB", (3 * THUMB + 8, len(sheet_rows) * (THUMB + 4)), "white")
    for y, cells in enumerate(sheet_rows):
        for x, cell in enumerate(cells):
            sheet.paste(cell, (x * (THUMB + 4), y * (THUMB + 4)))
    sheet.save(args.sheet)
    print(f"contact sheet: {args.sheet} (input | truth or render | matte or scene)")
    print(f"RESULT iou_plain={iou_plain:.4f} iou_complex={iou_complex:.4f} "
          f"compliant={compliant:.3f} clean_ok={clean_ok:.3f} packshot_s={packshot_s:.3f} "
          f"scene_s={scene_s:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
