"""Train the bundled cutout (product segmentation) network. One command, reproducible:

    .venv/bin/python scripts/train_cutout.py                       # -> gan_imaging/core/weights/
    .venv/bin/python scripts/train_cutout.py --steps 50 --out /tmp/cutout   # a quick try

Data: the corpus at ``--photos`` (default ``../shared/datasets/products``). Foregrounds are
the transparent PNG cutouts (manifest ``bg=transparent``); backgrounds are the real photos with
``bg=complex`` or ``plain-color`` (``mate-backgrounds`` and lifestyle/catalogue shots) plus
random plain colours (a quarter of the samples). Every file is put in ``train`` or ``eval`` by
the SHA-256 of its name (:func:`gan_imaging.core.vision.synth.split_of`, 1 in 5 held out);
only ``train`` files are used here, so ``benchmarks/renders.py`` measures on unseen cutouts
and unseen backgrounds.

Each step composes a fresh batch at 160x160 px with augmentation (flips, aspect, colour
jitter, background blur, noise) and minimises BCE + soft Dice. ``--hard P`` makes a share P of
the samples hard cases (:mod:`gan_imaging.core.vision.synth_hard`: light and grey products on
white, flat cards, glass, thin parts, enclosed background; the six categories in turn), composed
at 320 px and reduced to 160 px like a photo. CPU only (``--threads``, default 1); the same
command, thread count and torch version give the same weights. Weights are stored as float16.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.vision import synth, synth_hard  # noqa: E402
from gan_imaging.core.vision.segnet import (  # noqa: E402
    BUNDLED_CUTOUT,
    SegModel,
    TinyUNet,
    load_model,
    save_model,
    widen,
)

SIZE = 160
#: The default architecture; ``--width``/``--max-width`` change it, and ``--init`` from a
#: narrower net of the same depth widens that net first (:func:`segnet.widen`).
ARCH_KWARGS = {"width": 12, "levels": 5, "max_width": 40}
DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "products"


def corpus(photos: Path, split: str) -> tuple[list[str], list[str]]:
    """(cutout names, background names) of ``split`` in the corpus manifest."""
    rows = list(csv.DictReader((photos / "manifest.csv").open(encoding="utf-8")))
    mine = [r for r in rows if synth.split_of(r["file"]) == split]
    cut = [r["file"] for r in mine if r["bg"] == "transparent"]
    bgs = [r["file"] for r in mine if r["bg"] in ("complex", "plain-color")]
    return sorted(cut), sorted(bgs)


def batch(
    cutouts: list[np.ndarray],
    backgrounds: list[np.ndarray],
    n: int,
    rng: np.random.Generator,
    distractors: float = 0.0,
    hard: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` composites at SIZE px: (x float (n, 3, S, S) in [-1, 1], y float (n, 1, S, S) 0–1).
    With probability ``distractors`` (0–1) a second, smaller cutout is first pasted into the
    background and labelled background (tried: it lowered the benchmark's complex IoU, see
    RESULTS.md; the bundled weights use 0). One number is drawn for it per sample either way.
    With probability ``hard`` (0–1) the sample is a hard case instead (see the module doc); the
    number for that is drawn only when ``hard`` > 0, so older recipes replay unchanged.
    """
    xs, ys = [], []
    for _ in range(n):
        if hard > 0 and rng.random() < hard:
            category = synth_hard.CATEGORIES[int(rng.integers(len(synth_hard.CATEGORIES)))]
            rgb, alpha = synth_hard.hard_composite(category, cutouts, backgrounds,
                                                   (2 * SIZE, 2 * SIZE), rng, jitter=True)
            xs.append(np.asarray(Image.fromarray(rgb).resize((SIZE, SIZE),
                                                             Image.Resampling.BILINEAR)))
            ys.append(np.asarray(Image.fromarray(alpha).resize((SIZE, SIZE),
                                                               Image.Resampling.BILINEAR)))
            continue
        fg = cutouts[int(rng.integers(len(cutouts)))]
        if rng.random() < 0.25:
            bg = synth.plain_background(synth.random_colour(rng), (64, 64))
        else:
            bg = backgrounds[int(rng.integers(len(backgrounds)))]
        if rng.random() < distractors:
            other = cutouts[int(rng.integers(len(cutouts)))]
            bg, _ = synth.composite(other, bg, (SIZE, SIZE), rng, fill=(0.2, 0.6), jitter=True)
        rgb, alpha = synth.composite(fg, bg, (SIZE, SIZE), rng, fill=(0.35, 0.97), jitter=True)
        xs.append(rgb)
        ys.append(alpha)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 127.5 - 1
    y = torch.from_numpy(np.stack(ys))[:, None].float() / 255
    return x, y


