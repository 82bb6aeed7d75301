"""The classical cutout for plain studio backdrops: a colour model of the backdrop.

:func:`plain_matte` separates the product from a white, grey or coloured backdrop:

1. **Distance** of every pixel from the backdrop colour (max channel difference, 0–255) and
   two tolerances from the border's noise: ``lo`` (backdrop for sure) and ``hi`` = lo + 24.
2. **Flood from the border** through pixels within ``hi`` of the backdrop that are not on an
   edge. An edge is a step in that distance (its gradient above the backdrop's own, at least
   3 levels per px): the outline of a light-grey card or a white box on white stops the flood,
   so its body stays product even where its colour is within the tolerance. A smooth vignette
   or a soft drop shadow does not. With a network matte the flood also crosses soft cast
   shadows (a darker shade of the backdrop that the network calls background); they get
   alpha 0. It starts only from the frame's backdrop-coloured pixels, never from shadow-
   coloured ones (a grey product cut by the frame).
3. **Enclosed backdrop**: the near-backdrop regions the flood did not reach (a mug handle's
   hole, the gap between an arm and the torso, but also a light product's body inside its
   outline) are judged one by one: with a network matte, those the network calls background
   (mean < 0.5) are removed, and those whose median distance is within ``lo`` and that cover
   at most :data:`HOLE_SHARE` of the product (the small net tends to fill holes in); without
   one, those whose median distance is within ``lo``. A region that is mostly shadow-coloured
   and covers more than :data:`HOLE_SHARE` of the product stays (a grey body the network
   missed, not a shadowed hole). A region that surrounds
   product-coloured islands (the text on a white label) stays. A hole reaches
   :data:`HOLE_REACH` further into near-backdrop pixels (its shaded rim), and the backdrop
   seen through it gets alpha 0, shading included.
4. **Alpha**: backdrop pixels get a ramp of their distance between ``lo`` and ``hi``; pixels
   more than 2 px inside the product are opaque; in the band between, alpha solves the
   compositing equation ``I = a·F + (1 − a)·B`` with the nearby product colour F.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Max channel difference (0–255) from the border colour still counted as plain backdrop.
PLAIN_TOLERANCE = 24.0
#: Edges weaker than this (distance levels per px) never stop the flood.
EDGE_MIN = 3.0
#: Enclosed near-backdrop regions smaller than this (px) are left as they are.
HOLE_MIN_PX = 16
#: An enclosed backdrop-coloured region that the network calls product is a hole only up to
#: this share (0–1) of the product's area.
HOLE_SHARE = 0.4
#: A hole found reaches this share of the photo's long side (≥ 3 px) further into
#: near-backdrop pixels.
HOLE_REACH = 0.01


def border_colour(rgb: np.ndarray) -> tuple[tuple[int, int, int], float, np.ndarray]:
    """Median colour of the image border (outer 1 %, ≥ 2 px), the share 0–1 of border pixels
    within :data:`PLAIN_TOLERANCE` of it, and the border pixels' distances (0–255)."""
    h, w = rgb.shape[:2]
    b = max(2, round(0.01 * min(h, w)))
    band = np.concatenate([
        rgb[:b].reshape(-1, 3), rgb[-b:].reshape(-1, 3),
        rgb[:, :b].reshape(-1, 3), rgb[:, -b:].reshape(-1, 3),
    ])  # fmt: skip
    med = np.median(band, axis=0)
    dist = np.abs(band.astype(np.float32) - med).max(axis=1)
    colour = (int(med[0]), int(med[1]), int(med[2]))
    return colour, float((dist <= PLAIN_TOLERANCE).mean()), dist


