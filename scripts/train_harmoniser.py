"""Train the bundled colour/light harmoniser on composites made from the product corpus.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python scripts/train_harmoniser.py \\
        --corpus ../shared/datasets/products --out gan_imaging/core/weights/harmoniser

Photos: the corpus's one-product photos whose licence allows derived weights (see
``harmonise_train.load_corpus``), training split only; each photo's product matte comes from
our own cutout. The mattes are computed once and cached in ``--cache`` (an .npz outside the
repository: it holds corpus pixels, never commit it). After training, the held-out photos are
evaluated at 256 px (PSNR of composites vs harmonised, the figure recorded in the sidecar).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan.harmonise import save_model  # noqa: E402
from gan_imaging.core.gan.harmonise_train import (  # noqa: E402
    HarmoniserConfig,
    evaluate,
    load_corpus,
    train,
)


def cached(corpus: Path, cache: Path, *, held_out: bool, size: int) -> tuple[np.ndarray, ...]:
    if cache.exists():
        data = np.load(cache)
        return data["images"], data["mattes"]
    images, mattes, names = load_corpus(corpus, held_out=held_out, size=size)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, images=images, mattes=mattes, names=np.array(names))
    return images, mattes


def shrink(arr: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, S, S[, 3]) -> (N, size, size[, 3]) by area averaging."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(a).resize((size, size), Image.Resampling.BOX))
                     for a in arr])  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/datasets/products"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/harmoniser-cache"))
    ap.add_argument("--out", type=Path, default=Path("gan_imaging/core/weights/harmoniser"))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--adv-weight", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--train-size", type=int, default=64,
                    help="side (px) the training photos are reduced to (the net sees 64)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not (args.corpus / "manifest.csv").exists():
        raise SystemExit(f"no corpus at {args.corpus} (manifest.csv missing)")
    train_x, train_m = cached(args.corpus, args.cache / "train128.npz", held_out=False, size=128)
    eval_x, eval_m = cached(args.corpus, args.cache / "eval256.npz", held_out=True, size=256)
    if args.train_size != train_x.shape[1]:
        train_x, train_m = shrink(train_x, args.train_size), shrink(train_m, args.train_size)
    print(f"{len(train_x)} training photos, {len(eval_x)} held-out photos", flush=True)
    cfg = HarmoniserConfig(steps=args.steps, batch=args.batch, adv_weight=args.adv_weight,
                           seed=args.seed)  # fmt: skip

    def progress(step: int, m: dict[str, float]) -> None:
        print(f"  {step}/{cfg.steps} rec={m['rec']:.5f} adv={m['adv']:.3f} d={m['d']:.3f} "
              f"{m['sec_per_step'] * 1000:.0f} ms/step", flush=True)

    model = train(cfg, train_x, train_m, progress=progress)
    metrics = evaluate(model, eval_x, eval_m)
    model.metrics = {f"heldout_{k}": v for k, v in metrics.items()}
    model.info.update({
        "data": "product corpus (../shared/datasets/products) one-product photos, licences "
                "OSL-3.0/AFL-3.0 (Magento), BSD-3-Clause (Saleor, Solidus), MIT (Sylius), "
                "Unsplash License (Vendure), CC0 (WooCommerce Pxhere, openlinker); unknown and "
                "GPL files excluded; training split = not superres.is_held_out(file)",
        "n_train": len(train_x), "n_eval": len(eval_x),
        "composites": "harmonise_train.recolour: gamma exp(+-0.3), saturation 0.6-1.4, "
                      "per-channel gain exp(+-0.2), brightness exp(+-0.3) on the cutout matte",
        "trained_by": f"scripts/train_harmoniser.py --steps {args.steps} --batch {args.batch} "
                      f"--train-size {args.train_size} "
                      f"--adv-weight {args.adv_weight} --seed {args.seed} --threads {args.threads}",
    })  # fmt: skip
    weights, _ = save_model(model, args.out)
    print(f"{model.model_version} -> {weights} ({weights.stat().st_size / 1024:.0f} KiB); "
          f"held-out: {metrics}", flush=True)


if __name__ == "__main__":
    main()
