"""Cutout quality on the eval split, for ``benchmarks/renders.py`` (its cutout section).

Sets, all from eval-split files only (``synth.split_of``; ``scripts/train_cutout.py`` trains
on the rest):

* ``plain`` / ``complex``: unchanged since the first renders benchmark (seed 2026): each eval
  cutout at 800 px on white, light grey and a random colour, and on three real photos;
* hard set (``synth_hard.hard_set``, seed 2027): ``per_category`` composites for each of
  light_on_white, grey_on_white, flat_card, glass, thin_parts and holes.

IoU: matte ≥ 128 against truth alpha ≥ 128, mean over composites. ``hole_recall``: over the
composites whose truth has ≥ 100 px of enclosed background (background not connected to the
frame: a handle's hole, an arm–torso gap), the mean share of those pixels the matte removes
(alpha < 128). Anchors in the same run: the colour model alone (``method="plain"``) and the
network alone (``method="network"``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from gan_imaging.core.vision import synth, synth_hard
from gan_imaging.core.vision.cutout import cutout
from gan_imaging.core.vision.segnet import SegModel

METHODS = ("auto", "plain", "network")
SETS = ("plain", "complex", *synth_hard.CATEGORIES)
THUMB = 150
_MIN_HOLE_PX = 100


def iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    a, t = alpha >= 128, truth >= 128
    return float((a & t).sum() / max(1, (a | t).sum()))


def eval_files(
    photos: Path, rows: list[dict[str, str]], limit: int, split: str = "eval"
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Cutouts (uint8 RGBA, ≤ 800 px) and background photos (short side 900 px) of ``split``
    (``"eval"``; ``"train"`` to set thresholds without looking at the eval split)."""
    ev = [r for r in rows if synth.split_of(r["file"]) == split]
    cuts = [c for c in (synth.load_cutout(photos / r["file"], 800) for r in ev
                        if r["bg"] == "transparent") if c is not None][:limit]  # fmt: skip
    bgs = [synth.load_background(photos / r["file"], 900) for r in ev
           if r["bg"] in ("complex", "plain-color")]  # fmt: skip
    return cuts, bgs


