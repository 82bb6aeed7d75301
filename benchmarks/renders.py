"""Product renders benchmark (issue 18): cutout, integrity, edges, salient finding, scenes.

    python benchmarks/renders.py [--photos DIR] [--limit N] [--sections cutout,packshots,...]
                                 [--edge-limit N] [--per-category 30] [--publish-sheet FILE]
                                 [--cutout-split eval|train]

Ends with ``RESULT iou_plain=… iou_complex=… iou_hard=… hole_recall=…
integrity_false_pass=… integrity_false_alarm=… edge_anchor_ok=… render_success=…
harmonise_gain=… packshot_s=… scene_s=…`` (then ``compliant``, ``clean_ok``); ``--sections``
runs a subset (the line then holds only its keys). About 40 min on two cores for all.

Cutout (``cutout``, ``benchmarks/cutout_eval.py``): IoU on the eval split's ``plain`` and
``complex`` composites and on the hard set (light-on-white, grey-on-white, flat cards, glass,
thin parts, holes; ``iou_hard`` and one figure per category), and ``hole_recall`` (share of
enclosed background removed). Anchors in the same run: the classical colour model alone and
the network alone. A contact sheet of hard cases goes to ``--hard-sheet``.

Packshots (``packshots``): ``run()`` packshots (default spec: fill 0.85, no shadow) of the
white-background photos (``bg=white``) and the model shots (magento-luma ``bg=complex``
``*_main``/``*_back`` photos: models on light studio backdrops); ``compliant`` is the share
passing Amazon's main-image rules, ``clean_ok`` the share of cleanly cut products (matte not
touching the photo edge) passing the white-background and fill rules. Seconds per packshot
(from the decoded photo to JPEG bytes + report) against a Pillow-only "packshot" (Lanczos
resize onto a white square + JPEG, no cutout); seconds per 1200 px studio scene
(``marble-table``, eye height, incl. its cutout; CPU, 1 thread); ``harmonise_gain``, the
harmoniser against no harmonisation on held-out composites (``harmonise_train.evaluate``).
Also the publishable-output sheet (24 photos across sources: packshot and two studio scenes
each, :mod:`publishable_sheet`) to ``--publish-sheet``.

``integrity``, ``success``, ``edges``: ``render_integrity.measure`` (false passes on damaged
cutouts, false alarms on good ones), ``render_success.measure`` (one-product photos that get
a product) and ``render_edges.measure`` (products cut by the frame meet the output's frame),
as their own scripts run them.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cutout_eval  # noqa: E402  (benchmarks/, the script's own folder)
import publishable_sheet  # noqa: E402
import render_edges  # noqa: E402
import render_integrity  # noqa: E402
import render_success  # noqa: E402

from gan_imaging.core.gan.harmonise import get_model as get_harmoniser  # noqa: E402
from gan_imaging.core.gan.harmonise_train import evaluate, load_corpus  # noqa: E402
from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.imaging.encode import encode  # noqa: E402
from gan_imaging.core.pipelines.base import Context  # noqa: E402
from gan_imaging.core.pipelines.renders import RenderSpec, decode_hint, run  # noqa: E402
from gan_imaging.core.vision import synth  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.segnet import get_model  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
THUMB = 150


thumb = cutout_eval.thumb


def anchor_packshot(image: Image.Image) -> bytes:
    side = max(1000, max(image.size))
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    im = image.convert("RGB")
    scale = 0.85 * side / max(im.size)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    canvas.paste(im, ((side - im.width) // 2, (side - im.height) // 2))
    return encode(canvas, "jpeg", quality=90)


def packshots(
    args: argparse.Namespace, rows: list[dict[str, str]], ctx_models: dict[str, Any],
    sheet_rows: list[list[Image.Image]],
) -> dict[str, float]:  # fmt: skip
    """Amazon main-image compliance and seconds per packshot (see the module doc)."""
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
    return {"compliant": compliant, "clean_ok": clean_ok, "packshot_s": packshot_s}


def scenes(
    args: argparse.Namespace, rows: list[dict[str, str]], ctx_models: dict[str, Any],
    sheet_rows: list[list[Image.Image]],
) -> dict[str, float]:  # fmt: skip
    """Seconds per 1200 px studio scene (``marble-table``, eye height), including its cutout;
    the harmoniser's gain over no harmonisation on held-out composites (dB PSNR)."""
    seg = ctx_models["cutout"]
    images, mattes, _names = load_corpus(args.photos, held_out=True, size=256)
    gain = evaluate(get_harmoniser(), images, mattes)["gain"]
    print(f"harmoniser: {gain:+.2f} dB PSNR over no harmonisation, {len(images)} composites")
    scene_spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",),
                            scene_styles=("marble-table",), scene_cameras=("eye",))
    cut_rows = [r for r in rows if r["bg"] == "transparent" and synth.split_of(r["file"]) == "eval"]
    scene_times = []
    for k, r in enumerate(cut_rows[: min(args.limit, 6) + 1]):
        image, _info = decode((args.photos / r["file"]).read_bytes())
        if k == 0:  # warm-up: loads the material GANs and the harmoniser
            run(image, scene_spec, Context(seed=k, models=ctx_models))
            continue
        t = time.perf_counter()
        (scene,) = run(image, scene_spec, Context(seed=k, models=ctx_models))
        scene_times.append(time.perf_counter() - t)
        if k < 4:
            sheet_rows.append([thumb(image), thumb(cutout(image, model=seg).alpha),
                               thumb(Image.open(io.BytesIO(scene.data)))])  # fmt: skip
    scene_s = statistics.mean(scene_times)
    print(f"scene {scene_s:.3f} s (1200x1200 marble-table, incl. cutout)")
    return {"harmonise_gain": gain, "scene_s": scene_s}


