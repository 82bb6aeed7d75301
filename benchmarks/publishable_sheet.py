"""The publishable-output sheet of ``benchmarks/renders.py``: what a merchant would publish.

24 corpus photos that the manifest says show one product (``render_success.shows_one_product``),
chosen round-robin across the corpus's sources (eval split first, evenly spaced within a
source), each run through the default render pipeline once: the Amazon-style packshot and two
studio scenes (4:5: ``marble-table`` seen at eye height, ``oak-floor`` from high; key light
left). One
row per photo: input | packshot | scene | scene, the packshot's compliance verdict and the
cutout method written under it. The sheet is for looking at, not a metric: a render that looks
wrong here is a bug whatever the figures say.

    python benchmarks/publishable_sheet.py [--photos DIR] [--out var/bench/publishable.jpg]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageDraw

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from render_success import shows_one_product  # noqa: E402  (benchmarks/, this folder)

from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.pipelines.base import Context  # noqa: E402
from gan_imaging.core.pipelines.renders import RenderSpec, decode_hint, run  # noqa: E402
from gan_imaging.core.vision import synth  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
CELL = 200
CAPTION = 30
SPEC = RenderSpec(outputs=("packshot", "scenes"), scene_aspects=("4:5",),
                  scene_styles=("marble-table",), scene_cameras=("eye",))
SECOND = RenderSpec(outputs=("scenes",), scene_aspects=("4:5",), scene_styles=("oak-floor",),
                    scene_cameras=("high",))


def choose(rows: list[dict[str, str]], n: int = 24) -> list[dict[str, str]]:
    """``n`` product photos round-robin over sources (sorted), eval split first, evenly spaced
    within each source."""
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if shows_one_product(r):
            by_source[r["source"]].append(r)
    queues = {}
    for source, items in sorted(by_source.items()):
        items.sort(key=lambda r: (synth.split_of(r["file"]) != "eval", r["file"]))
        step = max(1, len(items) // n)
        queues[source] = items[::step] + [r for r in items if r not in items[::step]]
    chosen: list[dict[str, str]] = []
    while len(chosen) < n and any(queues.values()):
        for source in sorted(queues):
            if queues[source] and len(chosen) < n:
                chosen.append(queues[source].pop(0))
    return chosen


def cell(im: Image.Image, caption: str = "") -> Image.Image:
    out = Image.new("RGB", (CELL, CELL + CAPTION), (255, 255, 255))
    im = im.convert("RGBA")
    im.thumbnail((CELL, CELL))
    back = Image.new("RGB", (CELL, CELL), (200, 200, 200))
    back.paste(im, ((CELL - im.width) // 2, (CELL - im.height) // 2), im)
    out.paste(back, (0, 0))
    if caption:
        ImageDraw.Draw(out).text((4, CELL + 4), caption[:34], fill=(0, 0, 0))
    return out


def render_rows(photos: Path, rows: list[dict[str, str]]) -> list[list[Image.Image]]:
    """One row of cells per photo (see the module doc); a photo the pipeline refuses gets its
    refusal as the caption."""
    out = []
    for k, r in enumerate(rows):
        data = (photos / r["file"]).read_bytes()
        with Image.open(io.BytesIO(data)) as probe:
            hint = decode_hint(SPEC, *probe.size)
        image, _info = decode(data, draft_to=hint)
        first = cell(image, r["file"].split("/")[-1])
        try:
            outs = run(image, SPEC, Context(seed=k)) + run(image, SECOND, Context(seed=k))
        except Exception as exc:  # noqa: BLE001 - shown on the sheet, not hidden
            out.append([first, cell(Image.new("RGB", (8, 8), "white"), f"refused: {exc}")])
            continue
        shot = next(o for o in outs if o.meta.get("compliance"))
        rep = shot.meta["compliance"]
        verdict = "Amazon ok" if rep["amazon_main"]["pass"] else "review: " + ", ".join(
            x["rule"] for x in rep["amazon_main"]["rules"] if not x["pass"])
        cells = [first, cell(Image.open(io.BytesIO(shot.data)),
                             f"{verdict} ({shot.meta.get('cutout', {}).get('method', '?')})")]
        for o in outs:
            if o.key.startswith("scene-"):
                cells.append(cell(Image.open(io.BytesIO(o.data)),
                                  f"{o.meta.get('style')} · {o.meta.get('camera')}"))
        out.append(cells[:4])
        print(f"  {r['file']}: {verdict}")
    return out


def write(path: Path, rows: list[list[Image.Image]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = Image.new("RGB", (4 * (CELL + 4), len(rows) * (CELL + CAPTION + 4)), "white")
    for y, cells in enumerate(rows):
        for x, c in enumerate(cells):
            sheet.paste(c, (x * (CELL + 4), y * (CELL + CAPTION + 4)))
    sheet.save(path, quality=82)
    print(f"publishable sheet: {path} ({len(rows)} photos: input | packshot | 2 scenes)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--out", type=Path, default=Path("var/bench/publishable.jpg"))
    args = ap.parse_args()
    if not (args.photos / "manifest.csv").exists():
        print(f"No corpus at {args.photos}; nothing drawn.\nRESULT skipped=1")
        return
    rows = list(csv.DictReader((args.photos / "manifest.csv").open(encoding="utf-8")))
    write(args.out, render_rows(args.photos, choose(rows)))


if __name__ == "__main__":
    main()
