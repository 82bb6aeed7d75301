"""Product-integrity check on deliberately damaged cutouts: false passes and false alarms.

    python benchmarks/render_integrity.py [--photos DIR] [--limit N] [--split eval|train]
                                          [--sheet var/bench/integrity_sheet.png]

Cases. The corpus's transparent cutouts (manifest ``bg=transparent``) of one split (default
**eval**, ``synth.split_of``: the cutout net never trained on them) are composited as in
``benchmarks/renders.py``: 800 px long side, product 45–90 % of the frame, on white, light grey
(236), one random colour and three real photos (``bg=complex``/``plain-color``, same split).

* **good**: the ground-truth alpha of each composite. A ``review needed`` verdict is a false
  alarm (``integrity_false_alarm``: share of good cases flagged).
* **pipeline**: the pipeline's own cutout (``cutout()`` + ``clean_alpha``, as ``run()`` makes
  the packshot) where its IoU with the truth is ≥ 0.95; flags reported separately.
* **damaged**: seven damages of each composite's true alpha (see :data:`DAMAGES`): the
  largest low-saturation or single-colour region removed (a card's body, the logo kept), half
  the product cut off along a random line, a protruding limb/handle dropped, 1–3 holes
  (5–15 % of the area), a see-through patch (25–45 % of the area at 30–60 % of its alpha),
  only a small fragment kept (8–25 %), blotchy edges (the outline displaced by smooth noise of
  3–6 % of the product's size). A damaged case that passes is a false pass
  (``integrity_false_pass``: share of damaged cases passed).

Each case passes the photo and the (damaged) alpha, after ``clean_alpha`` as in ``run()``, to
``check_integrity`` with the method the pipeline chose for the photo. Seconds per check are
measured on the 800 px composites and on one 2048 px photo.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.errors import render_message  # noqa: E402
from gan_imaging.core.vision import synth  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.integrity import check_integrity  # noqa: E402
from gan_imaging.core.vision.packshot import clean_alpha  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
THUMB = 132

Damage = Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _remove(alpha: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``alpha`` with ``region`` (and a 1 px fringe) cleared."""
    region = ndimage.binary_dilation(region, iterations=1)
    return np.where(region, 0, alpha).astype(np.uint8)


def _largest(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, np.arange(1, n + 1))
    return labels == int(np.argmax(sizes)) + 1


