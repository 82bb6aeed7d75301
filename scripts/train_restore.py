"""Train the bundled restoration weights (restore, restore_gan) from scratch on product photos.

    .venv/bin/python scripts/train_restore.py                       # -> weights/restore.*
    .venv/bin/python scripts/train_restore.py --variant gan         # from restore -> restore_gan

Data: ``--photos`` (default ``/work/shared/datasets/products``); skipped with a message when
the folder is absent. With a ``manifest.csv`` only photos under a licence that allows
redistributing derived weights are used (OSL/AFL, BSD, MIT, Unsplash, CC0). Split: a photo
trains only when ``is_held_out(name)`` is False (the ~20 % held out are what
``benchmarks/restore.py`` measures on). Each photo is halved (a 2 x 2 box average) when its
short side allows, which washes out the corpus's own JPEG artefacts so the targets are clean,
then ``--count`` 192 px patches are cut (biased towards texture, see ``sr_patches``); each
step crops, flips and damages a batch of them (``core/gan/restore_degrade.py``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import torch
from PIL import Image, ImageOps

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan.restore import COND, get_model, save_model  # noqa: E402
from gan_imaging.core.gan.restore_degrade import RECIPES, SHARES  # noqa: E402
from gan_imaging.core.gan.restore_train import RestoreTrainConfig, train_restore  # noqa: E402
from gan_imaging.core.gan.superres import is_held_out  # noqa: E402
from gan_imaging.core.gan.superres_train import sr_patches  # noqa: E402
from gan_imaging.core.gan.weights import WEIGHTS_DIR  # noqa: E402

DEFAULT_PHOTOS = Path("/work/shared/datasets/products")
PATCH = 192
REDISTRIBUTABLE = ("OSL-3.0", "BSD-3-Clause", "MIT", "Unsplash", "CC0")
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def training_photos(root: Path) -> tuple[list[str], str]:
    """Relative names of the training split and a description of the licences used."""
    manifest = root / "manifest.csv"
    if manifest.exists():
        with manifest.open(newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["license"].startswith(REDISTRIBUTABLE)]
        names = [r["file"] for r in rows]
        desc = "; ".join(sorted({r["license"].split(" (")[0] for r in rows}))
    else:
        names = [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
                 if p.suffix.lower() in SUFFIXES]  # fmt: skip
        desc = "unknown (no manifest.csv)"
    return [n for n in sorted(names) if not is_held_out(n)], desc


def clean_photo(path: Path) -> Image.Image:
    """The photo upright, on white, halved (2 x 2 box) when its short side is >= 2 * PATCH."""
    with Image.open(path) as f:
        im = ImageOps.exif_transpose(f).convert("RGBA")
    rgb = Image.new("RGB", im.size, (255, 255, 255))
    rgb.paste(im, mask=im.getchannel("A"))
    return rgb.reduce(2) if min(rgb.size) >= 2 * PATCH else rgb


def load_patches(root: Path, count: int, seed: int) -> tuple[torch.Tensor, dict[str, str]]:
    names, licences = training_photos(root)
    if not names:
        raise SystemExit(f"no training photos under {root}")

    def decoded() -> Iterator[Image.Image]:
        for n in names:
            yield clean_photo(root / n)

    per_image = max(1, -(-count // len(names)))
    patches = sr_patches(decoded(), crop=PATCH, count=count, seed=seed, per_image=per_image)
    info = {
        "source": f"{len(names)} photos of {root.name} (manifest.csv licences), halved, "
        "training split = names with is_held_out(name) False (sha256, 80 %)",
        "licence": f"sources: {licences}; weights: BSD-3-Clause",
    }
    return patches, info


def parse_shares(text: str | None) -> tuple[float, ...] | None:
    """``"gauss=0.3,jpeg=0.24"`` -> every recipe's share (the rest from SHARES)."""
    if not text:
        return None
    shares = dict(zip(RECIPES, SHARES))
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in shares:
            raise SystemExit(f"--shares: unknown recipe {name!r}; use {', '.join(RECIPES)}")
        shares[name.strip()] = float(value)
    return tuple(shares[r] for r in RECIPES)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--variant", choices=("psnr", "gan"), default="psnr")
    ap.add_argument("--steps", type=int, default=None, help="default 7000 psnr, 600 gan")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--convs", type=int, default=4)
    ap.add_argument("--factor", type=int, choices=(1, 2, 4), default=2)
    ap.add_argument("--shares", default=None,
                    help="damage recipe probabilities, e.g. gauss=0.3,jpeg=0.24 (others as "
                    "in core/gan/restore_degrade.SHARES; normalised)")
    ap.add_argument("--blind", action="store_true",
                    help="a blind net (not told the noise and JPEG quality the photo reads)")
    ap.add_argument("--lr", type=float, default=None, help="default 1e-3 psnr, 1e-4 gan")
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--count", type=int, default=1024, help="patches cut from the photos")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these weights (gan: default restore; psnr: none)")
    ap.add_argument("--out", type=Path, default=None, help="prefix (default weights/restore*)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="stop after this many seconds (the result then depends on the speed)")
    args = ap.parse_args()
    if not args.photos.is_dir():
        print(f"skipped: no photo folder at {args.photos}")
        return
    torch.set_num_threads(args.threads)
    gan = args.variant == "gan"
    t = time.perf_counter()
    patches, info = load_patches(args.photos, args.count, args.seed)
    print(f"{patches.shape[0]} patches of {PATCH} px ({time.perf_counter() - t:.0f} s)",
          flush=True)
    cfg = RestoreTrainConfig(
        features=args.features, convs=args.convs, factor=args.factor,
        cond=0 if args.blind else COND, shares=parse_shares(args.shares),
        steps=args.steps if args.steps is not None else (600 if gan else 7000),
        batch=args.batch, crop=args.crop,
        lr=args.lr if args.lr is not None else (1e-4 if gan else 1e-3),
        adv_weight=0.02 if gan else 0.0, fm_weight=0.5 if gan else 0.0,
        seed=args.seed, name="gan" if gan else "psnr", log_every=args.log_every,
    )  # fmt: skip
    # gan: from the PSNR net (default the bundled one); psnr: from --init when given (resume).
    init = (get_model(args.init or WEIGHTS_DIR / "restore.safetensors") if gan
            else get_model(args.init) if args.init else None)

    def progress(step: int, total: int, m: dict[str, float]) -> None:
        print(f"  [{args.variant}] {step}/{total} loss={m['loss']:.5f} psnr={m['psnr']:.2f} "
              f"adv={m['adv']:.3f} loss_d={m['loss_d']:.3f} "
              f"{m['sec_per_step'] * 1000:.0f} ms/step", flush=True)  # fmt: skip

    start = time.perf_counter()
    limit = args.time_limit

    def should_stop() -> bool:
        return limit is not None and time.perf_counter() - start > limit

    model = train_restore(cfg, patches, init=init, progress=progress, should_stop=should_stop)
    model.info = {**info, "command": " ".join(sys.argv[1:]), "threads": args.threads,
                  "config": cfg.__dict__}  # fmt: skip
    out = args.out or WEIGHTS_DIR / ("restore_gan" if gan else "restore")
    weights, sidecar = save_model(model, out)
    print(f"{model.model_version}: {weights} ({weights.stat().st_size / 1024:.0f} KiB), "
          f"{sidecar}")


if __name__ == "__main__":
    main()
