"""Train the bundled super-resolution weights (sr_x2, sr_x4 and their _gan variants).

One command per model, reproducible (same command, seed, torch version and thread count ->
same weights):

    .venv/bin/python scripts/train_sr.py --scale 2                      # -> weights/sr_x2.*
    .venv/bin/python scripts/train_sr.py --scale 4                      # -> weights/sr_x4.*
    .venv/bin/python scripts/train_sr.py --scale 2 --variant gan        # from sr_x2 -> sr_x2_gan
    .venv/bin/python scripts/train_sr.py --export-patches /tmp/p.npz    # for a machine without
    .venv/bin/python scripts/train_sr.py --patches /tmp/p.npz --device cuda --scale 4  # photos

Data: ``--photos`` (default ``/work/shared/datasets/products``). With a ``manifest.csv`` only
photos under a licence that allows redistributing derived weights are used (OSL/AFL, BSD, MIT,
Unsplash, CC0: not "unknown" and not GPL). Split: a photo trains only when
``is_held_out(name)`` is False (sha256 of its relative path, ~80 %); ``benchmarks/
super_resolution.py`` evaluates only the held-out ~20 %. From each training photo a few
192 px patches are cut (biased towards texture, see ``sr_patches``) and kept in memory as uint8;
each step crops, flips and degrades a batch of them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan import TrainConfig, save, train  # noqa: E402
from gan_imaging.core.gan.superres import is_held_out  # noqa: E402
from gan_imaging.core.gan.superres_train import sr_patches  # noqa: E402
from gan_imaging.core.gan.weights import WEIGHTS_DIR  # noqa: E402

DEFAULT_PHOTOS = Path("/work/shared/datasets/products")
PATCH = 192  # HR patch side in the cache / export (x4: 48 px LR inputs)
EXPORT_LIMIT = 40 * 2**20
REDISTRIBUTABLE = ("OSL-3.0", "BSD-3-Clause", "MIT", "Unsplash", "CC0")
ARCH_KWARGS = {"features": 32, "convs": 6, "d_width": 32}
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def training_photos(root: Path) -> tuple[list[str], str]:
    """Relative names of the training split and a description of the licences used."""
    manifest = root / "manifest.csv"
    if manifest.exists():
        with manifest.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        ok = [r for r in rows if r["license"].startswith(REDISTRIBUTABLE)]
        names = [r["file"] for r in ok]
        licences = sorted({r["license"].split(" (")[0] for r in ok})
        desc = "; ".join(licences)
    else:
        files = sorted(root.rglob("*"))
        names = [str(p.relative_to(root)) for p in files if p.suffix.lower() in SUFFIXES]
        desc = "unknown (no manifest.csv)"
    return [n for n in sorted(names) if not is_held_out(n)], desc


def load_patches(root: Path, count: int, seed: int) -> tuple[torch.Tensor, dict[str, str]]:
    names, licences = training_photos(root)
    if not names:
        raise SystemExit(f"no training photos under {root}")

    def usable(name: str) -> bool:
        with Image.open(root / name) as f:  # reads the header only
            return min(f.size) >= PATCH

    def decoded() -> Iterator[Image.Image]:
        # One photo at a time: holding ~400 decoded photos would take gigabytes.
        for n in names:
            with Image.open(root / n) as f:
                im = ImageOps.exif_transpose(f)
                yield im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")

    n_usable = sum(map(usable, names))
    per_image = max(1, -(-count // max(1, n_usable)))
    patches = sr_patches(decoded(), crop=PATCH, count=count, seed=seed, per_image=per_image)
    info = {
        "source": f"{len(names)} photos of {root.name} (manifest.csv licences), training split "
        "= names with is_held_out(name) False (sha256, 80 %)",
        "licence": f"sources: {licences}; weights: BSD-3-Clause",
    }
    return patches, info


def config(
    scale: int, variant: str, *, steps: int, device: str, seed: int, batch: int, lr_patch: int
) -> TrainConfig:
    common: dict[str, Any] = dict(
        arch="sr",
        arch_kwargs={"scale": scale, **ARCH_KWARGS},
        steps=steps,
        batch_size=batch,
        crop=lr_patch * scale,
        seed=seed,
        device=device,
        bf16=False,
        ema_decay=0.999,
        diffaugment="",
        log_every=100,
        name=f"x{scale}" + ("-gan" if variant == "gan" else ""),
    )
    if variant == "psnr":
        return TrainConfig(
            **common,
            lr_g=1e-3,
            lr_d=1e-4,
            betas=(0.9, 0.99),
            degradation="light",
            pixel_loss="l2",
        )
    return TrainConfig(
        **common,
        lr_g=1e-4,
        lr_d=1e-4,
        betas=(0.5, 0.99),
        loss="ns",
        warmup_steps=0,
        adv_weight=0.03,
        fm_weight=1.0,
        degradation="strong",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", type=int, choices=(2, 4), default=2)
    ap.add_argument("--variant", choices=("psnr", "gan"), default="psnr")
    ap.add_argument("--steps", type=int, default=None, help="default 5000 psnr, 1000 gan")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr-patch", type=int, default=32, help="low-res patch side, px")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--patches", type=Path, default=None, help="read HR patches from this .npz")
    ap.add_argument("--export-patches", type=Path, default=None, help="write patches and exit")
    ap.add_argument("--count", type=int, default=1024, help="HR patches cut from the photos")
    ap.add_argument("--init", type=Path, default=None, help="gan: start from (default sr_xN)")
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="stop after this many seconds (a guard for leased GPUs; the result then depends "
        "on the machine's speed)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.patches is not None:
        with np.load(args.patches) as z:
            patches = torch.from_numpy(z["patches"])
            info = {"source": str(z["source"]), "licence": str(z["licence"])}
    else:
        patches, info = load_patches(args.photos, args.count, args.seed)
    print(f"{patches.shape[0]} HR patches of {patches.shape[2]} px", flush=True)
    if args.export_patches is not None:
        count = patches.shape[0]
        while True:  # JPEG-like photos compress ~2x; shrink until the file fits
            np.savez_compressed(
                args.export_patches,
                patches=patches[:count].numpy(),
                **info,  # type: ignore[arg-type]
            )
            size = args.export_patches.stat().st_size
            if size <= EXPORT_LIMIT:
                break
            count = int(count * EXPORT_LIMIT / size * 0.97)
        print(f"wrote {count} patches to {args.export_patches} ({size / 2**20:.1f} MiB)")
        return

    steps = args.steps if args.steps is not None else (5000 if args.variant == "psnr" else 1000)
    cfg = config(
        args.scale,
        args.variant,
        steps=steps,
        device=args.device,
        seed=args.seed,
        batch=args.batch,
        lr_patch=args.lr_patch,
    )
    init = None
    if args.variant == "gan":
        init = args.init or (args.out / f"sr_x{args.scale}.safetensors")

    def progress(step: int, total: int, m: dict[str, float]) -> None:
        print(
            f"  [x{args.scale} {args.variant}] {step}/{total} l1={m['l1']:.4f} "
            f"psnr={m['psnr']:.2f} adv={m['adv']:.3f} fm={m['fm']:.3f} loss_d={m['loss_d']:.3f} "
            f"{m['sec_per_step'] * 1000:.0f} ms/step",
            flush=True,
        )

    cfg = cfg.replace(log_every=args.log_every)
    t = time.perf_counter()
    limit = args.time_limit

    def should_stop() -> bool:
        return limit is not None and time.perf_counter() - t > limit

    ckpt = train(cfg, patches, progress=progress, should_stop=should_stop, init=init)
    ckpt.info = {**info, "command": " ".join(sys.argv[1:]), "threads": args.threads}
    ckpt.metrics["wall_s"] = round(time.perf_counter() - t, 1)
    suffix = "" if args.variant == "psnr" else "_gan"
    weights, sidecar = save(
        ckpt, args.out / f"sr_x{args.scale}{suffix}", inference_only=True, half=True
    )
    print(f"{ckpt.model_version}: {weights} ({weights.stat().st_size / 1024:.0f} KiB), {sidecar}")


if __name__ == "__main__":
    main()