def half(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cut the product along a random line near its centre; the far side (25–60 %) goes."""
    on = alpha >= 128
    ys, xs = np.nonzero(on)
    cy, cx = ys.mean(), xs.mean()
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    for _ in range(20):
        t = rng.uniform(0, 2 * np.pi)
        proj = (yy - cy) * np.sin(t) + (xx - cx) * np.cos(t)
        cut = np.quantile(proj[on], rng.uniform(0.4, 0.75))
        region = on & (proj > cut)
        if 0.25 <= region.sum() / on.sum() <= 0.6:
            break
    return _remove(alpha, region)


def lose_body(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Remove the largest low-saturation region (a grey card body, the stripe and logo kept),
    else the largest region of the product's most common colour; at least 15 % of the area."""
    on = alpha >= 128
    px = rgb.astype(np.float32)
    sat = (px.max(axis=2) - px.min(axis=2)) / np.maximum(px.max(axis=2), 1)
    region = _largest(on & (sat < 0.2))
    if region.sum() < 0.15 * on.sum():
        q = (px[on] // 48).astype(np.int32)
        keys = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
        common = np.bincount(keys).argmax()
        full = np.zeros(on.shape, np.int32) - 1
        full[on] = keys
        region = _largest(ndimage.binary_closing(full == common, iterations=2) & on)
    if region.sum() < 0.15 * on.sum() or region.sum() > 0.92 * on.sum():
        return half(rgb, alpha, rng)
    return _remove(alpha, region)


def drop_limb(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drop the largest protrusion (a handle, a sleeve, a strap): what an opening with a disc
    of 8–12 % of the product's size removes; at least 4 % of the area, else a 10–20 % slice
    off one side of the product."""
    on = alpha >= 128
    side = np.sqrt(on.sum())
    r = max(2, round(rng.uniform(0.08, 0.12) * side))
    small = max(1, r // 4)  # open at quarter size, then compare (fast for big discs)
    sub = on[::4, ::4]
    disc = np.hypot(*np.mgrid[-small : small + 1, -small : small + 1]) <= small
    opened = ndimage.binary_opening(sub, structure=disc)
    opened = np.repeat(np.repeat(opened, 4, 0), 4, 1)[: on.shape[0], : on.shape[1]]
    limb = _largest(on & ~ndimage.binary_dilation(opened, iterations=2))
    if limb.sum() >= 0.04 * on.sum():
        return _remove(alpha, limb)
    k, frac = int(rng.integers(4)), rng.uniform(0.1, 0.2)  # side: left, right, top, bottom
    grid = np.mgrid[: on.shape[0], : on.shape[1]][1 if k < 2 else 0]
    cut = np.quantile(grid[on], frac if k % 2 == 0 else 1 - frac)
    return _remove(alpha, on & ((grid < cut) if k % 2 == 0 else (grid > cut)))


def _interior_point(on: np.ndarray, rng: np.random.Generator, margin: float) -> tuple[int, int]:
    depth = ndimage.distance_transform_edt(on)
    ys, xs = np.nonzero(depth >= min(margin, 0.8 * depth.max()))
    i = int(rng.integers(ys.size))
    return int(ys[i]), int(xs[i])


def holes(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Punch 1–3 elliptical holes, 5–15 % of the product's area in all, inside the product."""
    on = alpha >= 128
    n = int(rng.integers(1, 4))
    total = rng.uniform(0.05, 0.15) * on.sum()
    im = Image.new("L", (alpha.shape[1], alpha.shape[0]), 0)
    draw = ImageDraw.Draw(im)
    for _ in range(n):
        ry = np.sqrt(total / n / np.pi) * rng.uniform(0.7, 1.4)
        rx = total / n / np.pi / ry
        cy, cx = _interior_point(on, rng, 1.2 * max(rx, ry))
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    region = (np.asarray(im) > 0) & on
    return np.where(region, 0, alpha).astype(np.uint8)


def see_through(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lower alpha to 30–60 % over a soft ellipse covering 25–45 % of the product."""
    on = alpha >= 128
    target = rng.uniform(0.25, 0.45) * on.sum()
    cy, cx = _interior_point(on, rng, 0.15 * np.sqrt(on.sum()))
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    ratio = rng.uniform(0.6, 1.6)
    r = np.sqrt(on.sum() / np.pi)
    for _ in range(30):
        inside = ((yy - cy) / (r * ratio)) ** 2 + ((xx - cx) / (r / ratio)) ** 2 <= 1
        got = (inside & on).sum()
        if abs(got - target) < 0.03 * on.sum():
            break
        r *= float(np.sqrt(target / max(got, 1)))
    soft = ndimage.gaussian_filter(inside.astype(np.float32), 2.0)
    gain = 1 - soft * (1 - rng.uniform(0.3, 0.6))
    return np.clip(alpha * gain + 0.5, 0, 255).astype(np.uint8)


def fragment(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keep only a disc-shaped fragment of 8–25 % of the product."""
    on = alpha >= 128
    target = rng.uniform(0.08, 0.25) * on.sum()
    cy, cx = _interior_point(on, rng, 0.1 * np.sqrt(on.sum()))
    dist = np.hypot(*np.mgrid[-cy : alpha.shape[0] - cy, -cx : alpha.shape[1] - cx])
    radius = np.quantile(dist[on], min(1.0, target / on.sum()))
    keep = ndimage.binary_dilation(on & (dist <= radius), iterations=1)
    return np.where(keep, alpha, 0).astype(np.uint8)


def blotchy(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Displace the outline by smooth noise of amplitude 3–6 % of the product's size."""
    on = alpha >= 128
    side = float(np.sqrt(on.sum()))
    sdf = ndimage.distance_transform_edt(on) - ndimage.distance_transform_edt(~on)
    noise = ndimage.gaussian_filter(rng.normal(size=on.shape), max(1.0, 0.015 * side))
    noise /= max(float(noise.std()), 1e-6)
    out = (sdf + rng.uniform(0.03, 0.06) * side * noise) > 0
    soft = ndimage.gaussian_filter(out.astype(np.float32), 1.0)
    return np.clip(soft * 255 + 0.5, 0, 255).astype(np.uint8)


DAMAGES: dict[str, Damage] = {
    "lose_body": lose_body, "half": half, "drop_limb": drop_limb, "holes": holes,
    "see_through": see_through, "fragment": fragment, "blotchy": blotchy,
}  # fmt: skip


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


def _cell(im: Image.Image, alpha: np.ndarray | None = None) -> Image.Image:
    """A THUMB px square thumbnail; with ``alpha``, the cutout on mid grey."""
    if alpha is not None:
        grey = Image.new("RGB", im.size, (160, 160, 160))
        grey.paste(im.convert("RGB"), (0, 0), Image.fromarray(alpha, "L"))
        im = grey
    im = im.copy()
    im.thumbnail((THUMB, THUMB))
    out = Image.new("RGB", (THUMB, THUMB), (255, 255, 255))
    out.paste(im, ((THUMB - im.width) // 2, (THUMB - im.height) // 2))
    return out


def _sheet(cells: list[tuple[Image.Image, Image.Image, str, bool]], path: Path) -> None:
    """Contact sheet: photo | checked cutout + verdict, four pairs a row."""
    per_row, cw, ch = 4, 2 * THUMB + 8, THUMB + 30
    rows = max(1, (len(cells) + per_row - 1) // per_row)
    sheet = Image.new("RGB", (per_row * cw, rows * ch), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (photo, cut, label, ok) in enumerate(cells):
        x, y = (i % per_row) * cw, (i // per_row) * ch
        sheet.paste(photo, (x, y))
        sheet.paste(cut, (x + THUMB + 2, y))
        colour = (0, 110, 0) if ok else (190, 0, 0)
        draw.text((x + 2, y + THUMB + 2), label[:46], fill=colour)
        draw.text((x + 2, y + THUMB + 14), label[46:92], fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


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


def measure(
    photos: Path,
    *,
    limit: int | None = None,
    split: str = "eval",
    sheet: Path | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """Run every case of ``limit`` cutouts (default all) of ``split``; returns the counts,
    ``integrity_false_pass`` / ``integrity_false_alarm`` (shares 0–1), ``pipeline_flagged``
    and seconds per check. Empty dict when ``photos`` has no ``manifest.csv``."""
    if not (photos / "manifest.csv").exists():
        return {}
    from gan_imaging.core.vision.segnet import get_model

    seg = model if model is not None else get_model()
    rows = list(csv.DictReader((photos / "manifest.csv").open(encoding="utf-8")))
    rng = np.random.default_rng(7)
    table: dict[tuple[str, str], list[int]] = {}  # (set, case) -> [flagged, n]
    reasons: dict[str, int] = {}
    times: list[float] = []
    cells: list[tuple[Image.Image, Image.Image, str, bool]] = []
    for n, (_name, kind, rgb, truth) in enumerate(composites(photos, rows, limit, split)):
        im = Image.fromarray(rgb)
        matte = cutout(im, model=seg)
        own = clean_alpha(np.asarray(matte.alpha))
        a, t = own >= 128, truth >= 128
        cases = [("good", truth)]
        if (a & t).sum() >= 0.95 * max(1, (a | t).sum()):
            cases.append(("pipeline", own))
        cases += [(d, fn(rgb, truth, rng)) for d, fn in DAMAGES.items()]
        for case, alpha in cases:
            alpha = clean_alpha(alpha)
            t0 = time.perf_counter()
            report = check_integrity(im, alpha, method=matte.method, model=seg)
            times.append(time.perf_counter() - t0)
            cell = table.setdefault((kind, case), [0, 0])
            cell[0] += not report.ok
            cell[1] += 1
            for r in report.reasons:
                key = r["template"].split(" (")[0][:40]
                reasons[key] = reasons.get(key, 0) + 1
            if sheet is not None and case != "pipeline" and n % 5 == 0 and len(cells) < 32:
                first = report.reasons[0] if report.reasons else None
                label = render_message(first["template"], first["params"]) if first else "ok"
                cells.append((_cell(im), _cell(im, alpha), f"{case}: {label}", report.ok))
    damaged = sum(v[1] for (_, c), v in table.items() if c in DAMAGES)
    passed = sum(v[1] - v[0] for (_, c), v in table.items() if c in DAMAGES)
    good = sum(v[1] for (_, c), v in table.items() if c == "good")
    alarms = sum(v[0] for (_, c), v in table.items() if c == "good")
    pipe = [v for (_, c), v in table.items() if c == "pipeline"]
    if sheet is not None and cells:
        _sheet(cells, sheet)
    return {
        "integrity_false_pass": passed / max(1, damaged), "false_passes": passed,
        "damaged": damaged, "integrity_false_alarm": alarms / max(1, good), "false_alarms": alarms,
        "good": good, "pipeline": sum(v[1] for v in pipe),
        "pipeline_flagged": sum(v[0] for v in pipe), "table": table, "reasons": reasons,
        "check_s": statistics.mean(times) if times else float("nan"),
        "check_s_2048": _time_full_size(photos, rows, seg),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=None, help="max cutouts (default: all)")
    ap.add_argument("--split", choices=("eval", "train"), default="eval")
    ap.add_argument("--sheet", type=Path, default=Path("var/bench/integrity_sheet.png"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    res = measure(args.photos, limit=args.limit, split=args.split, sheet=args.sheet)
    if not res:
        print(f"No corpus at {args.photos}; pass --photos DIR. Nothing measured.")
        print("RESULT skipped=1")
        return
    print(f"{'case':12} {'plain flagged':>14} {'complex flagged':>16}")
    for case in ("good", "pipeline", *DAMAGES):
        cols = [res["table"].get((kind, case), [0, 0]) for kind in ("plain", "complex")]
        print(f"{case:12} " + " ".join(f"{f'{a}/{b}':>15}" for a, b in cols))
    print("reasons:", json.dumps(res["reasons"], sort_keys=True))
    print(f"pipeline cutouts (IoU >= 0.95) flagged: {res['pipeline_flagged']}/{res['pipeline']}")
    print(f"check {res['check_s']:.3f} s per 800 px composite, {res['check_s_2048']:.3f} s at "
          f"2048 px; run {time.perf_counter() - t0:.0f} s; contact sheet {args.sheet}")  # fmt: skip
    print(f"RESULT integrity_false_pass={res['integrity_false_pass']:.4f} "
          f"integrity_false_alarm={res['integrity_false_alarm']:.4f} damaged={res['damaged']} "
          f"good={res['good']} pipeline_flagged={res['pipeline_flagged']}/{res['pipeline']} "
          f"check_s_2048={res['check_s_2048']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
