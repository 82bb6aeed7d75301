"""Saliency maps and region measures for :mod:`.salient` (numpy/scipy only, small images).

All maps are float32 (H, W) of a working image of at most a few hundred pixels a side:

* :func:`barrier_distance`: the minimum barrier distance to the image border (Zhang et al.,
  "Minimum Barrier Salient Object Detection at 80 FPS", ICCV 2015), in Lab units: the
  smallest colour range (max − min) met on a path to the border. A product differs from the
  photo's border by a barrier; a wall, the sky or a texture does not.
* :func:`border_contrast`: colour distance to each border strip (Mahalanobis), the most
  different side left out so a product cut by one side of the frame still counts.
* :func:`sharpness`: in-focus detail, for products in front of a blurred background.
* :func:`saliency`: their normalised sum times a centre prior, 0–1.

Region measures (bool masks of the same size): :func:`contrast` with a :func:`ring` around,
:func:`objectness`, :func:`solidity`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

LEVELS = 16  # colour histogram bins per RGB channel

_RGB2XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                     [0.0193, 0.1192, 0.9505]], np.float32)  # fmt: skip
_WHITE = np.array([0.9505, 1.0, 1.089], np.float32)


def resized(image: Image.Image, side: int) -> Image.Image:
    """``image`` scaled (bilinear) so its long side is at most ``side`` px."""
    scale = min(1.0, side / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image if size == image.size else image.resize(size, Image.Resampling.BILINEAR)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab (L 0–100, a/b about ±100) float32 (H, W, 3) of sRGB uint8 (H, W, 3), D65."""
    c = rgb.astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = (lin @ _RGB2XYZ.T) / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1).astype(np.float32)  # fmt: skip


