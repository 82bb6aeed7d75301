"""Procedural exemplars of studio materials, synthesised in code for the texture GANs.

Each function returns a grey uint8 (size, size) image of one material as a photographer's
surface would show it (scene colours come later, from the material's duotone). Nothing here
is a photograph or derived from one: the exemplars are numpy noise, waves and shapes drawn
from a seeded generator, so the weights trained on them carry no third-party licence.

    .venv/bin/python scripts/material_exemplars.py /tmp/ex    # writes <material>.png previews
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def value_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth noise float32 (size, size) in about [0, 1] from a ``cells``² random grid
    (bicubic upsampling, wrapped so the exemplar has no border artefacts)."""
    grid = rng.random((cells + 3, cells + 3)).astype(np.float32)
    side = size + 3 * size // cells
    im = Image.fromarray(grid, "F").resize((side, side), Image.Resampling.BICUBIC)
    off = size // cells
    return np.asarray(im, np.float32)[off : off + size, off : off + size]


def fbm(
    rng: np.random.Generator, size: int, base: int, octaves: int, gain: float = 0.5
) -> np.ndarray:
    """Fractal noise: ``octaves`` of value noise from ``base`` cells, normalised to [0, 1]."""
    out = np.zeros((size, size), np.float32)
    amp, cells = 1.0, base
    for _ in range(octaves):
        out += amp * value_noise(rng, size, min(cells, size // 2))
        amp *= gain
        cells *= 2
    out -= out.min()
    return out / max(1e-6, float(out.max()))


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def marble(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Light stone with thin dark, branching veins on a soft cloudy ground."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    turb = fbm(rng, size, 2, 6, 0.5)
    veins = np.abs(np.sin((xx * 1.0 + yy * 1.6) * 5.0 + turb * 3.0))
    fine = np.abs(np.sin((xx * 2.1 - yy * 0.7) * 5.0 + fbm(rng, size, 4, 7, 0.6) * 6.0))
    v = (1 - veins) ** 10 * 0.45 + (1 - veins) ** 3 * 0.08 + (1 - fine) ** 24 * 0.25
    # Clouded at two scales (the scenes soften it): broad drifts and a finer mottle.
    ground = 0.8 + 0.3 * (fbm(rng, size, 2, 5) - 0.5) + 0.22 * (fbm(rng, size, 12, 4) - 0.5)
    return _u8(ground - v)


def oak(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Oak boards running vertically: per-board tone, wavy grain, pores and dark seams."""
    board = size // 4
    out = np.zeros((size, size), np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    warp = fbm(rng, size, 4, 4) * 18
    for b in range(4):
        x0 = b * board
        tone = 0.55 + rng.uniform(-0.08, 0.08)
        shift = rng.uniform(0, 100)
        local = xx[:, x0 : x0 + board] - x0 + warp[:, x0 : x0 + board] + shift
        wave = np.sin(yy[:, x0 : x0 + board] / 37) * 2
        grain = 0.5 + 0.5 * np.sin(local * rng.uniform(0.45, 0.7) + wave)
        rings = np.abs(np.sin(local * 0.09 + yy[:, x0 : x0 + board] * 0.004)) ** 6
        out[:, x0 : x0 + board] = tone + 0.08 * grain - 0.12 * rings
        out[:, x0 : x0 + 2] -= 0.25  # the seam between boards
    pores = rng.random((size, size)) < 0.015
    streak = np.asarray(Image.fromarray(_u8(pores * 1.0)).filter(ImageFilter.BoxBlur(1)))
    out -= 0.25 * streak.astype(np.float32) / 255
    ends = rng.integers(size // 5, size - size // 5, size=4)
    for b, y in enumerate(ends):  # board ends at staggered heights
        out[int(y) : int(y) + 2, b * board : (b + 1) * board] -= 0.25
    return _u8(out)


def linen(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Plain-weave linen: crossing threads of uneven thickness (slubs), soft light."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    period = 5.0
    slub_x = fbm(rng, size, 16, 3)
    slub_y = fbm(rng, size, 16, 3)
    warp = 0.5 + 0.5 * np.cos(2 * np.pi * xx / period + slub_x * 2)
    weft = 0.5 + 0.5 * np.cos(2 * np.pi * yy / period + slub_y * 2)
    over = (np.floor(xx / period) + np.floor(yy / period)) % 2
    weave = np.where(over > 0, warp * 0.7 + weft * 0.3, weft * 0.7 + warp * 0.3)
    tone = 0.66 + 0.08 * (fbm(rng, size, 3, 4) - 0.5)
    return _u8(tone + 0.14 * (weave - 0.5) + 0.05 * (slub_x - 0.5))


def concrete(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Smooth cast concrete: cloudy mottling, fine grain and scattered air pores (drawn with
    strong contrast; the scenes soften it, see ``studio_scene.MATERIALS``)."""
    base = 0.58 + 0.3 * (fbm(rng, size, 3, 7, 0.6) - 0.5)
    grain = 0.1 * (rng.random((size, size)).astype(np.float32) - 0.5)
    pores = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(pores)
    for _ in range(260):
        x, y = rng.integers(0, size, 2)
        r = float(rng.uniform(0.8, 3.2))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=int(rng.integers(120, 255)))
    p = np.asarray(pores.filter(ImageFilter.GaussianBlur(0.7)), np.float32) / 255
    return _u8(base + grain - 0.35 * p)


def terrazzo(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Terrazzo: a pale cement ground set with angular stone chips of mixed size and tone."""
    ground = 0.78 + 0.05 * (fbm(rng, size, 4, 4) - 0.5)
    chips = Image.new("F", (size, size), 0.0)
    mask = Image.new("L", (size, size), 0)
    draw, mdraw = ImageDraw.Draw(chips), ImageDraw.Draw(mask)
    for _ in range(420):
        cx, cy = rng.uniform(0, size, 2)
        r = float(rng.choice([3, 5, 8, 13], p=[0.45, 0.3, 0.17, 0.08])) * rng.uniform(0.7, 1.3)
        n = int(rng.integers(4, 7))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        pts = [(float(cx + r * rng.uniform(0.6, 1.0) * np.cos(a)),
                float(cy + r * rng.uniform(0.6, 1.0) * np.sin(a))) for a in ang]  # fmt: skip
        tone = float(rng.choice([0.25, 0.45, 0.6, 0.92]))
        draw.polygon(pts, fill=tone)
        mdraw.polygon(pts, fill=255)
    c = np.asarray(chips, np.float32)
    m = np.asarray(mask.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255
    return _u8(ground * (1 - m) + c * m)


def paper(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Seamless backdrop paper: fibres and a soft large-scale tooth (drawn with strong
    contrast; the scenes show it nearly flat, see ``studio_scene.MATERIALS``)."""
    fib = Image.fromarray(_u8(rng.random((size, size)))).filter(ImageFilter.GaussianBlur(1.2))
    f = np.asarray(fib, np.float32) / 255
    tooth = fbm(rng, size, 6, 5)
    return _u8(0.6 + 0.9 * (f - 0.5) + 0.25 * (tooth - 0.5))


MATERIALS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "marble": marble,
    "oak": oak,
    "linen": linen,
    "concrete": concrete,
    "terrazzo": terrazzo,
    "paper": paper,
}


def exemplar(material: str, *, seed: int = 0, size: int = 512) -> np.ndarray:
    """The seeded exemplar of ``material`` (a key of :data:`MATERIALS`): uint8 (size, size)."""
    return MATERIALS[material](np.random.default_rng(seed), size)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/exemplars")
    out.mkdir(parents=True, exist_ok=True)
    for name in MATERIALS:
        Image.fromarray(exemplar(name)).save(out / f"{name}.png")
        print(out / f"{name}.png")