def loss_fn(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return bce + dice.mean()


@torch.no_grad()
def evaluate(
    net: torch.nn.Module, cutouts: list[np.ndarray], bgs: list[np.ndarray], hard: float = 0.0
) -> float:
    """Mean IoU (threshold 0.5) on 64 fixed composites of held-out files at the input size
    (``hard``: share of hard cases, 0 for the original figure, 1 for hard cases only)."""
    net.eval()
    rng = np.random.default_rng(12345)
    ious = []
    for _ in range(8):
        x, y = batch(cutouts, bgs, 8, rng, hard=hard)
        p = torch.sigmoid(net(x)) >= 0.5
        t = y >= 0.5
        ious += ((p & t).sum((1, 2, 3)) / (p | t).sum((1, 2, 3)).clamp(min=1)).tolist()
    net.train()
    return float(np.mean(ious))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--out", type=Path, default=BUNDLED_CUTOUT.with_suffix(""))
    ap.add_argument("--steps", type=int, default=3600)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--distractors", type=float, default=0.0,
                    help="share of samples with a smaller second cutout in the background")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these weights (.safetensors) instead of a fresh net")
    ap.add_argument("--hard", type=float, default=0.0,
                    help="share of samples that are hard cases (synth_hard categories)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--width", type=int, default=ARCH_KWARGS["width"],
                    help="channels of the first level (doubling per level up to --max-width)")
    ap.add_argument("--max-width", type=int, default=ARCH_KWARGS["max_width"])
    args = ap.parse_args()
    if not (args.photos / "manifest.csv").exists():
        sys.exit(f"No corpus at {args.photos} (manifest.csv missing); pass --photos DIR.")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    data = {}
    for split in ("train", "eval"):
        cut_names, bg_names = corpus(args.photos, split)
        cuts = [c for c in (synth.load_cutout(args.photos / n, 320) for n in cut_names)
                if c is not None]  # fmt: skip
        bgs = [synth.load_background(args.photos / n, 256) for n in bg_names]
        data[split] = (cuts, bgs)
        print(f"{split}: {len(cuts)} cutouts, {len(bgs)} backgrounds", flush=True)
    print(f"loaded in {time.time() - t0:.0f} s", flush=True)
    arch = {"width": args.width, "levels": 5, "max_width": args.max_width}
    widened_from = None
    if args.init is not None:
        base = load_model(args.init)
        same = base.arch_kwargs == arch
        grow = base.arch_kwargs.get("levels") == arch["levels"] and not same
        if base.input_size != SIZE or not (same or grow):
            sys.exit(f"{args.init} is a {base.arch_kwargs} net at {base.input_size} px; "
                     f"this script trains {arch} at {SIZE} px.")  # fmt: skip
        init_version = base.model_version  # before training changes the weights
        net = base.net
        if grow:  # a wider net computing the same function to start with
            assert isinstance(net, TinyUNet)
            net = widen(net, width=arch["width"], max_width=arch["max_width"])
            widened_from = dict(base.arch_kwargs)
        net = net.train().requires_grad_(True)
        print(f"starting from {init_version}" + (f", widened to {arch}" if grow else ""),
              flush=True)  # fmt: skip
    else:
        net = TinyUNet(**arch)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=0.1)  # fmt: skip
    t1 = time.time()
    running = 0.0
    for step in range(1, args.steps + 1):
        x, y = batch(*data["train"], args.batch, rng, args.distractors, args.hard)
        loss = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 100 == 0 or step == args.steps:
            print(f"step {step}/{args.steps} loss {running:.4f} "
                  f"{(time.time() - t1) / step:.2f} s/step", flush=True)  # fmt: skip
    train_s = time.time() - t1
    net.eval()
    iou = evaluate(net, *data["eval"])
    iou_hard = evaluate(net, *data["eval"], hard=1.0)
    print(f"eval IoU at {SIZE}px: {iou:.4f}, hard cases {iou_hard:.4f}", flush=True)
    model = SegModel(
        "tiny_unet", arch, net, SIZE, "cutout",
        metrics={"eval_iou_160": round(iou, 4), "eval_iou_hard_160": round(iou_hard, 4),
                 "train_seconds": round(train_s, 1), "threads": args.threads,
                 "steps": args.steps, "batch": args.batch},
        info={
            "trained_by": "scripts/train_cutout.py",
            "data": "transparent cutouts (bg=transparent) composited on bg=complex/plain-color "
                    "photos and plain colours; split by sha256(file name) % 5 == 0 -> eval"
                    + ("; plus hard cases (synth_hard: recoloured cutouts, procedural cards, "
                       "mugs, bags, cables, rings, glassware, figures)" if args.hard else ""),
            "corpus": "../shared/datasets/products (see its MANIFEST.md for sources/licences)",
            "train_cutouts": len(data["train"][0]),
            "train_backgrounds": len(data["train"][1]),
            "seed": args.seed,
            "lr": args.lr,
            "init": None if args.init is None else init_version,
            "distractors": args.distractors,
            "hard": args.hard,
            "widened_from": widened_from,
        },
    )  # fmt: skip
    weights, sidecar = save_model(model, args.out)
    print(f"wrote {weights} ({weights.stat().st_size // 1024} KiB), {sidecar}; "
          f"version {model.model_version}")  # fmt: skip


if __name__ == "__main__":
    main()