def composites(
    cuts: list[np.ndarray], bgs: list[np.ndarray]
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """The plain and complex sets: (set name, rgb, truth alpha)."""
    rng = np.random.default_rng(2026)
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


def on_checks(rgb: np.ndarray, alpha: np.ndarray) -> Image.Image:
    """The cutout over a checkerboard, so removed holes and see-through parts show."""
    h, w = alpha.shape
    yy, xx = np.mgrid[0:h, 0:w]
    check = np.where(((yy // 16 + xx // 16) % 2)[..., None] == 0, 235, 150).astype(np.float32)
    a = alpha.astype(np.float32)[..., None] / 255
    return Image.fromarray((rgb * a + check * (1 - a) + 0.5).astype(np.uint8))


def measure(
    photos: Path, rows: list[dict[str, str]], seg: SegModel, *, limit: int,
    per_category: int, sheet: Path | None, split: str = "eval",
) -> dict[str, float]:  # fmt: skip
    """Run every set of ``split`` through every method; print the tables; write the hard-case
    contact sheet (photo | truth | ours, two columns of triplets); return the headline
    figures."""
    cuts, bgs = eval_files(photos, rows, limit, split)
    scores: dict[tuple[str, str], list[float]] = {}
    holes: dict[tuple[str, str], list[float]] = {}
    chosen: dict[str, dict[str, int]] = {}
    cells: dict[str, list[tuple[float, list[Image.Image]]]] = {}
    seconds: list[float] = []
    hard = synth_hard.hard_set(cuts, bgs, per_category)
    for name, rgb, truth in (*composites(cuts, bgs), *hard):
        im = Image.fromarray(rgb)
        enclosed = synth_hard.enclosed(truth)
        for method in METHODS:
            t = time.perf_counter()
            m = cutout(im, method=method, model=seg)
            if method == "auto":
                seconds.append(time.perf_counter() - t)
            alpha = np.asarray(m.alpha)
            score = iou(alpha, truth)
            scores.setdefault((name, method), []).append(score)
            if enclosed.sum() >= _MIN_HOLE_PX:
                recall = float((alpha[enclosed] < 128).mean())
                holes.setdefault((name, method), []).append(recall)
            if method == "auto":
                chosen.setdefault(name, {}).setdefault(m.method, 0)
                chosen[name][m.method] += 1
                if name in synth_hard.CATEGORIES:
                    row = [thumb(im), thumb(Image.fromarray(truth)),
                           thumb(on_checks(rgb, alpha))]  # fmt: skip
                    cells.setdefault(name, []).append((score, row))
    print(f"{'set':15} {'auto':>7} {'classical':>10} {'network':>8} {'n':>4}  "
          f"{'holes auto/cl/net (n)':>24}  auto chose")  # fmt: skip
    for name in SETS:
        means = [statistics.mean(scores[(name, m)]) for m in METHODS]
        rec = [statistics.mean(holes[(name, m)]) if (name, m) in holes else float("nan")
               for m in METHODS]  # fmt: skip
        n_h = len(holes.get((name, "auto"), []))
        print(f"{name:15} {means[0]:7.4f} {means[1]:10.4f} {means[2]:8.4f} "
              f"{len(scores[(name, 'auto')]):4d}  {rec[0]:6.3f} {rec[1]:6.3f} {rec[2]:6.3f} "
              f"({n_h:3d})  {chosen[name]}")  # fmt: skip
    out = {f"iou_{name}": statistics.mean(scores[(name, "auto")]) for name in SETS}
    hard_scores = {m: [s for c in synth_hard.CATEGORIES for s in scores[(c, m)]]
                   for m in METHODS}  # fmt: skip
    all_holes = {m: [r for (_s, mm), v in holes.items() if mm == m for r in v] for m in METHODS}
    out["iou_hard"] = statistics.mean(hard_scores["auto"])
    out["hole_recall"] = statistics.mean(all_holes["auto"]) if all_holes["auto"] else 0.0
    print(f"hard set: auto {out['iou_hard']:.4f}, classical "
          f"{statistics.mean(hard_scores['plain']):.4f}, network "
          f"{statistics.mean(hard_scores['network']):.4f}; worst category "
          f"{min(out[f'iou_{c}'] for c in synth_hard.CATEGORIES):.4f}")  # fmt: skip
    print(f"hole_recall over {len(all_holes['auto'])} composites with enclosed background: "
          f"auto {out['hole_recall']:.3f}, classical {statistics.mean(all_holes['plain']):.3f},"
          f" network {statistics.mean(all_holes['network']):.3f}")  # fmt: skip
    print(f"cutout(auto) {statistics.mean(seconds):.3f} s per composite (mean)")
    if sheet is not None:
        _write_sheet(sheet, cells)
    return out


def _write_sheet(path: Path, cells: dict[str, list[tuple[float, list[Image.Image]]]]) -> None:
    """Per category its first two composites and the worst of the rest, two triplets a row."""
    rows: list[list[Image.Image]] = []
    for name in synth_hard.CATEGORIES:
        items = cells.get(name, [])
        picks = items[:2] + ([min(items[2:], key=lambda c: c[0])] if items[2:] else [])
        rows += [row for _s, row in picks]
    cols = 2
    side = THUMB + 4
    sheet = Image.new("RGB", (cols * 3 * side + 12, -(-len(rows) // cols) * side), "white")
    for i, row in enumerate(rows):
        y, c = divmod(i, cols)
        for x, cell in enumerate(row):
            sheet.paste(cell, (c * (3 * side + 12) + x * side, y * side))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    print(f"hard-case contact sheet: {path} (photo | truth | ours on checks; per category "
          f"two composites and the worst of the rest)")  # fmt: skip
