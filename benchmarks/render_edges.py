"""Edge anchoring: products cut by their photo's frame must meet the output's frame, not float.

    python benchmarks/render_edges.py [--photos DIR] [--limit N] [--side 600]
                                      [--sheet var/bench/render_edges_sheet.png]

Cases: the corpus's model shots (magento-luma ``*_main``/``*_back``/``*_altN``: models cut by
the frame at the thighs or the waist) and every other photo whose cutout touches the frame
(decoded and cut out as the renders pipeline does). For each case:

* scenes: ``renders.run`` (outputs=scenes, aspects 1:1, 4:5, 16:9, long side ``--side``)
  with a stub backdrop of two flat greys (styles ``dark`` = 40, ``light`` = 215): where the
  two renders agree the product is opaque, ``alpha = 1 - (light - dark) / (215 - 40)`` after
  the vignette (the same grey chroma gives the same colour harmonisation in both);
* banners: ``banners.run`` (a flat light-grey texture backdrop, lossless PNG, sizes 300x250,
  728x90, 160x600, 1200x628: every arrangement): in the product box, the pixels that differ
  from the grey were drawn; inside the pasted product rectangle they are the product. The
  expected cut line comes from the banners pipeline's own cutout (``product_cutout``).

An output passes when, for every cut side in its meta: the product's pixels (alpha ≥ 45 %)
on the output's outermost row/column on that side cover at least 80 % (−3 px) of the photo's
cut line (alpha ≥ 50 %) mapped through the placed product rectangle (the part inside the
frame; none there means the frame crops the cut away, which passes); no shadow is drawn when
the product is cut at the bottom (shadow: both greys darkened by the same factor, > 6 %, over
5×5 px at least, 3 px away from the product and outside its own faint matte; in banners
anything drawn in the product box outside the product); an uncut base casts its contact
shadow (> 2 % just below it: it stands, not floats); banner text stays legible
(contrast_ok, no overflow).
``edge_anchor_ok`` is the share of outputs passing (target 1).

RESULT edge_anchor_ok=<0–1> cases=<photos> outputs=<n> scenes_ok=<0–1> banners_ok=<0–1>
seconds=<wall s>
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from render_edge_checks import ASPECTS, banner_checks, grey, scene_checks, sides  # noqa: E402

from gan_imaging.core.errors import InvalidImageError  # noqa: E402
from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.pipelines.banners import BannerSpec, product_cutout  # noqa: E402
from gan_imaging.core.pipelines.banners import run as run_banners  # noqa: E402
from gan_imaging.core.pipelines.base import Context  # noqa: E402
from gan_imaging.core.pipelines.renders import WORK_SIDE, RenderSpec, decode_hint  # noqa: E402
from gan_imaging.core.pipelines.renders import run as run_renders  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.packshot import Product, extract_product  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
MODEL_SHOT = re.compile(r"^magento-luma/.*_(main|back|alt\d*)\.jpg$")
SIZES = ("300x250", "728x90", "160x600", "1200x628")


def load(photos: Path, name: str) -> Image.Image:
    data = (photos / name).read_bytes()
    with Image.open(io.BytesIO(data)) as probe:
        hint = decode_hint(RenderSpec(), *probe.size)
    return decode(data, draft_to=hint)[0]


def coverage(image: Image.Image) -> tuple[Product, dict[str, np.ndarray]]:
    """The product as the renders pipeline cuts ``image`` out (its ``edges``, its matte), and
    per side the solid matte (alpha ≥ 50 %) along that side of the product's box (bool,
    left/right top to bottom, top/bottom left to right)."""
    if max(image.size) > WORK_SIDE:
        s = WORK_SIDE / max(image.size)
        image = image.resize((round(image.width * s), round(image.height * s)),
                             Image.Resampling.LANCZOS, reducing_gap=3.0)  # fmt: skip
    product = extract_product(image, cutout(image))
    return product, sides(np.asarray(product.rgba.getchannel("A")) >= 128)


def banner_lines(image: Image.Image) -> dict[str, np.ndarray]:
    """The solid matte along each side of the product's box, as the banners pipeline cuts
    ``image`` out (its own, smaller photo) and trims it (alpha > 8)."""
    rgba, _edges = product_cutout(image, Context())
    if rgba.mode != "RGBA":
        return {}
    alpha = np.asarray(rgba.getchannel("A"))
    ys, xs = np.nonzero(alpha > 8)
    return sides(alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] >= 128)


def measure(photos: Path, *, limit: int | None = None, side: int = 600) -> dict[str, Any]:
    """Render every case's scenes and banners and check them (see the module docstring).
    Returns counts, shares and the per-output problems; ``{"skipped": 1}`` without a corpus."""
    manifest = photos / "manifest.csv"
    if not manifest.exists():
        return {"skipped": 1}
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    scene_spec = RenderSpec(outputs=("scenes",), scene_aspects=ASPECTS,
                            scene_styles=("dark", "light"), scene_long_side=side,
                            webp_quality=100)  # fmt: skip
    banner_spec = BannerSpec(background="texture:light", sizes=SIZES, formats=("png",),
                             headline="New season", subline="Soft organic cotton",
                             price="49.00", cta="Shop now",
                             budgets=tuple(f"{s}=10000" for s in SIZES))  # fmt: skip
    cases: list[dict[str, Any]] = []
    outcome: list[tuple[str, str, str, list[str]]] = []
    for row in rows:
        if limit is not None and len(cases) >= limit:
            break
        name = row["file"]
        try:
            image = load(photos, name)
            product, lines = coverage(image)
        except (InvalidImageError, OSError):
            continue
        if not (MODEL_SHOT.match(name) or product.touches_edge):
            continue
        cases.append({"file": name, "edges": product.edges})
        scenes = run_renders(image, scene_spec, Context(seed=1, models={"backdrop": grey}))
        for key, bad in scene_checks(scenes, lines, product.rgba.getchannel("A")):
            outcome.append((name, "scene", key, bad))
        banners = run_banners(image, banner_spec, Context(seed=1, models={"backdrop": grey}))
        for key, bad in banner_checks(banners, banner_lines(image)):
            outcome.append((name, "banner", key, bad))
    ok = [not bad for *_x, bad in outcome]
    scene_ok = [not bad for _n, kind, _k, bad in outcome if kind == "scene"]
    banner_ok = [not bad for _n, kind, _k, bad in outcome if kind == "banner"]
    return {
        "cases": len(cases), "outputs": len(outcome),
        "edge_anchor_ok": sum(ok) / max(1, len(ok)),
        "scenes_ok": sum(scene_ok) / max(1, len(scene_ok)),
        "banners_ok": sum(banner_ok) / max(1, len(banner_ok)),
        "edges": Counter("+".join(c["edges"]) or "uncut" for c in cases),
        "failures": [o for o in outcome if o[3]], "case_list": cases,
    }  # fmt: skip


def contact_sheet(
    photos: Path, cases: list[dict[str, Any]], path: Path, n: int = 8, tile: int = 220
) -> None:
    """Model-shot scenes (bundled brick backdrop) and gradient banners, one case a row, each
    output framed in red so where the frame cuts the product shows."""
    shots = [c for c in cases if MODEL_SHOT.match(c["file"]) and c["edges"]]
    picks, seen = [], set()
    for c in shots:  # one of each cut combination first, then every other one
        if c["edges"] not in seen:
            picks.append(c)
            seen.add(c["edges"])
    picks += [c for c in shots[1::2] if c not in picks]
    rows = []
    for c in picks[:n]:
        image = load(photos, c["file"])
        spec = RenderSpec(outputs=("scenes",), scene_aspects=ASPECTS, scene_styles=("brick",),
                          scene_long_side=480)  # fmt: skip
        cells = [image] + [Image.open(io.BytesIO(o.data)) for o in
                           run_renders(image, spec, Context(seed=3))]  # fmt: skip
        bspec = BannerSpec(sizes=SIZES, formats=("png",), headline="New season", cta="Shop now",
                           price="49.00", budgets=tuple(f"{s}=10000" for s in SIZES))  # fmt: skip
        cells += [Image.open(io.BytesIO(o.data)) for o in run_banners(image, bspec, Context())]
        row = []
        for k, im in enumerate(cells):
            im = im.convert("RGB")
            im.thumbnail((tile * 2 if im.width > 2.5 * im.height else tile, tile))
            edge = (230, 0, 0) if k else (90, 90, 90)
            framed = Image.new("RGB", (im.width + 4, im.height + 4), edge)
            framed.paste(im, (2, 2))
            row.append(framed)
        rows.append(row)
    width = max(sum(t.width + 6 for t in r) for r in rows) if rows else 1
    sheet = Image.new("RGB", (width, len(rows) * (tile + 10) or 1), (250, 250, 250))
    for y, row in enumerate(rows):
        x = 0
        for t in row:
            sheet.paste(t, (x, y * (tile + 10)))
            x += t.width + 6
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=None, help="max cases (photos)")
    ap.add_argument("--side", type=int, default=600, help="scene long side, px")
    ap.add_argument("--sheet", type=Path, default=Path("var/bench/render_edges_sheet.png"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    t = time.perf_counter()
    res = measure(args.photos, limit=args.limit, side=args.side)
    if res.get("skipped"):
        print(f"No corpus at {args.photos}; pass --photos DIR. Nothing measured.")
        print("RESULT skipped=1")
        return
    seconds = time.perf_counter() - t
    print(f"{'cut sides':20} {'photos':>6}")
    for edges, count in sorted(res["edges"].items(), key=lambda kv: -kv[1]):
        print(f"{edges:20} {count:6d}")
    print(f"\n{'output kind':12} {'ok share':>8}\nscenes       {res['scenes_ok']:8.3f}\n"
          f"banners      {res['banners_ok']:8.3f}")  # fmt: skip
    for name, kind, key, bad in res["failures"][:60]:
        print(f"  FAIL {name} {kind} {key}: {'; '.join(bad)}")
    contact_sheet(args.photos, res["case_list"], args.sheet)
    print(f"contact sheet: {args.sheet}")
    print(f"RESULT edge_anchor_ok={res['edge_anchor_ok']:.4f} cases={res['cases']} "
          f"outputs={res['outputs']} scenes_ok={res['scenes_ok']:.4f} "
          f"banners_ok={res['banners_ok']:.4f} seconds={seconds:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
