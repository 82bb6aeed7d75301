"""Synthetic composites for training and evaluating the cutout: alpha cutouts pasted onto
real photos or plain colours, with their exact ground-truth matte.

Used by ``scripts/train_cutout.py`` and ``benchmarks/renders.py``; both split the corpus with
:func:`split_of` so training and evaluation never share a cutout or a background photo.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

#: Share of files (by name hash) held out for evaluation: 1 in ``EVAL_MODULUS``.
EVAL_MODULUS = 5


def split_of(name: str) -> str:
    """``"eval"`` or ``"train"`` from the SHA-256 of a file name (its path relative to the
    corpus root, e.g. ``"saleor-mockups/saleor-beanie-1.png"``): stable across machines."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return "eval" if int.from_bytes(digest[:4], "big") % EVAL_MODULUS == 0 else "train"


def load_cutout(path: str | Path, max_side: int) -> np.ndarray | None:
    """An RGBA cutout cropped to its alpha bounding box and reduced to ``max_side`` px:
    uint8 (H, W, 4). None when it has no transparent or no opaque pixels."""
    with Image.open(path) as im:
        im.draft("RGB", (max_side, max_side))
        rgba = im.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"))
    on = alpha >= 128
    if not on.any() or on.all():
        return None
    ys, xs = np.nonzero(on)
    rgba = rgba.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    rgba.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(rgba).copy()


def load_background(path: str | Path, min_side: int) -> np.ndarray:
    """An RGB photo reduced so its short side is about ``min_side`` px: uint8 (H, W, 3)."""
    with Image.open(path) as im:
        im.draft("RGB", (min_side, min_side))
        rgb = im.convert("RGB")
    scale = min_side / min(rgb.size)
    if scale < 1:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(rgb).copy()


def plain_background(colour: tuple[int, int, int], size: tuple[int, int]) -> np.ndarray:
    """A flat colour field, uint8 (h, w, 3) for ``size`` = (w, h)."""
    return np.broadcast_to(np.array(colour, np.uint8), (size[1], size[0], 3)).copy()


def background_window(
    background: np.ndarray, size: tuple[int, int], rng: np.random.Generator
) -> Image.Image:
    """A random window of ``background`` (uint8 (H, W, 3)) with the aspect of ``size``
    ((w, h) px), 50–100 % of the photo's extent, resized (bilinear) to ``size``."""
    w, h = size
    bh, bw = background.shape[:2]
    frac = rng.uniform(0.5, 1.0)
    cw = min(bw, max(8, int(min(bw, bh * w / h) * frac)))
    ch = min(bh, max(8, int(cw * h / w)))
    x0, y0 = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
    crop = Image.fromarray(background[y0 : y0 + ch, x0 : x0 + cw])
    return crop.resize((w, h), Image.Resampling.BILINEAR)


def composite(
    cutout: np.ndarray,
    background: np.ndarray,
    size: tuple[int, int],
    rng: np.random.Generator,
    *,
    fill: tuple[float, float] = (0.45, 0.95),
    jitter: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Paste ``cutout`` (uint8 RGBA) onto a random crop of ``background`` (uint8 RGB) resized
    to ``size`` = (w, h) px. The product's long side spans a random ``fill`` fraction of the
    canvas. ``jitter`` adds training augmentation (colour, aspect, flips, blur, noise).

    Returns (rgb uint8 (h, w, 3), alpha uint8 (h, w) ground truth 0–255).
    """
    w, h = size
    bg = background_window(background, size, rng)
    fg = Image.fromarray(cutout, "RGBA")
    if jitter:
        if rng.random() < 0.5:
            fg = fg.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if rng.random() < 0.5:
            bg = bg.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if rng.random() < 0.3:
            bg = bg.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3.0))))
    aspect = float(np.exp(rng.uniform(-0.25, 0.25))) if jitter else 1.0
    fw, fh = fg.width * aspect, fg.height / aspect
    scale = rng.uniform(*fill) * min(w / fw, h / fh)
    fw, fh = max(4, round(fw * scale)), max(4, round(fh * scale))
    fg = fg.resize((fw, fh), Image.Resampling.BILINEAR)
    px = int(rng.integers(0, max(1, w - fw + 1)))
    py = int(rng.integers(0, max(1, h - fh + 1)))
    alpha = np.zeros((h, w), np.float32)
    fga = np.asarray(fg, np.float32)
    alpha[py : py + fh, px : px + fw] = fga[: h - py, : w - px, 3] / 255.0
    fgrgb = np.zeros((h, w, 3), np.float32)
    fgrgb[py : py + fh, px : px + fw] = fga[: h - py, : w - px, :3]
    bgf = np.asarray(bg, np.float32)
    if jitter:
        fgrgb = _colour_jitter(fgrgb, rng)
        bgf = _colour_jitter(bgf, rng)
    out = fgrgb * alpha[..., None] + bgf * (1 - alpha[..., None])
    if jitter and rng.random() < 0.3:
        out = out + np.asarray(rng.normal(0, rng.uniform(1, 6), out.shape), np.float32)
    rgb = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return rgb, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def _colour_jitter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    gain = rng.uniform(0.75, 1.25) * rng.uniform(0.92, 1.08, 3)
    mean = x.mean(axis=(0, 1), keepdims=True)
    sat = rng.uniform(0.6, 1.3)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * sat
    x = (x - mean) * rng.uniform(0.8, 1.2) + mean
    return x * gain.astype(np.float32) + rng.uniform(-20, 20)


def random_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    """A plain studio colour: white or light grey half the time, else any colour."""
    if rng.random() < 0.5:
        v = int(rng.integers(215, 256))
        return (v, v, v)
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return (r, g, b)
