"""Product-integrity check on deliberately damaged cutouts: false passes and false alarms.

    python benchmarks/render_integrity.py [--photos DIR] [--limit N] [--split eval|train]
                                          [--sheet var/bench/integrity_sheet.png]
                                          [--dump CASES.jsonl] [--rescore CASES.jsonl]

Cases, all from one split of the corpus (default **eval**, ``synth.split_of``: the cutout net
never trained on it; ``--split train`` is where the thresholds were set):

* **composites**: every transparent cutout (manifest ``bg=transparent``, none left out),
  composited as in ``benchmarks/renders.py`` (800 px long side, product 45–90 % of the frame)
  on white, light grey (236), one random colour and three real photos
  (``bg=complex``/``plain-color``). Their **good** case is the ground-truth alpha: a ``review
  needed`` verdict on it is a false alarm (``integrity_false_alarm``: share of good cases
  flagged). **pipeline**: the pipeline's own cutout where its IoU with the truth is ≥ 0.95
  (flags reported apart).
* **real**: every white-background studio photo (``bg=white``: light, grey and white products,
  mugs, a grey card box; shadows and JPEG noise as shot) at 800 px, with the pipeline's own
  cutout as the base. There is no ground truth, so its flags (``real_flagged``) are reported
  apart and reviewed on the ``_real`` contact sheet; the damages below start from it.
* **damaged**: eight damages (``benchmarks/integrity_damages.py``) of each good alpha: the
  palest 20–60 % of the product lost (a grey card's body, a white cup's interior or saucer),
  the largest low-saturation or single-colour region removed (the logo kept), a random half
  cut off, a protruding limb/handle dropped, 1–3 holes (5–15 % of the area), a see-through
  patch (25–45 % of the area at 30–60 % alpha), only a fragment kept (8–25 %), blotchy edges
  (outline displaced by smooth noise of 3–6 % of the product's size). A damaged case that
  passes is a false pass (``integrity_false_pass``: share of damaged cases passed).

Each case passes the photo and the (damaged) alpha, after ``clean_alpha`` as in ``run()``, to
``check_integrity`` with the method the pipeline chose for the photo. Contact sheets: a sample
of cases (``--sheet``), every false alarm (``_alarms``), every false pass (``_passes``) and the
real photos' pipeline cutouts (``_real``). Seconds per check are measured on the 800 px cases
and on one 2048 px photo (the renders' working size).

``--dump`` writes every case's measurements; ``--rescore`` re-scores such a file with the
current thresholds in seconds (the verdict is a pure function of the measurements), so rules
are tried on the train split's dump and the eval split is run once to measure them.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.integrity_damages import DAMAGES  # noqa: E402
from benchmarks.integrity_sheets import Cell, cell, sheet_of  # noqa: E402
from gan_imaging.core.errors import render_message  # noqa: E402
from gan_imaging.core.vision import synth  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.integrity import check_integrity, verdict  # noqa: E402
from gan_imaging.core.vision.packshot import clean_alpha  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"


def composites(
    photos: Path, rows: list[dict[str, str]], limit: int | None, split: str
) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """Yield (file, set name, rgb, truth alpha) for ``split``'s cutouts and backgrounds."""
    rng = np.random.default_rng(2026)
    part = [r for r in rows if synth.split_of(r["file"]) == split]
    named = [(r["file"], synth.load_cutout(photos / r["file"], 800)) for r in part
             if r["bg"] == "transparent"]  # fmt: skip
    cuts = [(f, c) for f, c in named if c is not None][:limit]
    bgs = [synth.load_background(photos / r["file"], 900) for r in part
           if r["bg"] in ("complex", "plain-color")]  # fmt: skip
    sizes = [(800, 800), (640, 800), (800, 534)]
    for k, (name, cut) in enumerate(cuts):
        for colour in [(255, 255, 255), (236, 236, 236), synth.random_colour(rng)]:
            size = sizes[int(rng.integers(3))]
            plain = synth.plain_background(colour, size)
            yield (name, "plain", *synth.composite(cut, plain, size, rng, fill=(0.45, 0.9)))
        for j in range(3):
            size = sizes[int(rng.integers(3))]
            bg = bgs[(3 * k + j) % len(bgs)]
            yield (name, "complex", *synth.composite(cut, bg, size, rng, fill=(0.45, 0.9)))