def _sweep(img: np.ndarray, d: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> None:
    """One down and one up raster pass of the barrier distance, each row's pixels at once."""
    n = img.shape[0]
    for order, step in ((range(1, n), 1), (range(n - 2, -1, -1), -1)):
        for i in order:
            u = np.maximum(hi[i - step], img[i])
            low = np.minimum(lo[i - step], img[i])
            better = u - low < d[i]
            d[i] = np.where(better, u - low, d[i])
            hi[i] = np.where(better, u, hi[i])
            lo[i] = np.where(better, low, lo[i])


def barrier_distance(img: np.ndarray, passes: int = 2) -> np.ndarray:
    """Minimum barrier distance of every pixel of ``img`` float32 (H, W, C) to the image
    border along 4-connected paths, per channel, summed over channels: float32 (H, W), in
    ``img``'s units. ``passes`` rounds of down/up/right/left sweeps (2 is near converged)."""
    d = np.full(img.shape, np.inf, np.float32)
    d[0] = d[-1] = d[:, 0] = d[:, -1] = 0
    hi, lo = img.copy(), img.copy()
    for _ in range(passes):
        _sweep(img, d, hi, lo)
        t = [np.ascontiguousarray(a.swapaxes(0, 1)) for a in (img, d, hi, lo)]
        _sweep(*t)
        d, hi, lo = (np.ascontiguousarray(a.swapaxes(0, 1)) for a in t[1:])
    out: np.ndarray = d.sum(axis=-1)
    return out


def border_contrast(labim: np.ndarray) -> np.ndarray:
    """Colour distance 0–3 of each pixel to the four border strips (5 % of the short side):
    the Mahalanobis distance to each strip's colours, each scaled to a maximum of 1, summed
    without the largest (a product cut by one side of the frame is no background)."""
    h, w = labim.shape[:2]
    b = max(2, round(0.05 * min(h, w)))
    flat = labim.reshape(-1, 3)
    maps = []
    for strip in (labim[:b], labim[-b:], labim[:, :b], labim[:, -b:]):
        px = strip.reshape(-1, 3)
        inv = np.linalg.inv(np.cov(px.T) + np.eye(3) * 4.0)
        diff = flat - px.mean(axis=0)
        m = np.sqrt(np.einsum("ij,jk,ik->i", diff, inv, diff))
        maps.append(m / max(float(m.max()), 1e-6))
    st = np.stack(maps)
    out: np.ndarray = (st.sum(axis=0) - st.max(axis=0)).reshape(h, w)
    return out


def norm(a: np.ndarray) -> np.ndarray:
    """``a`` stretched to 0–1 (all zeros if constant)."""
    lo, hi = float(a.min()), float(a.max())
    out: np.ndarray = (a - lo) / (hi - lo) if hi - lo > 1e-9 else np.zeros_like(a)
    return out


def centre_prior(h: int, w: int, spread: float = 0.5) -> np.ndarray:
    """Gaussian weight 0–1 (H, W), 1 at the centre, σ = ``spread`` × the side."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out: np.ndarray = np.exp(-(((yy + 0.5 - h / 2) / (spread * h)) ** 2
                               + ((xx + 0.5 - w / 2) / (spread * w)) ** 2) / 2)  # fmt: skip
    return out


def sharpness(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """In-focus detail 0–1 float32 of ``size`` (w, h): the Laplacian's magnitude on
    ``image`` (grey), box-averaged to ``size``, blurred (σ 3 px) and stretched so its median
    is 0 and its 99th percentile 1. Flat on textures; high on a sharp product in front of a
    blurred or plain background."""
    grey = np.asarray(image.convert("L"), np.float32)
    lap = np.abs(ndimage.laplace(ndimage.gaussian_filter(grey, 0.7)))
    small = np.asarray(Image.fromarray(lap, "F").resize(size, Image.Resampling.BOX))
    small = ndimage.gaussian_filter(small, 3)
    lo, hi = np.percentile(small, [50, 99])
    out: np.ndarray = np.clip((small - lo) / max(float(hi - lo), 1e-6), 0, 1)
    return out.astype(np.float32)


def saliency(
    labim: np.ndarray, focus: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Saliency 0–1 float32 (H, W) of a Lab image, and the barrier distance (Lab units) it
    started from: normalised barrier distance + normalised border contrast (+ ``focus``
    0–1 of the same size, weight 1/2), times :func:`centre_prior` (σ = half the side)."""
    sm = ndimage.gaussian_filter(labim, sigma=(1, 1, 0))
    barrier = barrier_distance(sm)
    s = norm(barrier) + norm(border_contrast(sm))
    if focus is not None:
        s = s + 0.5 * focus
    return norm(s * centre_prior(s.shape[0], s.shape[1])), barrier


def edge_strength(labim: np.ndarray) -> np.ndarray:
    """Lab gradient magnitude (H, W) divided by its mean over the image (mean 1)."""
    g = np.zeros(labim.shape[:2], np.float32)
    for c in range(3):
        gy, gx = np.gradient(labim[..., c])
        g += np.hypot(gx, gy)
    out: np.ndarray = g / max(float(g.mean()), 1e-6)
    return out


def colour_bins(rgb: np.ndarray) -> np.ndarray:
    """Histogram bin 0–LEVELS³−1 of each pixel of ``rgb`` uint8 (H, W, 3)."""
    q = rgb.astype(np.int32) * LEVELS // 256
    out: np.ndarray = (q[..., 0] * LEVELS + q[..., 1]) * LEVELS + q[..., 2]
    return out


def ring(mask: np.ndarray) -> np.ndarray:
    """The band around ``mask`` (bool (H, W)), 15 % of the square root of its area wide
    (≥ 2 px): what surrounds the object."""
    width = max(2, round(0.15 * float(np.sqrt(mask.sum()))))
    grown = ndimage.uniform_filter(mask.astype(np.float32), size=2 * width + 1) > 1e-3
    out: np.ndarray = grown & ~mask
    return out


def contrast(bins: np.ndarray, mask: np.ndarray, around: np.ndarray) -> float:
    """Colour-histogram distance 0–1 (1 − histogram intersection) between the pixels of
    ``mask`` and of ``around`` (bool (H, W)); 0 if either is empty."""
    if not mask.any() or not around.any():
        return 0.0
    a = np.bincount(bins[mask], minlength=LEVELS**3) / mask.sum()
    b = np.bincount(bins[around], minlength=LEVELS**3) / around.sum()
    return float(1.0 - np.minimum(a, b).sum())


def guided(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter: ``src`` smoothed (box radius ``r`` px) where ``guide``
    (float32 (H, W) grey 0–1) is flat, kept where it has edges (``eps``: edge threshold²)."""

    def box(a: np.ndarray) -> np.ndarray:
        out: np.ndarray = ndimage.uniform_filter(a, size=2 * r + 1, mode="nearest")
        return out

    mi, mp = box(guide), box(src)
    a = (box(guide * src) - mi * mp) / (box(guide * guide) - mi * mi + eps)
    out: np.ndarray = box(a) * guide + box(mp - a * mi)
    return out


def objectness(m: np.ndarray, sal: np.ndarray, bins: np.ndarray, edges: np.ndarray,
               centre: np.ndarray) -> float:  # fmt: skip
    """How much region ``m`` looks like an object (≥ 0): colour contrast with its ring (0–1)
    × saliency lift over the ring (0–1) × edge strength along its outline (× the image's
    mean) × centrality (0–1)."""
    around = ring(m)
    outline = m & ~ndimage.binary_erosion(m)
    if not around.any() or not outline.any():
        return 0.0
    lift = max(float(sal[m].mean() - sal[around].mean()), 0.0)
    return (contrast(bins, m, around) * lift * float(edges[outline].mean())
            * float(centre[m].mean()))  # fmt: skip


def main_part(mask: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The 8-connected part of ``mask`` with the most ``weight``."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n <= 1:
        return mask
    mass = ndimage.sum_labels(weight, labels, np.arange(1, n + 1))
    out: np.ndarray = labels == int(np.argmax(mass)) + 1
    return out


def solidity(mask: np.ndarray) -> float:
    """Area of ``mask`` over the area of its convex hull, 0–1 (1 for convex shapes)."""
    from scipy.spatial import ConvexHull, QhullError

    edge = mask & ~ndimage.binary_erosion(mask)
    try:
        hull = ConvexHull(np.argwhere(edge) + 0.5).volume + 0.5 * edge.sum()
    except (QhullError, ValueError):  # a line or a point
        return 1.0
    return float(min(1.0, mask.sum() / max(hull, 1.0)))
