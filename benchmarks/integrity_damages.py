"""Deliberate damages of a product's matte for ``benchmarks/render_integrity.py``: each is a way
a real cutout fails (see the issue's gift card and espresso cup), applied to a good matte.

Each damage takes the photo (uint8 (H, W, 3)), the good alpha (uint8 (H, W), 0–255) and a
seeded generator and returns the damaged alpha (uint8, same shape).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

Damage = Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _remove(alpha: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``alpha`` with ``region`` (and a 1 px fringe) cleared."""
    region = ndimage.binary_dilation(region, iterations=1)
    return np.where(region, 0, alpha).astype(np.uint8)


def _largest(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, np.arange(1, n + 1))
    return labels == int(np.argmax(sizes)) + 1


def half(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cut the product along a random line near its centre; the far side (25–60 %) goes."""
    on = alpha >= 128
    ys, xs = np.nonzero(on)
    cy, cx = ys.mean(), xs.mean()
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    for _ in range(20):
        t = rng.uniform(0, 2 * np.pi)
        proj = (yy - cy) * np.sin(t) + (xx - cx) * np.cos(t)
        cut = np.quantile(proj[on], rng.uniform(0.4, 0.75))
        region = on & (proj > cut)
        if 0.25 <= region.sum() / on.sum() <= 0.6:
            break
    return _remove(alpha, region)


def lose_body(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Remove the largest low-saturation region (a grey card body, the stripe and logo kept),
    else the largest region of the product's most common colour; at least 15 % of the area."""
    on = alpha >= 128
    px = rgb.astype(np.float32)
    sat = (px.max(axis=2) - px.min(axis=2)) / np.maximum(px.max(axis=2), 1)
    region = _largest(on & (sat < 0.2))
    if region.sum() < 0.15 * on.sum():
        q = (px[on] // 48).astype(np.int32)
        keys = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
        common = np.bincount(keys).argmax()
        full = np.zeros(on.shape, np.int32) - 1
        full[on] = keys
        region = _largest(ndimage.binary_closing(full == common, iterations=2) & on)
    if region.sum() < 0.15 * on.sum() or region.sum() > 0.92 * on.sum():
        return half(rgb, alpha, rng)
    return _remove(alpha, region)


def drop_limb(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drop the largest protrusion (a handle, a sleeve, a strap): what an opening with a disc
    of 8–12 % of the product's size removes; at least 4 % of the area, else a 10–20 % slice
    off one side of the product."""
    on = alpha >= 128
    side = np.sqrt(on.sum())
    r = max(2, round(rng.uniform(0.08, 0.12) * side))
    small = max(1, r // 4)  # open at quarter size, then compare (fast for big discs)
    sub = on[::4, ::4]
    disc = np.hypot(*np.mgrid[-small : small + 1, -small : small + 1]) <= small
    opened = ndimage.binary_opening(sub, structure=disc)
    opened = np.repeat(np.repeat(opened, 4, 0), 4, 1)[: on.shape[0], : on.shape[1]]
    limb = _largest(on & ~ndimage.binary_dilation(opened, iterations=2))
    if limb.sum() >= 0.04 * on.sum():
        return _remove(alpha, limb)
    k, frac = int(rng.integers(4)), rng.uniform(0.1, 0.2)  # side: left, right, top, bottom
    grid = np.mgrid[: on.shape[0], : on.shape[1]][1 if k < 2 else 0]
    cut = np.quantile(grid[on], frac if k % 2 == 0 else 1 - frac)
    return _remove(alpha, on & ((grid < cut) if k % 2 == 0 else (grid > cut)))


def _interior_point(on: np.ndarray, rng: np.random.Generator, margin: float) -> tuple[int, int]:
    depth = ndimage.distance_transform_edt(on)
    ys, xs = np.nonzero(depth >= min(margin, 0.8 * depth.max()))
    i = int(rng.integers(ys.size))
    return int(ys[i]), int(xs[i])


def holes(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Punch 1–3 elliptical holes, 5–15 % of the product's area in all, inside the product."""
    on = alpha >= 128
    n = int(rng.integers(1, 4))
    total = rng.uniform(0.05, 0.15) * on.sum()
    im = Image.new("L", (alpha.shape[1], alpha.shape[0]), 0)
    draw = ImageDraw.Draw(im)
    for _ in range(n):
        ry = np.sqrt(total / n / np.pi) * rng.uniform(0.7, 1.4)
        rx = total / n / np.pi / ry
        cy, cx = _interior_point(on, rng, 1.2 * max(rx, ry))
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    region = (np.asarray(im) > 0) & on
    return np.where(region, 0, alpha).astype(np.uint8)


def see_through(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lower alpha to 30–60 % over a soft ellipse covering 25–45 % of the product."""
    on = alpha >= 128
    target = rng.uniform(0.25, 0.45) * on.sum()
    cy, cx = _interior_point(on, rng, 0.15 * np.sqrt(on.sum()))
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    ratio = rng.uniform(0.6, 1.6)
    r = np.sqrt(on.sum() / np.pi)
    for _ in range(30):
        inside = ((yy - cy) / (r * ratio)) ** 2 + ((xx - cx) / (r / ratio)) ** 2 <= 1
        got = (inside & on).sum()
        if abs(got - target) < 0.03 * on.sum():
            break
        r *= float(np.sqrt(target / max(got, 1)))
    soft = ndimage.gaussian_filter(inside.astype(np.float32), 2.0)
    gain = 1 - soft * (1 - rng.uniform(0.3, 0.6))
    return np.clip(alpha * gain + 0.5, 0, 255).astype(np.uint8)


def fragment(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keep only a disc-shaped fragment of 8–25 % of the product."""
    on = alpha >= 128
    target = rng.uniform(0.08, 0.25) * on.sum()
    cy, cx = _interior_point(on, rng, 0.1 * np.sqrt(on.sum()))
    dist = np.hypot(*np.mgrid[-cy : alpha.shape[0] - cy, -cx : alpha.shape[1] - cx])
    radius = np.quantile(dist[on], min(1.0, target / on.sum()))
    keep = ndimage.binary_dilation(on & (dist <= radius), iterations=1)
    return np.where(keep, alpha, 0).astype(np.uint8)


def blotchy(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Displace the outline by smooth noise of amplitude 3–6 % of the product's size."""
    on = alpha >= 128
    side = float(np.sqrt(on.sum()))
    sdf = ndimage.distance_transform_edt(on) - ndimage.distance_transform_edt(~on)
    noise = ndimage.gaussian_filter(rng.normal(size=on.shape), max(1.0, 0.015 * side))
    noise /= max(float(noise.std()), 1e-6)
    out = (sdf + rng.uniform(0.03, 0.06) * side * noise) > 0
    soft = ndimage.gaussian_filter(out.astype(np.float32), 1.0)
    return np.clip(soft * 255 + 0.5, 0, 255).astype(np.uint8)


def pale(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lose the product's colours nearest the backdrop's, as a colour-threshold cutout does on
    a light or grey product on white: the palest 20–60 % of its pixels (distance from the
    median colour of a ring just outside it) go, whether they touch the outline (a grey card's
    body, a saucer) or are enclosed (a white cup's interior); specks under 0.5 % are ignored.
    At least 12 % of the area, else :func:`lose_body`."""
    on = alpha >= 128
    side = float(np.sqrt(on.sum()))
    ring = ndimage.binary_dilation(on, iterations=max(3, round(0.05 * side)))
    ring &= ~ndimage.binary_dilation(on, iterations=2)
    ref = np.median(rgb[ring].astype(np.float32), axis=0) if ring.any() else np.full(3, 255.0)
    d = np.abs(rgb.astype(np.float32) - ref).max(axis=2)
    region = on & (d <= np.quantile(d[on], rng.uniform(0.2, 0.6)))
    region = ndimage.binary_opening(region, iterations=1)
    labels, n = ndimage.label(region)
    if n:
        sizes = ndimage.sum_labels(region, labels, np.arange(1, n + 1))
        region = np.isin(labels, np.flatnonzero(sizes >= 0.005 * on.sum()) + 1)
    if region.sum() < 0.12 * on.sum() or region.sum() > 0.92 * on.sum():
        return lose_body(rgb, alpha, rng)
    return np.where(region, 0, alpha).astype(np.uint8)


DAMAGES: dict[str, Damage] = {
    "pale": pale, "lose_body": lose_body, "half": half, "drop_limb": drop_limb, "holes": holes,
    "see_through": see_through, "fragment": fragment, "blotchy": blotchy,
}  # fmt: skip
