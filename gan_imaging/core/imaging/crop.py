"""Fill-mode crops that keep the product in frame.

A fill rendition is the largest window of the requested aspect that fits the image, slid
along its free axis to a *centre*: the merchant's focal point when one is set, otherwise the
subject this module finds. Subject finding works on a ≤ 96 px proxy (≈ 2–4 ms for any source):

* transparent cut-outs: the alpha channel is the product mask;
* packshots on a plain backdrop (white, grey, a colour): pixels far from the border colour;
* busy backgrounds: spectral-residual saliency (Hou & Zhang, CVPR 2007) plus gradient energy,
  under a mild centre prior (photographers centre products).

When the subject's bounding box fits in the window the window is centred on the box, so all
of it stays in frame; when it cannot fit, the window is centred on the mask's centroid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

_PROXY = 96  # px, long side of the analysis proxy
_PLAIN_TOLERANCE = 24.0  # RGB distance from the border colour still counted as backdrop
_PLAIN_BORDER_SHARE = 0.8  # share of border pixels near its median colour for a plain backdrop


@dataclass(frozen=True)
class Subject:
    """Where the product is, as fractions 0–1 of width and height.

    ``centre`` is the (weighted) centroid; ``box`` is (left, top, right, bottom); ``method`` is
    ``"alpha"``, ``"backdrop"``, ``"saliency"`` or ``"none"`` (nothing found: image centre).
    """

    centre: tuple[float, float]
    box: tuple[float, float, float, float]
    method: str


def aspect_ratio(aspect: tuple[int, int]) -> float:
    return aspect[0] / aspect[1]


def fill_box(
    size: tuple[int, int],
    aspect: tuple[int, int],
    centre: tuple[float, float] = (0.5, 0.5),
    subject_box: tuple[float, float, float, float] | None = None,
) -> tuple[float, float, float, float]:
    """The largest (left, top, right, bottom) window of ``aspect`` (w, h) inside ``size`` px.

    The window is centred on ``subject_box`` (fractions) when that fits inside it, else on
    ``centre`` (fractions 0–1), then clamped to the image. Coordinates are floats in px so the
    aspect is exact; Pillow's ``resize(box=...)`` samples them without rounding.
    """
    width, height = size
    ratio = aspect_ratio(aspect)
    if width / height > ratio:
        cw, ch = height * ratio, float(height)
    else:
        cw, ch = float(width), width / ratio
    cx, cy = centre
    if subject_box is not None:
        left, t, r, b = subject_box
        if (r - left) * width <= cw:
            cx = (left + r) / 2
        # Too tall to fit: keep its top (a model's head, a bottle's cap and label) rather
        # than its centroid, which on people lands at the hips and crops the face.
        cy = (t + b) / 2 if (b - t) * height <= ch else min(cy, t + ch / height / 2)
    left = min(max(cx * width - cw / 2, 0.0), width - cw)
    top = min(max(cy * height - ch / 2, 0.0), height - ch)
    return (left, top, left + cw, top + ch)


def find_subject(im: Image.Image) -> Subject:
    """Locate the product in an ``RGB``/``RGBA`` image (see the module docstring)."""
    factor = max(im.size) // (2 * _PROXY)
    proxy = im.reduce(factor) if factor >= 2 else im.copy()  # reduce: no full-size copy
    proxy.thumbnail((_PROXY, _PROXY), Image.Resampling.BILINEAR)
    rgba = np.asarray(proxy.convert("RGBA"), dtype=np.float32)
    alpha = rgba[..., 3]
    if alpha.min() < 250:
        return _from_weights(alpha / 255.0, alpha > 32, "alpha")
    rgb = rgba[..., :3]
    ring = np.concatenate(
        [
            rgb[:2].reshape(-1, 3),
            rgb[-2:].reshape(-1, 3),
            rgb[:, :2].reshape(-1, 3),
            rgb[:, -2:].reshape(-1, 3),
        ]
    )
    backdrop = np.median(ring, axis=0)
    ring_dist = np.linalg.norm(ring - backdrop, axis=1)
    if np.mean(ring_dist < _PLAIN_TOLERANCE) >= _PLAIN_BORDER_SHARE:
        dist = np.linalg.norm(rgb - backdrop, axis=2)
        mask = dist > 2 * _PLAIN_TOLERANCE
        if mask.mean() > 0.002:
            return _from_weights(mask.astype(np.float32), mask, "backdrop")
    if min(rgb.shape[:2]) < 3:  # a sliver: nothing to analyse, and gradients need 3 px
        return Subject((0.5, 0.5), (0.0, 0.0, 1.0, 1.0), "none")
    weights = saliency(rgb)
    return _from_weights(weights * (mask := _salient_objects(weights)), mask, "saliency")


def _salient_objects(weights: np.ndarray) -> np.ndarray:
    """Blobs above half the peak saliency whose own peak is ≥ 0.7 × the strongest: a row of
    products is kept together, the weaker specks of a busy backdrop are dropped."""
    candidates = weights >= 0.5 * weights.max()
    keep = np.zeros_like(candidates)
    strongest = float(weights.max())
    while candidates.any():
        masked = np.where(candidates, weights, -1.0)
        seed = np.unravel_index(int(masked.argmax()), weights.shape)
        if weights[seed] < 0.7 * strongest:
            break
        blob = _peak_region(candidates, seed)
        keep |= blob
        candidates &= ~blob
    return keep


def _peak_region(mask: np.ndarray, seed: tuple[int | np.integer[Any], ...]) -> np.ndarray:
    """The 8-connected part of ``mask`` that contains ``seed``: the most salient object, not
    every salient speck (a busy backdrop has many)."""
    region = np.zeros_like(mask)
    region[seed] = mask[seed]
    while True:
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
        grown &= mask
        if (grown == region).all():
            return region
        region = grown


def _from_weights(weights: np.ndarray, mask: np.ndarray, method: str) -> Subject:
    h, w = mask.shape
    total = float(weights.sum())
    if total <= 0 or not mask.any():
        return Subject((0.5, 0.5), (0.0, 0.0, 1.0, 1.0), "none")
    ys, xs = np.mgrid[0:h, 0:w]
    cx = float((weights * (xs + 0.5)).sum() / total) / w
    cy = float((weights * (ys + 0.5)).sum() / total) / h
    # Percentiles, not min/max: a stray speck (dust, a shadow tip) must not widen the box.
    py, px = np.nonzero(mask)
    left, right = np.percentile(px, [0.5, 99.5])
    top, bottom = np.percentile(py, [0.5, 99.5])
    box = (float(left) / w, float(top) / h, float(right + 1) / w, float(bottom + 1) / h)
    return Subject((cx, cy), box, method)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur by multiplication in the frequency domain (wraps at the edges)."""
    h, w = a.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    transfer = np.exp(-2 * (np.pi * sigma) ** 2 * (fx**2 + fy**2))
    return np.real(np.fft.ifft2(np.fft.fft2(a) * transfer))


def saliency(rgb: np.ndarray) -> np.ndarray:
    """Saliency map (H, W, float, 0–1) of an RGB float array 0–255: spectral residual of the
    luma plus gradient energy, times a centre prior."""
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    spectrum = np.fft.fft2(grey)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    local = sum(np.roll(np.roll(log_amp, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    residual = log_amp - local / 9.0
    sr = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sr = _blur(sr, 2.5)
    gy, gx = np.gradient(grey)
    energy = _blur(np.hypot(gx, gy), 2.0)
    h, w = grey.shape
    ys, xs = np.mgrid[0:h, 0:w]
    prior = np.exp(-(((xs + 0.5) / w - 0.5) ** 2 + ((ys + 0.5) / h - 0.5) ** 2) / (2 * 0.3**2))
    return _normalise(_normalise(sr) + 0.5 * _normalise(energy)) * prior


def _normalise(a: np.ndarray) -> np.ndarray:
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