def _border(a: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate([a[:width].ravel(), a[-width:].ravel(), a[:, :width].ravel(),
                           a[:, -width:].ravel()])  # fmt: skip


def edges(d: np.ndarray) -> np.ndarray:
    """Bool (H, W): steps in the backdrop distance ``d`` (float32, 0–255): its gradient
    magnitude (Gaussian, σ = 1 px) above twice the border's 99th percentile and
    :data:`EDGE_MIN` levels per px."""
    grad = ndimage.gaussian_gradient_magnitude(d, sigma=1.0)
    b = max(2, round(0.01 * min(d.shape)))
    tau = max(EDGE_MIN, 2.0 * float(np.percentile(_border(grad, b), 99)))
    out: np.ndarray = grad > tau
    return out


def _border_labels(labels: np.ndarray) -> np.ndarray:
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    out: np.ndarray = edge[edge > 0]
    return out


def _has_islands(region: np.ndarray, near: np.ndarray) -> bool:
    """Whether ``region`` (bool) surrounds product-coloured islands (pixels not ``near`` the
    backdrop, over 0.5 % of its area): text or a logo on a white label, which a hole showing
    the backdrop does not have."""
    ys, xs = np.nonzero(region)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    inside = ndimage.binary_fill_holes(region[box]) & ~region[box] & ~near[box]
    return bool(inside.sum() > 0.005 * region[box].sum())


def backdrop_mask(
    d: np.ndarray,
    lo: float,
    hi: float,
    network: np.ndarray | None = None,
    shadow: np.ndarray | None = None,
) -> np.ndarray:
    """Bool (H, W) backdrop of the colour model (steps 2–3 of the module doc): the border-
    connected flood plus the enclosed regions judged backdrop, grown 3 px into near-backdrop
    pixels so the edge band does not stay opaque. ``network``: uint8 (H, W) matte 0–255 or
    None (then enclosed regions are judged by colour alone). ``shadow``: bool (H, W) pixels
    the flood may also cross though they are further than ``hi`` (see :func:`shadow_like`).
    With a network, an enclosed region that the network calls product is still a hole when
    its colour says so too (median distance within ``lo``) and it covers at most
    :data:`HOLE_SHARE` of the product: the small net tends to fill a handle's hole in, while
    a white card's body inside its thin outline is most of the product."""
    near = d < hi
    passable = near if shadow is None else near | shadow
    free = passable & ~edges(d)
    labels, _n = ndimage.label(free)
    # The flood starts only where the frame shows backdrop-coloured pixels: a grey product cut
    # by the frame has a shadow's colour there, and entering through it would clear its body.
    backdrop = np.isin(labels, _border_labels(np.where(near, labels, 0)))
    # Enclosed near-backdrop (or shadowed) regions: what the flood did not reach, minus thin
    # edge bands.
    rest, n = ndimage.label(passable & ~ndimage.binary_dilation(backdrop, iterations=2,
                                                                mask=passable))  # fmt: skip
    if n:
        idx = np.arange(1, n + 1)
        sizes = ndimage.sum_labels(np.ones_like(d), rest, idx)
        if network is None:
            score = ndimage.median(d, rest, idx)
            hole = (np.asarray(score) <= lo) & (sizes >= HOLE_MIN_PX)
        else:
            score = ndimage.mean(network.astype(np.float32), rest, idx)
            small = sizes <= HOLE_SHARE * float((~backdrop).sum())
            # Mostly shadow-coloured and most of the product: a grey body the net missed.
            lit = np.asarray(ndimage.mean(near.astype(np.float32), rest, idx)) >= 0.5
            hole = (np.asarray(score) < 128) & (sizes >= HOLE_MIN_PX) & (lit | small)
            backdrop_coloured = np.asarray(ndimage.median(d, rest, idx)) <= lo
            hole |= backdrop_coloured & small & (sizes >= HOLE_MIN_PX)
        holes = np.zeros_like(backdrop)
        for k in idx[hole]:
            region = rest == k
            if not _has_islands(region, passable):
                holes |= region & free
        # A hole's rim is often shaded (the product's own shadow, a soft edge): it reaches
        # further into near-backdrop pixels than the flood's 3 px band does.
        reach = max(3, round(HOLE_REACH * max(d.shape)))
        backdrop |= ndimage.binary_dilation(holes, iterations=reach, mask=near) | holes
    grown: np.ndarray = ndimage.binary_dilation(backdrop, iterations=3, mask=near) | backdrop
    if shadow is not None:  # only 1 px into shadow-coloured pixels: a thin grey strap stays
        grown |= ndimage.binary_dilation(backdrop, iterations=1, mask=shadow)
    return grown


def shadow_like(
    rgb: np.ndarray, background: np.ndarray, network: np.ndarray, noise: float
) -> np.ndarray:
    """Bool (H, W): pixels that look like a cast shadow on a light backdrop (``background``
    float32 (3,), every channel ≥ 100): each channel 60–98 % of the backdrop's, in the same
    proportion (within 4 % + the noise), and background to the network (``network`` uint8
    matte < 128). A grey product has a shadow's colour too, so the network's word and the
    edges (the flood stops at them) keep its body."""
    if float(background.min()) < 100:
        return np.zeros(rgb.shape[:2], bool)
    ratio = rgb.astype(np.float32) / background
    mean = ratio.mean(axis=2)
    spread = np.abs(ratio - mean[..., None]).max(axis=2)
    out: np.ndarray = ((mean >= 0.6) & (mean <= 0.98) & (spread <= 0.04 + noise / 255)
                       & (network < 128))  # fmt: skip
    return out


def plain_matte(
    rgb: np.ndarray,
    background: tuple[int, int, int],
    noise: float,
    network: np.ndarray | None = None,
) -> np.ndarray:
    """Soft matte uint8 (H, W) for ``rgb`` uint8 (H, W, 3) on a plain ``background`` colour.

    ``noise``: the border's 95th-percentile distance from the backdrop colour (0–255), which
    sets the tolerances. ``network``: an optional network matte uint8 (H, W), 0–255, that
    judges enclosed near-backdrop regions and lets the flood remove soft cast shadows (see
    the module doc).
    """
    bg = np.array(background, np.float32)
    diff = rgb.astype(np.float32) - bg
    d = np.abs(diff).max(axis=2)
    lo = float(np.clip(1.5 * noise + 4, 6, 30))
    hi = lo + 24
    shadow = None if network is None else shadow_like(rgb, bg, network, noise)
    backdrop = backdrop_mask(d, lo, hi, network, shadow)
    core = ndimage.binary_erosion(~backdrop, iterations=2, border_value=1)
    ramp = np.clip((d - lo) / (hi - lo), 0, 1)
    if shadow is not None:
        ramp = np.where(shadow, 0.0, ramp)
    # Backdrop seen through a hole is clear (alpha 0), its shading too: the product's shadow
    # often falls into a handle's hole, and a grey veil there would show on any new backdrop.
    labels, _n = ndimage.label(backdrop)
    ramp = np.where(backdrop & ~np.isin(labels, _border_labels(labels)), 0.0, ramp)
    alpha = np.where(backdrop, ramp, 1.0).astype(np.float32)
    band = ~core & (d >= lo)
    if band.any():
        # Local product colour: mean of core pixels within 4 px (normalised convolution).
        weight = ndimage.uniform_filter(core.astype(np.float32), size=9, mode="nearest")
        fg = np.stack(
            [ndimage.uniform_filter(np.where(core, diff[..., c], 0), size=9, mode="nearest")
             for c in range(3)], axis=2)  # fmt: skip
        fg = fg[band] / np.maximum(weight[band], 1e-6)[:, None]
        norm2 = (fg * fg).sum(axis=1)
        proj = np.clip((diff[band] * fg).sum(axis=1) / np.maximum(norm2, 1e-6), 0, 1)
        usable = (weight[band] > 0.05) & (norm2 > (2 * hi) ** 2)
        alpha[band] = np.where(usable, proj, np.where(backdrop[band], ramp[band], 1.0))
    return (alpha * 255 + 0.5).astype(np.uint8)
