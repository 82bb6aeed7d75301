"""Render success: is the product found and rendered on photos that show one, and refused on
photos that show none?

    python benchmarks/render_success.py [--photos DIR] [--limit N] [--sheet PNG]

Each photo goes the pipeline's way: decoded, reduced to ``renders.WORK_SIDE``, then
:func:`~gan_imaging.core.vision.cutout.cutout` (``method="auto"``, with its salient fallback:
the call ``renders.run`` makes), :func:`extract_product` and
:func:`render_packshot` (defaults: fill 0.85, 1000–2000 px). A photo *succeeds* when both
return; *refused* when ``extract_product`` raises ``InvalidImageError`` ("No product could be
found").

Which corpus photos show one product (manifest ``notes``): ``catalog``, ``demo product
image``, ``photo-mockup …`` and ``amateur/phone-style product photo``. Not counted: banners
and lifestyle scenes (``lifestyle …``, ``… banner …``), the Sylius fixtures (no notes; people
wearing products, piles of books or mugs) and Vendure's Unsplash assets (``photographer
slug``: one product each, but several are room scenes); the Vendure photos are reported on
their own line (``store_success``). Non-products: the ``large nature photo (not a product)``
photos plus synthetic ones (uniform, noise, star field, brick wall) and, when scikit-image is
installed, its ``hubble_deep_field``, ``brick``, ``gravel`` and ``grass``. scikit-image's
rocket, cat, motorcycle and coffee photos are a demo group (counted in neither figure). A
contact sheet (photo | cutout on green) of the products found by the network or the salient
fallback is written to ``--sheet``; look at it: a found product must be the whole object.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.errors import InvalidImageError  # noqa: E402
from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.pipelines.renders import WORK_SIDE  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.packshot import extract_product, render_packshot  # noqa: E402
from gan_imaging.core.vision.segnet import SegModel, get_model  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
DEFAULT_SHEET = Path("var/bench/render_success_sheet.png")
PRODUCT_NOTES = ("catalog", "demo product image", "amateur/phone-style product photo")
THUMB = 128


def shows_one_product(row: dict[str, str]) -> bool:
    """The rule of the module doc, on a manifest row."""
    notes = row["notes"]
    return notes in PRODUCT_NOTES or notes.startswith("photo-mockup")


def synthetic_non_products() -> dict[str, Image.Image]:
    """800×600 photos with nothing to cut out: flat, noise, stars, a brick wall (seeded)."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    out = {"uniform": Image.new("RGB", (800, 600), (128, 120, 110)),
           "noise": Image.fromarray(noise)}  # fmt: skip
    stars = Image.new("RGB", (800, 600), (5, 5, 12))
    d = ImageDraw.Draw(stars)
    for _ in range(400):
        x, y = rng.uniform(0, 800), rng.uniform(0, 600)
        r, v = rng.uniform(0.5, 3), rng.uniform(90, 255)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(int(v), int(v), int(v * 0.9)))
    out["star field"] = stars.filter(ImageFilter.GaussianBlur(0.6))
    wall = Image.new("RGB", (800, 600), (200, 195, 185))
    d = ImageDraw.Draw(wall)
    for row in range(0, 600, 40):
        for x in range(-45 * (row // 40 % 2), 800, 90):
            c = (int(rng.uniform(140, 175)), int(rng.uniform(55, 75)), int(rng.uniform(40, 55)))
            d.rectangle((x + 3, row + 3, x + 87, row + 37), fill=c)
    grain = rng.integers(-12, 13, (600, 800, 1))
    out["brick wall"] = Image.fromarray(np.clip(np.asarray(wall) + grain, 0, 255).astype(np.uint8))
    return out


def _skimage(names: tuple[str, ...]) -> dict[str, Callable[[], Image.Image]]:
    try:
        from skimage import data
    except ImportError:
        return {}
    root = Path(data.__file__).parent
    return {f"skimage/{n}": partial(Image.open, root / n) for n in names if (root / n).exists()}


def attempt(image: Image.Image, model: SegModel) -> dict[str, Any]:
    """One photo the pipeline's way: ``found`` (bool), ``method``, ``alpha``, ``seconds``."""
    if max(image.size) > WORK_SIDE:
        scale = WORK_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    t = time.perf_counter()
    matte = cutout(image, model=model)
    cut_s = time.perf_counter() - t
    try:
        render_packshot(extract_product(image, matte))
        found = True
    except InvalidImageError:
        found = False
    return {"found": found, "method": matte.method, "alpha": matte.alpha, "image": image,
            "seconds": cut_s}  # fmt: skip


Loader = Callable[[], Image.Image]


def _decode(path: Path) -> Image.Image:
    image, _info = decode(path.read_bytes())
    return image


def _photos(photos: Path, limit: int | None) -> Iterator[tuple[str, str, Loader]]:
    """(group, name, loader) for every photo of the benchmark."""
    rows = list(csv.DictReader((photos / "manifest.csv").open(encoding="utf-8")))
    groups = {
        "product": [r for r in rows if shows_one_product(r)],
        "store": [r for r in rows if r["source"] == "vendure-unsplash"],
        "not a product": [r for r in rows if r["notes"] == "large nature photo (not a product)"],
    }
    for group, items in groups.items():
        for r in items[:limit]:
            yield group, r["file"], partial(_decode, photos / r["file"])
    for name, im in synthetic_non_products().items():
        yield "not a product", f"synthetic/{name}", partial(Image.Image.copy, im)
    names = ("hubble_deep_field.jpg", "brick.png", "gravel.png", "grass.png")
    for name, load in _skimage(names).items():
        yield "not a product", name, load
    demo = ("rocket.jpg", "chelsea.png", "motorcycle_left.png", "coffee.png")
    for name, load in _skimage(demo).items():
        yield "demo", name, load


def _cell(image: Image.Image, alpha: Image.Image, label: str) -> Image.Image:
    photo = image.convert("RGB")
    cut = Image.new("RGB", photo.size, (0, 170, 0))
    cut.paste(photo, (0, 0), alpha)
    cell = Image.new("RGB", (2 * THUMB + 4, THUMB + 14), "white")
    for k, im in enumerate((photo, cut)):
        im.thumbnail((THUMB, THUMB))
        cell.paste(im, (k * (THUMB + 4), 0))
    ImageDraw.Draw(cell).text((2, THUMB + 1), label[-40:], fill=(0, 0, 0))
    return cell


def measure(photos: Path, *, limit: int | None = None, sheet: Path | None = None) -> dict[str, Any]:
    """Run the benchmark (module doc). ``limit``: photos per corpus group. Returns the
    figures and a ``rows`` list (group, name, found, method, seconds); an empty dict when
    ``photos`` has no manifest."""
    if not (photos / "manifest.csv").exists():
        return {}
    torch.set_num_threads(1)
    model = get_model()
    rows, cells = [], []
    for group, name, load in _photos(photos, limit):
        r = attempt(load(), model)
        rows.append({"group": group, "name": name, "found": r["found"], "method": r["method"],
                     "seconds": r["seconds"]})  # fmt: skip
        if r["found"] and (group == "demo" or r["method"] in ("network", "salient")):
            cells.append(_cell(r["image"], r["alpha"], f"{r['method']}: {Path(name).name}"))

    def share(group: str, want: bool) -> float:
        got = [x["found"] == want for x in rows if x["group"] == group]
        return sum(got) / max(1, len(got))

    if sheet is not None and cells:
        cols, (w, h) = 6, (cells[0].width + 4, cells[0].height + 4)
        out = Image.new("RGB", (cols * w, -(-len(cells) // cols) * h), "grey")
        for i, c in enumerate(cells):
            out.paste(c, ((i % cols) * w, (i // cols) * h))
        sheet.parent.mkdir(parents=True, exist_ok=True)
        out.save(sheet)
    return {
        "render_success": share("product", True),
        "refused_non_products": share("not a product", False),
        "store_success": share("store", True),
        "photos": sum(x["group"] == "product" for x in rows),
        "non_products": sum(x["group"] == "not a product" for x in rows),
        "mean_s": float(np.mean([x["seconds"] for x in rows])),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--limit", type=int, default=None, help="photos per corpus group")
    parser.add_argument("--sheet", type=Path, default=DEFAULT_SHEET)
    args = parser.parse_args()
    t = time.perf_counter()
    res = measure(args.photos, limit=args.limit, sheet=args.sheet)
    if not res:
        print(f"no corpus at {args.photos} (manifest.csv missing): skipped")
        print("RESULT skipped=1")
        return
    print(f"{'group':14s} {'photo':58s} {'result':8s} {'method':8s} {'s':>5s}")
    for x in res["rows"]:
        if x["group"] != "product" or not x["found"] or x["method"] not in ("alpha", "plain"):
            verdict = "found" if x["found"] else "REFUSED"
            print(f"{x['group']:14s} {x['name'][-58:]:58s} {verdict:8s} {x['method']:8s} "
                  f"{x['seconds']:5.2f}")  # fmt: skip
    print("(product photos found by the alpha or plain path are not listed)")
    print(f"contact sheet: {args.sheet}; wall {time.perf_counter() - t:.0f} s")
    print(f"RESULT render_success={res['render_success']:.3f} "
          f"refused_non_products={res['refused_non_products']:.3f} photos={res['photos']} "
          f"non_products={res['non_products']} store_success={res['store_success']:.3f} "
          f"mean_cutout_s={res['mean_s']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