def _time_full_size(photos: Path, rows: list[dict[str, str]], model: Any) -> float:
    """Median seconds of one check of a corpus photo at the renders' 2048 px working size."""
    big = [r for r in rows if r["bg"] == "white" and max(int(r["w"]), int(r["h"])) >= 1500]
    if not big:
        return float("nan")
    with Image.open(photos / big[0]["file"]) as im:
        image = im.convert("RGB")
    scale = 2048 / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    alpha = clean_alpha(np.asarray(cutout(image, model=model).alpha))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        check_integrity(image, alpha, method="plain", model=model)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def real_photos(
    photos: Path, rows: list[dict[str, str]], limit: int | None, split: str
) -> Iterator[tuple[str, Image.Image]]:
    """Yield (file, photo at ≤ 800 px, RGB or RGBA) for ``split``'s white-background photos."""
    part = [r for r in rows if synth.split_of(r["file"]) == split and r["bg"] == "white"]
    for r in part[:limit]:
        with Image.open(photos / r["file"]) as im:
            im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info
                            else "RGB")  # fmt: skip
        im.thumbnail((800, 800), Image.Resampling.LANCZOS)
        yield r["file"], im


def _label(report: Any) -> str:
    first = report.reasons[0] if report.reasons else None
    return render_message(first["template"], first["params"]) if first else "ok"