def others(args: argparse.Namespace) -> dict[str, float]:
    """The figures of the other renders benchmarks, run here so one line has them all:
    ``render_integrity`` (damaged and good cutouts), ``render_success`` (one-product photos),
    ``render_edges`` (products cut by the frame; ``--edge-limit`` photos)."""
    out: dict[str, float] = {}
    if "integrity" in args.sections:
        res = render_integrity.measure(args.photos, limit=args.limit)
        out |= {k: res[k] for k in ("integrity_false_pass", "integrity_false_alarm")}
        print(f"integrity: false pass {res['integrity_false_pass']:.4f}, false alarm "
              f"{res['integrity_false_alarm']:.4f}")  # fmt: skip
    if "success" in args.sections:
        out["render_success"] = render_success.measure(args.photos, limit=args.limit)[
            "render_success"]
        print(f"render_success {out['render_success']:.3f}")
    if "edges" in args.sections:
        res = render_edges.measure(args.photos, limit=args.edge_limit)
        out["edge_anchor_ok"] = res["edge_anchor_ok"]
        print(f"edge_anchor_ok {res['edge_anchor_ok']:.4f} over {res['outputs']} outputs of "
              f"{res['cases']} photos")  # fmt: skip
    return out


#: The RESULT line's keys in the issue's order (then any others).
ORDER = ("iou_plain", "iou_complex", "iou_hard", "hole_recall", "integrity_false_pass",
         "integrity_false_alarm", "edge_anchor_ok", "render_success", "harmonise_gain",
         "packshot_s", "scene_s")
SECTIONS = ("cutout", "packshots", "integrity", "success", "edges")


def write_sheet(path: Path, sheet_rows: list[list[Image.Image]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = Image.new("RGB", (3 * THUMB + 8, len(sheet_rows) * (THUMB + 4)), "white")
    for y, cells in enumerate(sheet_rows):
        for x, cell in enumerate(cells):
            sheet.paste(cell, (x * (THUMB + 4), y * (THUMB + 4)))
    sheet.save(path)
    print(f"contact sheet: {path} (input | render | matte or scene)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=1000, help="max cutouts and max photos per set")
    ap.add_argument("--sheet", type=Path, default=Path("var/bench/renders_sheet.png"))
    ap.add_argument("--hard-sheet", type=Path, default=Path("var/bench/cutout_hard_sheet.png"))
    ap.add_argument("--publish-sheet", type=Path, default=Path("var/bench/publishable.jpg"),
                    help="24 photos across sources: input | packshot | 2 studio scenes")
    ap.add_argument("--per-category", type=int, default=30, help="hard-set composites each")
    ap.add_argument("--cutout-split", choices=("eval", "train"), default="eval",
                    help="corpus split of the cutout section (train: to set thresholds)")
    ap.add_argument("--model", type=Path, default=None, help="cutout weights (default: bundled)")
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help=f"comma-separated subset of {','.join(SECTIONS)} (default: all; "
                         "packshots includes scenes and the sheets)")
    ap.add_argument("--edge-limit", type=int, default=None, help="render_edges photos")
    args = ap.parse_args()
    args.sections = set(args.sections.split(","))
    if not (args.photos / "manifest.csv").exists():
        print(f"No corpus at {args.photos}; pass --photos DIR. Nothing measured.")
        print("RESULT skipped=1")
        return
    torch.set_num_threads(1)
    seg = get_model(args.model) if args.model else get_model()
    ctx_models: dict[str, Any] = {"cutout": seg}
    print(f"cutout model {seg.model_version}")
    rows = list(csv.DictReader((args.photos / "manifest.csv").open(encoding="utf-8")))
    sheet_rows: list[list[Image.Image]] = []
    results: dict[str, float] = {}

    # Each section prints its own table and returns its RESULT figures.
    if "cutout" in args.sections:
        results |= cutout_eval.measure(args.photos, rows, seg, limit=args.limit,
                                       per_category=args.per_category,
                                       sheet=args.hard_sheet, split=args.cutout_split)  # fmt: skip
    if "packshots" in args.sections:
        results |= packshots(args, rows, ctx_models, sheet_rows)
        results |= scenes(args, rows, ctx_models, sheet_rows)
        write_sheet(args.sheet, sheet_rows)
        chosen = publishable_sheet.choose(rows)
        publishable_sheet.write(args.publish_sheet,
                                publishable_sheet.render_rows(args.photos, chosen))
    results |= others(args)
    keys = [k for k in ORDER if k in results] + [k for k in results if k not in ORDER]
    print("RESULT " + " ".join(f"{k}={results[k]:.4f}" if k.startswith(("iou", "hole", "integ"))
                               else f"{k}={results[k]:.3f}" for k in keys))  # fmt: skip


if __name__ == "__main__":
    main()
