"""Train the bundled texture GANs from scikit-image's sample textures. One command, reproducible:

    .venv/bin/python scripts/train_textures.py            # all styles -> gan_imaging/core/weights/
    .venv/bin/python scripts/train_textures.py --styles brick --out /tmp/w --preview /tmp/w

Sources: ``skimage.data.brick()`` and ``skimage.data.gravel()`` (512x512 grey, shipped inside
the scikit-image wheel, CC0; origins in the weights' README.md). Each is downscaled 2x so a
64-pixel training crop spans several bricks or stones, then the ``texture`` architecture is
trained with :func:`gan_imaging.core.gan.train` on random crops. The generator (EMA weights)
is exported inference-only in float16 to ``texture_<style>.safetensors`` + ``.json``.
The same command, seed and torch version reproduce the same files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan import TrainConfig, save, to_uint8, train  # noqa: E402
from gan_imaging.core.gan.checkpoint import round_to_half  # noqa: E402
from gan_imaging.core.gan.weights import BUNDLED, WEIGHTS_DIR  # noqa: E402

SOURCES = {
    "brick": {
        "loader": "skimage.data.brick",
        "source": "scikit-image skimage.data.brick() (512x512 grey), from CC0Textures 'Bricks25' "
        "(https://cc0textures.com/view.php?tex=Bricks25), perspective-corrected by scikit-image",
        "licence": "CC0-1.0 (Creative Commons Zero, public domain dedication)",
    },
    "gravel": {
        "loader": "skimage.data.gravel",
        "source": "scikit-image skimage.data.gravel() (512x512 grey), from CC0Textures 'Gravel04' "
        "(https://cc0textures.com/view.php?tex=Gravel04)",
        "licence": "CC0-1.0 (Creative Commons Zero, public domain dedication)",
    },
}

# Small on purpose: ~65 k generator parameters (about 130 KB in float16) and ~0.2 CPU-seconds
# per step, so a style trains in a few minutes on 2 cores. The GPU settings of the Django
# layer (GAN_IMAGING["TRAINING"]) use twice these widths.
ARCH_KWARGS = {
    "z_dim": 16,
    "n_periodic": 4,
    "g_width": 8,
    "g_max_width": 64,
    "n_up": 4,
    "channels": 1,
    "d_width": 16,
    "d_norm": "batch",
}


def exemplar(style: str, downscale: int) -> torch.Tensor:
    """The style's sample image as float32 (1, H, W) in [-1, 1]."""
    from PIL import Image
    from skimage import data

    img = getattr(data, style)()  # uint8 (512, 512)
    if downscale > 1:
        h, w = img.shape
        pil = Image.fromarray(img).resize(
            (w // downscale, h // downscale), Image.Resampling.LANCZOS
        )
        img = np.asarray(pil)
    return torch.from_numpy(img.astype(np.float32) / 127.5 - 1.0)[None]


def config(style: str, *, steps: int, seed: int) -> TrainConfig:
    return TrainConfig(
        arch="texture",
        arch_kwargs=ARCH_KWARGS,
        steps=steps,
        batch_size=16,
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.99),
        loss="ns",
        r1_gamma=0.0,
        diffaugment="translation",
        ema_decay=0.995,
        seed=seed,
        device="cpu",
        crop=64,
        name=style,
        log_every=100,
    )


def seam_ratio(img: torch.Tensor, chunk: int) -> float:
    """Mean |column step| across chunk borders divided by the mean over all columns (~1)."""
    steps = (img[..., 1:] - img[..., :-1]).abs().mean(dim=(0, 1))
    borders = [c - 1 for c in range(chunk, img.shape[-1], chunk)]
    return float(steps[borders].mean() / steps.mean())


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--styles", default=",".join(BUNDLED), help="comma-separated: brick,gravel")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--downscale", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--preview", type=Path, default=None, help="write 970x250 preview PNGs here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    for style in [s.strip() for s in args.styles.split(",") if s.strip()]:
        if style not in SOURCES:
            raise SystemExit(f"unknown style {style!r}; known: {', '.join(SOURCES)}")
        ex = exemplar(style, args.downscale)
        cfg = config(style, steps=args.steps, seed=args.seed)

        def progress(step, total, m, style=style):
            print(
                f"  [{style}] {step}/{total} loss_d={m['loss_d']:.3f} loss_g={m['loss_g']:.3f} "
                f"{m['sec_per_step'] * 1000:.0f} ms/step",
                flush=True,
            )

        ckpt = train(cfg, ex, progress=progress)
        G = ckpt.generator
        round_to_half(G)  # judge exactly what ships (float16 weights)
        t = time.perf_counter()
        banner = G.generate(970, 250, seed=0, chunk=None)
        banner_s = time.perf_counter() - t
        big = G.generate(1024, 256, seed=0, chunk=128)
        ckpt.metrics.update(
            {
                "banner_970x250_s": round(banner_s, 3),
                "seam_ratio_chunk128": round(seam_ratio(big, 128), 3),
                "exemplar_std": round(float(ex.std()), 4),
                "sample_std": round(float(banner.std()), 4),
                "exemplar_mean": round(float(ex.mean()), 4),
                "sample_mean": round(float(banner.mean()), 4),
            }
        )
        ckpt.info = {
            "source": SOURCES[style]["source"],
            "licence": SOURCES[style]["licence"],
            "preprocessing": f"grey uint8 -> Lanczos downscale x{args.downscale} -> [-1, 1]",
            "trained_by": f"scripts/train_textures.py --styles {style} --steps {args.steps} "
            f"--seed {args.seed} --downscale {args.downscale}",
            "train_device": "cpu",
            "train_threads": args.threads,
        }
        weights, sidecar = save(ckpt, args.out / f"texture_{style}", inference_only=True, half=True)
        print(
            f"{style}: {ckpt.model_version} -> {weights} "
            f"({weights.stat().st_size / 1024:.0f} KiB), "
            f"trained {ckpt.metrics['train_s']:.0f} s, 970x250 in {banner_s * 1000:.0f} ms, "
            f"seam ratio {ckpt.metrics['seam_ratio_chunk128']:.2f}",
            flush=True,
        )
        if args.preview:
            from PIL import Image

            args.preview.mkdir(parents=True, exist_ok=True)
            Image.fromarray(to_uint8(banner)[..., 0]).save(args.preview / f"{style}_970x250.png")
            Image.fromarray(to_uint8(ex)[..., 0]).save(args.preview / f"{style}_exemplar.png")


if __name__ == "__main__":
    main()