def measure(
    photos: Path,
    *,
    limit: int | None = None,
    split: str = "eval",
    sheet: Path | None = None,
    model: Any = None,
    dump: Path | None = None,
    sets: tuple[str, ...] = ("composites", "real"),
) -> dict[str, Any]:
    """Run every case of ``limit`` cutouts and white photos (default all) of ``split``; returns
    the counts, ``integrity_false_pass`` / ``integrity_false_alarm`` (shares 0–1),
    ``pipeline_flagged``, ``real_flagged``, the false alarms and passes (file, case, reason)
    and seconds per check. ``dump``: a JSON-lines file of every case's measurements, to tune
    :mod:`~gan_imaging.core.vision.integrity`'s thresholds on the train split. ``sets``: which
    of ``"composites"`` and ``"real"`` to run (the RESULT line needs both).
    Empty dict when ``photos`` has no ``manifest.csv``."""
    if not (photos / "manifest.csv").exists():
        return {}
    from gan_imaging.core.vision.segnet import get_model

    seg = model if model is not None else get_model()
    rows = list(csv.DictReader((photos / "manifest.csv").open(encoding="utf-8")))
    rng = np.random.default_rng(7)
    table: dict[tuple[str, str], list[int]] = {}  # (set, case) -> [flagged, n]
    reasons: dict[str, int] = {}
    times: list[float] = []
    sample: list[Cell] = []
    alarms: list[Cell] = []
    passes: list[Cell] = []
    real: list[Cell] = []
    wrong: list[tuple[str, str, str, str]] = []  # (set, file, case, first reason)

    def cases() -> Iterator[tuple[str, str, Image.Image, str, list[tuple[str, np.ndarray]]]]:
        made = composites(photos, rows, limit, split) if "composites" in sets else iter(())
        for name, kind, rgb, truth in made:
            im = Image.fromarray(rgb)
            matte = cutout(im, model=seg)
            own = clean_alpha(np.asarray(matte.alpha))
            a, t = own >= 128, truth >= 128
            todo = [("good", truth)]
            if (a & t).sum() >= 0.95 * max(1, (a | t).sum()):
                todo.append(("pipeline", own))
            todo += [(d, fn(rgb, truth, rng)) for d, fn in DAMAGES.items()]
            yield name, kind, im, matte.method, todo
        for name, im in real_photos(photos, rows, limit if "real" in sets else 0, split):
            matte = cutout(im, model=seg)
            own = clean_alpha(np.asarray(matte.alpha))
            rgb = np.asarray(im.convert("RGB"))
            todo = [("pipeline", own)] + [(d, fn(rgb, own, rng)) for d, fn in DAMAGES.items()]
            # Damages start from the pipeline's cutout: the photo's own alpha is no longer it.
            yield name, "real", im.convert("RGB"), matte.method, todo

    out = dump.open("w", encoding="utf-8") if dump is not None else None
    for n, (name, kind, im, method, todo) in enumerate(cases()):
        for case, alpha in todo:
            alpha = clean_alpha(alpha)
            t0 = time.perf_counter()
            report = check_integrity(im, alpha, method=method, model=seg)
            times.append(time.perf_counter() - t0)
            if out is not None:
                row = {"set": kind, "file": name, "case": case, "m": report.measurements}
                out.write(json.dumps(row, default=str) + "\n")
            _count(table, reasons, kind, case, report.reasons)
            if sheet is None:
                continue
            item = (cell(im), cell(im, alpha), f"{case}: {_label(report)}", report.ok)
            if case == "good" and not report.ok:
                alarms.append(item)
                wrong.append((kind, name, case, _label(report)))
            elif case in DAMAGES and report.ok:
                passes.append(item)
                wrong.append((kind, name, case, "passed"))
            elif kind == "real" and case == "pipeline":
                real.append((item[0], item[1], f"{name.split('/')[-1]}: {_label(report)}",
                             report.ok))  # fmt: skip
            if case != "pipeline" and n % 5 == 0 and len(sample) < 40:
                sample.append(item)
    if out is not None:
        out.close()
    if sheet is not None:
        for suffix, cells in (("", sample), ("_alarms", alarms), ("_passes", passes),
                              ("_real", real)):  # fmt: skip
            if cells:
                sheet_of(cells, sheet.with_name(sheet.stem + suffix + sheet.suffix))
    return {**_figures(table), "reasons": reasons, "wrong": wrong,
            "check_s": statistics.mean(times) if times else float("nan"),
            "check_s_2048": _time_full_size(photos, rows, seg)}  # fmt: skip


def _figures(table: dict[tuple[str, str], list[int]]) -> dict[str, Any]:
    """The RESULT figures from ``table`` ((set, case) -> [flagged, n])."""

    def total(kinds: tuple[str, ...], cases: tuple[str, ...], flagged: bool) -> int:
        return sum(v[0] if flagged else v[1] for (k, c), v in table.items()
                   if k in kinds and c in cases)  # fmt: skip

    every, dmg = ("plain", "complex", "real"), tuple(DAMAGES)
    damaged = total(every, dmg, False)
    passed = damaged - total(every, dmg, True)
    good = total(every, ("good",), False)
    flagged_good = total(every, ("good",), True)
    return {
        "integrity_false_pass": passed / max(1, damaged), "false_passes": passed,
        "damaged": damaged, "integrity_false_alarm": flagged_good / max(1, good),
        "false_alarms": flagged_good, "good": good,
        "pipeline": total(("plain", "complex"), ("pipeline",), False),
        "pipeline_flagged": total(("plain", "complex"), ("pipeline",), True),
        "real": total(("real",), ("pipeline",), False),
        "real_flagged": total(("real",), ("pipeline",), True), "table": table,
    }  # fmt: skip


def _count(table: dict[tuple[str, str], list[int]], reasons: dict[str, int], kind: str,
           case: str, found: list[dict[str, Any]]) -> None:
    """Add one case's verdict (``found``: its reasons, empty = passed) to the tallies."""
    cell = table.setdefault((kind, case), [0, 0])
    cell[0] += bool(found)
    cell[1] += 1
    for r in found:
        key = r["template"].split(" (")[0][:40]
        reasons[key] = reasons.get(key, 0) + 1


