"""Banner sets: seconds per banner on the CPU, budget and contrast compliance, text overflow.

For each of ``--limit`` products from the photo corpus (mixed backgrounds; transparent PNGs
keep their alpha as the cut-out), the full default set (6 IAB + 4 social sizes, JPEG) is
made in English and in Chinese with the ``banners`` pipeline (gradient backgrounds: what runs
on a CPU worker; ``--background texture:brick`` for GAN backdrops). Per banner: wall time
(render + budget encode), whether the file met its budget, whether every text reached WCAG AA
on the rendered pixels, and text elements whose ink left their box or had to be dropped.

Anchor, in the same run: a *fixed template* as template tools fill it — one layout scaled to
each size (product left half, text right half), text at a fixed 8 % of the height in the
brand's text colour, no fitting, no contrast check, JPEG quality 85. Its overflow is text
ink beyond the canvas or into the product half; its contrast is measured the same way.

A contact sheet of one product's full set in both languages goes to
``var/bench/banners_sheet.png``.

    nice -n 10 .venv/bin/python benchmarks/banners.py [--photos DIR] [--limit 20]

Ends with ``RESULT banner_s=… budget_ok=… contrast_ok=… overflow=…``. Without the corpus a
synthetic product stands in.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.pipelines import Context  # noqa: E402
from gan_imaging.core.pipelines.banners import (  # noqa: E402
    DEFAULT_BUDGETS_KB,
    PIPELINE,
    BannerSpec,
)
from gan_imaging.core.vision.contrast import worst_contrast  # noqa: E402
from gan_imaging.core.vision.fonts import font_for_text, load_font  # noqa: E402

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
OUT = Path(__file__).resolve().parents[1] / "var" / "bench"

EN = {"headline": "{name} — new season, lighter than ever", "subline": "Free shipping over $50",
      "cta": "Shop now", "locale": "en-US", "currency": "USD"}  # fmt: skip
ZH = {"headline": "{name}，新品上市，轻盈舒适一整天", "subline": "满299包邮（七天无理由退货）",
      "cta": "立即购买", "locale": "zh-CN", "currency": "CNY"}  # fmt: skip


def load_products(photos: Path, limit: int) -> list[tuple[str, Image.Image]]:
    """``limit`` corpus photos, round-robin over background classes, decoded ≤ 1200 px."""
    manifest = photos / "manifest.csv"
    if not manifest.is_file():
        im = Image.new("RGBA", (600, 800), (0, 0, 0, 0))
        ImageDraw.Draw(im).rounded_rectangle((100, 80, 500, 760), 60, fill=(200, 40, 60, 255))
        return [(f"Synthetic {i}", im) for i in range(limit)]
    by_bg: dict[str, list[str]] = {}
    with manifest.open() as fh:
        for row in csv.DictReader(fh):
            by_bg.setdefault(row["bg"], []).append(row["file"])
    picked: list[str] = []
    while len(picked) < limit and any(by_bg.values()):
        for files in by_bg.values():
            if files and len(picked) < limit:
                picked.append(files.pop(0))
    out = []
    for rel in picked:
        with Image.open(photos / rel) as im:
            im.draft("RGB", (1200, 1200))
            im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
        im.thumbnail((1200, 1200))
        name = Path(rel).stem.replace("-", " ").replace("_", " ").title()[:28]
        out.append((name, im))
    return out


def anchor_banner(w: int, h: int, product: Image.Image, text: str, locale: str) -> dict[str, float]:
    """The fixed template: returns seconds, budget_ok, contrast_ok, overflow for one banner."""
    t0 = time.perf_counter()
    im = Image.new("RGB", (w, h), (24, 48, 96))
    prod = product.copy()
    prod.thumbnail((w // 2, h))
    im.paste(prod.convert("RGB"), (0, 0), prod.getchannel("A") if prod.mode == "RGBA" else None)
    size = max(6, round(0.08 * h))
    font = load_font(font_for_text(text, locale, bold=True), size)
    mask = Image.new("L", (w * 2, h * 2))
    ImageDraw.Draw(mask).text((w // 2 + 4, h // 10), text, font=font, fill=255)
    ink = mask.getbbox()
    im.paste((255, 255, 255), (0, 0), mask.crop((0, 0, w, h)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    dt = time.perf_counter() - t0
    overflow = ink is not None and (ink[2] > w or ink[3] > h)
    # The template's text sits on its flat backdrop (the product is in the other half).
    bg = np.asarray(Image.new("RGB", (w, h), (24, 48, 96)))[h // 10 : h, w // 2 : w]
    ok = worst_contrast((255, 255, 255), bg) >= 4.5
    return {"s": dt, "budget": len(buf.getvalue()) <= DEFAULT_BUDGETS_KB[f"{w}x{h}"] * 1000,
            "contrast": ok, "overflow": float(overflow)}  # fmt: skip


def sheet(outputs: list[list[tuple[str, bytes]]], path: Path) -> None:
    """One row per language, banners scaled to ≤ 360 px tall, on grey."""
    rows = []
    for outs in outputs:
        ims = []
        for _key, data in outs:
            im = Image.open(io.BytesIO(data)).convert("RGB")
            scale = min(1.0, 360 / im.height, 600 / im.width)
            ims.append(im.resize((round(im.width * scale), round(im.height * scale))))
        rows.append(ims)
    width = max(sum(i.width + 8 for i in r) for r in rows) + 8
    height = sum(max(i.height for i in r) + 8 for r in rows) + 8
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    y = 8
    for r in rows:
        x = 8
        for im in r:
            canvas.paste(im, (x, y))
            x += im.width + 8
        y += max(i.height for i in r) + 8
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=Path, default=PHOTOS)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--background", default="gradient")
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    products = load_products(args.photos, args.limit)
    print(f"{len(products)} products from {args.photos if args.photos.is_dir() else 'synthetic'}"
          f"; background={args.background}; cpu={os.cpu_count()}")  # fmt: skip
    times: list[float] = []
    budget_ok = contrast_ok = overflow = truncated = n = 0
    anchor: list[dict[str, float]] = []
    first: list[list[tuple[str, bytes]]] = []
    for p, (name, im) in enumerate(products):
        for copy in (EN, ZH):
            spec = BannerSpec.from_dict(
                {**copy, "headline": str(copy["headline"]).format(name=name), "price": "129.99",
                 "sale_price": "99.99", "background": args.background, "brand_name": "Acme"}
            )  # fmt: skip
            t0 = time.perf_counter()
            outs = PIPELINE.run(im, spec, Context(seed=p))
            times.append((time.perf_counter() - t0) / len(outs))
            for o in outs:
                n += 1
                budget_ok += o.meta["budget_met"] and o.meta["bytes"] <= o.meta["budget"]
                contrast_ok += o.meta["contrast_ok"]
                overflow += o.meta["overflow"]
                truncated += sum(bool(t.get("truncated")) for t in o.meta["text"].values())
                w, h = o.width, o.height
                anchor.append(anchor_banner(w, h, im, spec.headline, spec.locale))
            if p == 0:
                first.append([(o.key, o.data) for o in outs])
    sheet(first, OUT / "banners_sheet.png")
    banner_s = statistics.fmean(times)
    a_s = statistics.fmean(a["s"] for a in anchor)
    a_budget = statistics.fmean(a["budget"] for a in anchor)
    a_contrast = statistics.fmean(a["contrast"] for a in anchor)
    a_over = int(sum(a["overflow"] for a in anchor))
    print(f"{'':18}{'s/banner':>10}{'budget_ok':>11}{'contrast_ok':>13}{'overflow':>10}")
    print(f"{'ours':18}{banner_s:>10.3f}{budget_ok / n:>11.3f}{contrast_ok / n:>13.3f}"
          f"{overflow:>10d}")  # fmt: skip
    print(f"{'fixed template':18}{a_s:>10.3f}{a_budget:>11.3f}{a_contrast:>13.3f}{a_over:>10d}")
    print(f"{n} banners; time ratio ours/template {banner_s / a_s:.1f}x; "
          f"{truncated} texts ellipsized; sheet: {OUT / 'banners_sheet.png'}")  # fmt: skip
    print(f"RESULT banner_s={banner_s:.3f} budget_ok={budget_ok / n:.3f} "
          f"contrast_ok={contrast_ok / n:.3f} overflow={overflow}")  # fmt: skip


if __name__ == "__main__":
    main()
