"""Fit the bundled quality model (``gan_imaging/core/weights/quality_model.json``).

    python scripts/train_quality_model.py [--photos DIR] [--limit N] [--jobs 2] [--out PATH]

Data: the shared corpus's photos of the **train** split (``synth.split_of``, 4 in 5; the
benchmark scores the eval split), each decoded as the thumbnail pipeline decodes it and
resized (Lanczos, flattened on white) to the default ladder's widths it covers
(1920/1280/960/640/480/320, fit mode). For every rendition, format (AVIF, WebP, JPEG) and floor
(0.95, 0.97, 0.99) the exact crossing is found with the bounded grid search (probes cached per
quality, so three floors cost about seven encodes); the target is its grid index. Renditions
whose grid top misses the floor are left out (the pipeline falls back to the search there).

Fit: ordinary least squares per format on :data:`~gan_imaging.core.imaging.quality_model.
FEATURES`; the margin is the 80th percentile of the training residuals (target − fit), so the
first encode meets the floor about four times in five and the correction handles the rest.
Prints the fit's error and first-pass share on the eval split, then writes the JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.imaging.decode import decode  # noqa: E402
from gan_imaging.core.imaging.encode import encode, flatten  # noqa: E402
from gan_imaging.core.imaging.policy import Limits  # noqa: E402
from gan_imaging.core.imaging.quality import (  # noqa: E402
    QUALITY_GRIDS,
    STEP_RATIO,
    SsimReference,
    decoded_luma,
    luma,
    search_quality,
)
from gan_imaging.core.imaging.quality_model import (  # noqa: E402
    BUNDLED_MODEL,
    FEATURES,
    QualityModel,
    features,
)
from gan_imaging.core.vision.synth import split_of  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"
WIDTHS = (1920, 1280, 960, 640, 480, 320)
FORMATS = ("avif", "webp", "jpeg")
FLOORS = (0.95, 0.97, 0.99)


def photos(root: Path, split: str) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [p for p in files if split_of(str(p.relative_to(root))) == split]


def rows_for(path: Path) -> list[tuple[str, list[float], int, float]]:
    """(format, features, target grid index, floor) for every rendition of one photo."""
    try:
        image, _ = decode(path.read_bytes(), Limits(), filename=path.name, draft_to=(1920, 1920))
    except Exception:  # noqa: BLE001 - a photo the pipeline refuses teaches nothing
        return []
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = []
    for width in [w for w in WIDTHS if w <= image.width] or [image.width]:
        h = max(1, round(image.height * width / image.width))
        im = image.resize((width, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        flat = flatten(im, (255, 255, 255)) if im.mode == "RGBA" else im
        ref = SsimReference(luma(flat))
        for fmt in FORMATS:
            cache: dict[int, tuple[bytes, float]] = {}

            def probe(q: int, fmt: str = fmt, cache: dict = cache, flat: Image.Image = flat,
                      ref: SsimReference = ref) -> tuple[bytes, float]:
                if q not in cache:
                    data = encode(flat, fmt, quality=q, threads=1)
                    cache[q] = (b"", ref.scores(decoded_luma(data))[1])
                return cache[q]

            for floor in FLOORS:
                choice = search_quality(probe, QUALITY_GRIDS[fmt], floor, ratio=STEP_RATIO[fmt])
                if choice.met_floor:
                    target = QUALITY_GRIDS[fmt].index(choice.quality)
                    out.append((fmt, features(ref, floor).tolist(), target, floor))
    return out


def fit(rows: list[tuple[str, list[float], int, float]]) -> QualityModel:
    weights, margin = {}, {}
    for fmt in FORMATS:
        x = np.array([r[1] for r in rows if r[0] == fmt])
        y = np.array([r[2] for r in rows if r[0] == fmt], np.float64)
        a = np.hstack([np.ones((len(x), 1)), x])
        w, *_ = np.linalg.lstsq(a, y, rcond=None)
        weights[fmt] = tuple(round(float(v), 6) for v in w)
        margin[fmt] = round(float(np.percentile(y - a @ w, 80)), 4)
    digest = hashlib.sha256(json.dumps([weights, margin], sort_keys=True).encode()).hexdigest()
    return QualityModel(weights, margin, f"quality-{digest[:10]}")


def evaluate(model: QualityModel, rows: list[tuple[str, list[float], int, float]]) -> None:
    for fmt in FORMATS:
        sel = [r for r in rows if r[0] == fmt]
        if not sel:
            continue
        grid = QUALITY_GRIDS[fmt]
        pred = [grid.index(model.predict(fmt, np.array(r[1]), grid) or grid[-1]) for r in sel]
        truth = [r[2] for r in sel]
        first = np.mean([p >= t for p, t in zip(pred, truth, strict=True)])
        over = np.mean([max(0, p - t) for p, t in zip(pred, truth, strict=True)])
        print(f"  {fmt:5} n={len(sel):5} first pass {first:.3f}  mean steps above the "
              f"exact answer {over:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--limit", type=int, default=0, help="photos per split (0: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=BUNDLED_MODEL)
    args = ap.parse_args()
    if not args.photos.exists():
        sys.exit(f"no corpus at {args.photos}")
    data = {}
    for split in ("train", "eval"):
        files = photos(args.photos, split)
        if args.limit:
            files = files[:: max(1, len(files) // args.limit)][: args.limit]
        with ProcessPoolExecutor(args.jobs) as pool:
            data[split] = [row for rows in pool.map(rows_for, files) for row in rows]
        print(f"{split}: {len(files)} photos, {len(data[split])} rendition×format×floor rows")
    model = fit(data["train"])
    print("train:")
    evaluate(model, data["train"])
    print("eval:")
    evaluate(model, data["eval"])
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({model.version}); features {', '.join(FEATURES)}")


if __name__ == "__main__":
    main()