def rescore(dump: Path) -> dict[str, Any]:
    """:func:`measure`'s figures for the cases of a ``--dump`` file, re-scored with the current
    thresholds (:func:`~gan_imaging.core.vision.integrity.verdict`): seconds instead of a full
    run while tuning on the train split. No timings, no contact sheets."""
    table: dict[tuple[str, str], list[int]] = {}
    reasons: dict[str, int] = {}
    wrong: list[tuple[str, str, str, str]] = []
    for line in dump.open(encoding="utf-8"):
        row = json.loads(line)
        found = verdict(row["m"])
        _count(table, reasons, row["set"], row["case"], found)
        if row["case"] == "good" and found:
            wrong.append((row["set"], row["file"], row["case"],
                          render_message(found[0]["template"], found[0]["params"])))  # fmt: skip
        elif row["case"] in DAMAGES and not found:
            wrong.append((row["set"], row["file"], row["case"], "passed"))
    return {**_figures(table), "reasons": reasons, "wrong": wrong,
            "check_s": float("nan"), "check_s_2048": float("nan")}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=None,
                    help="max cutouts and max white photos (default: all)")  # fmt: skip
    ap.add_argument("--split", choices=("eval", "train"), default="eval")
    ap.add_argument("--sheet", type=Path, default=Path("var/bench/integrity_sheet.png"))
    ap.add_argument("--only", choices=("composites", "real"), default=None, help="one set")
    ap.add_argument("--dump", type=Path, default=None, help="JSON lines of every measurement")
    ap.add_argument("--rescore", type=Path, default=None,
                    help="re-score a --dump file with the current thresholds (no run)")  # fmt: skip
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    sets = (args.only,) if args.only else ("composites", "real")
    res = rescore(args.rescore) if args.rescore else measure(
        args.photos, limit=args.limit, split=args.split, sheet=args.sheet, dump=args.dump,
        sets=sets)  # fmt: skip
    if not res:
        print(f"No corpus at {args.photos}; pass --photos DIR. Nothing measured.")
        print("RESULT skipped=1")
        return
    kinds = ("plain", "complex", "real")
    print(f"{'case':12} " + " ".join(f"{k + ' flagged':>16}" for k in kinds))
    for case in ("good", "pipeline", *DAMAGES):
        cols = [res["table"].get((kind, case), [0, 0]) for kind in kinds]
        print(f"{case:12} " + " ".join(f"{f'{a}/{b}':>16}" for a, b in cols))
    print("reasons:", json.dumps(res["reasons"], sort_keys=True))
    for kind, name, case, why in res["wrong"]:
        print(f"  {'false alarm' if case == 'good' else 'false pass'}: {kind} {name} {case}: {why}")
    print(
        f"pipeline cutouts (IoU >= 0.95) flagged: {res['pipeline_flagged']}/{res['pipeline']}; "
        f"real white photos' pipeline cutouts flagged: {res['real_flagged']}/{res['real']}"
    )
    print(
        f"check {res['check_s']:.3f} s per 800 px case, {res['check_s_2048']:.3f} s at "
        f"2048 px; run {time.perf_counter() - t0:.0f} s; contact sheets "
        f"{'none (rescored)' if args.rescore else args.sheet}"
    )
    print(f"RESULT integrity_false_pass={res['integrity_false_pass']:.4f} "
          f"integrity_false_alarm={res['integrity_false_alarm']:.4f} damaged={res['damaged']} "
          f"good={res['good']} pipeline_flagged={res['pipeline_flagged']}/{res['pipeline']} "
          f"real_flagged={res['real_flagged']}/{res['real']} "
          f"check_s_2048={res['check_s_2048']:.3f}"
          f"{' rescored=1' if args.rescore else ''}")  # fmt: skip


if __name__ == "__main__":
    main()
