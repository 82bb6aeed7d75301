"""Salient product finding: the main object of a photo whose background is not plain.

Where the cutout's backdrop colour model or its small network sees nothing, a fragment or
specks, a person still sees the product at once: it differs from the photo's border and from
what surrounds it, and it sits towards the middle. :func:`salient_matte` finds it:

1. Saliency 0–1 at :data:`WORK_SIDE` px (:func:`.saliency.saliency`: barrier distance to the
   border + colour distance to the border strips + in-focus detail, times a centre prior).
2. Candidates: connected regions above thresholds 0.15–0.6 (and the network's matte when
   given), scored by objectness = colour contrast with their surround × saliency lift over it
   × edge strength along their outline × centrality. Of the regions scoring ≥ 1/2 of the
   best (≥ 1/4 if they contain it), the largest about as compact as the best (solidity ≥
   0.95 × its: a leak into the background is ragged) is tried first, so the whole cat rather
   than its eye; then the best, so a ring rather than the hand wearing it; then the larger
   ragged ones (an orchid, a camera around its lens), until one stands out.
3. GrabCut-style refinement in the candidate's box (+15 %, regrown each round): object and
   background colour histograms re-estimated three times; unary = colour log-ratio + saliency
   prior (+ the network's probability where it fires); an edge-aware mean-field smoothing
   (guided filter) as the pairwise term. The main connected part is kept, small holes filled.
4. Alpha 0–255: snapped to image edges by a guided filter at :data:`EDGE_SIDE` px, resized.

"Stands out" (else None: refuse), measured on the object at the working size: share of the
frame in [:data:`MIN_SHARE`, :data:`MAX_SHARE`]; ``contrast`` ≥ :data:`MIN_CONTRAST`
(colour-histogram distance 0–1 to a ring around it); ``barrier`` ≥ :data:`MIN_BARRIER` (median
barrier distance to the border, Lab units: clouds, sand and wood grain fade into their
surround); ``dominance`` ≥ :data:`MIN_DOMINANCE` (share 0–1 of the photo's strongly salient
mass inside it: star fields, textures and noise spread it); ``border`` ≤ :data:`MAX_BORDER`
(share 0–1 of the frame's edge pixels covered: more is a scene, not an object). Flat images
are refused first. About 0.1–0.2 s for a 1 MP photo on one core.

:func:`fallback` is the decision :func:`.cutout.cutout` makes with it on its ``auto`` path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.vision.saliency import (
    LEVELS,
    centre_prior,
    colour_bins,
    contrast,
    edge_strength,
    guided,
    lab,
    main_part,
    objectness,
    resized,
    ring,
    saliency,
    sharpness,
    solidity,
)

WORK_SIDE = 200  # px, long side of the saliency / segmentation image
EDGE_SIDE = 512  # px, long side of the edge-snapping image
MIN_SHARE, MAX_SHARE = 0.01, 0.95
MIN_CONTRAST = 0.45
MIN_BARRIER = 20.0
MIN_DOMINANCE = 0.4
MAX_BORDER = 0.25
_FLAT = 3.0  # Lab units: a photo whose channels all spread (std) less than this is flat
_NEAR_BEST, _ANCESTOR, _COMPACT = 0.5, 0.25, 0.95


@dataclass(frozen=True)
class SalientResult:
    """The main object. ``alpha``: uint8 (H, W) the photo's size, 0 = background, 255 =
    object, soft at edges; ``box``: (left, top, right, bottom) px of alpha ≥ 8. ``share``,
    ``contrast``, ``barrier``, ``dominance``, ``border``: the measures that let it through
    (see the module doc)."""

    alpha: np.ndarray
    share: float
    contrast: float
    barrier: float
    dominance: float
    border: float
    box: tuple[int, int, int, int]


def candidates(sal: np.ndarray, bins: np.ndarray, edges: np.ndarray,
               net: np.ndarray | None = None) -> list[np.ndarray]:  # fmt: skip
    """First outlines of the object (bool masks), in the order to try them (step 2)."""
    centre = centre_prior(sal.shape[0], sal.shape[1], 0.35)
    masks: list[np.ndarray] = []
    for t in (0.15, 0.2, 0.3, 0.4, 0.5, 0.6):
        labels, n = ndimage.label(sal > t, structure=np.ones((3, 3), bool))
        idx = np.arange(1, n + 1)
        mass = ndimage.sum_labels(sal, labels, idx) if n else np.zeros(0)
        masks += [labels == k for k in idx[np.argsort(mass)[::-1][:3]]]
    if net is not None and (net > 0.5).any():
        masks.append(main_part(net > 0.5, net))
    found = [(objectness(m, sal, bins, edges, centre), m) for m in masks
             if m.mean() >= MIN_SHARE / 2]  # fmt: skip
    if not found or max(score for score, _m in found) <= 0:
        return []
    top, best = max(found, key=lambda f: f[0])
    firm = _COMPACT * solidity(best)
    ok = sorted((m for score, m in found if score >= _NEAR_BEST * top
                 or (score >= _ANCESTOR * top and not (best & ~m).any())),
                key=np.sum, reverse=True)  # fmt: skip
    compact = [m for m in ok if solidity(m) >= firm]
    ragged = [m for m in ok if not any(m is c for c in compact)]
    first = compact[0] if compact else best
    return [first] + ([best] if first is not best else []) + ragged[:2]


def _grow(mask: np.ndarray, frac: float = 0.15) -> np.ndarray:
    """The bounding box of ``mask``, ``frac`` of its size (≥ 2 px) larger on each side."""
    ys, xs = np.nonzero(mask)
    out = np.zeros(mask.shape, bool)
    my = max(2, round(frac * (ys.max() - ys.min() + 1)))
    mx = max(2, round(frac * (xs.max() - xs.min() + 1)))
    out[max(0, ys.min() - my) : ys.max() + my + 1, max(0, xs.min() - mx) : xs.max() + mx + 1] = True
    return out


def _hist(bins: np.ndarray, weight: np.ndarray) -> np.ndarray:
    h = np.bincount(bins.ravel(), weight.ravel().astype(np.float64), LEVELS**3)
    h = ndimage.gaussian_filter(h.reshape((LEVELS,) * 3), 0.7) + 1e-6
    out: np.ndarray = h / h.sum()
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))
    return out


def refine(rgb: np.ndarray, bins: np.ndarray, sal: np.ndarray, seed: np.ndarray,
           net: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """GrabCut-style object probability 0–1 (H, W) grown from ``seed`` (step 3)."""
    prior = (sal - float(sal[seed].min())) * 6.0 + np.where(seed, 1.5, -1.5)
    if net is not None:  # evidence where the network fires; its silence proves nothing
        prior = prior + 4.0 * net
    grey = rgb.mean(axis=2).astype(np.float32) / 255
    q = seed.astype(np.float32)
    for _ in range(3):
        box = _grow(q > 0.5) if (q > 0.5).any() else _grow(seed)
        ratio = np.log(_hist(bins, q * box) / _hist(bins, (1 - q) + ~box))
        u = prior + np.clip(ratio.ravel()[bins], -2, 2)
        u[~box] = -8.0
        q = _sigmoid(u)
        for _ in range(4):
            q = _sigmoid(u + 3.0 * (2 * guided(grey, q, 3, 1e-2) - 1))
    return q


def _as_prob(network_prob: np.ndarray | None, size: tuple[int, int]) -> np.ndarray | None:
    """The network's probability as float32 0–1 of ``size`` (w, h); None if unusable."""
    if network_prob is None:
        return None
    p = np.asarray(network_prob, dtype=np.float32)
    if p.ndim != 2 or min(p.shape) < 1:
        return None
    p = np.nan_to_num(p, nan=0.0, posinf=1.0, neginf=0.0)
    p = p / 255.0 if p.max() > 1.0 else p
    im = Image.fromarray(np.clip(p, 0, 1).astype(np.float32), "F")
    return np.asarray(im.resize(size, Image.Resampling.BILINEAR), np.float32)


@dataclass
class Analysis:
    """What :func:`analyse` found at the working size: the object ``mask`` (bool), its
    ``prob`` 0–1, the ``saliency`` 0–1 and the gate's ``measures`` (see the module doc)."""

    image: Image.Image
    mask: np.ndarray
    prob: np.ndarray
    saliency: np.ndarray
    measures: dict[str, float]

    def stands_out(self) -> bool:
        """The gate of the module doc: an object a person would see at once."""
        m = self.measures
        return bool(MIN_SHARE <= m["share"] <= MAX_SHARE and m["contrast"] >= MIN_CONTRAST
                    and m["barrier"] >= MIN_BARRIER and m["dominance"] >= MIN_DOMINANCE
                    and m["border"] <= MAX_BORDER)  # fmt: skip


def analyse(image: Image.Image, network_prob: np.ndarray | None = None) -> Analysis | None:
    """Steps 1–3 of the module doc: the first candidate whose object stands out, else the
    first one's (for diagnosis); None when there is none, or for flat images and images whose
    working size is under 8 px a side."""
    try:
        rgb_im = image.convert("RGB")
    except ValueError:  # a mode Pillow cannot convert (e.g. "La")
        return None
    work = resized(rgb_im, WORK_SIDE)
    if min(work.size) < 8:
        return None
    rgb = np.asarray(work)
    labim = lab(rgb)
    if float(labim.reshape(-1, 3).std(axis=0).max()) < _FLAT:
        return None
    sal, barrier = saliency(labim, sharpness(resized(rgb_im, EDGE_SIDE), work.size))
    bins = colour_bins(rgb)
    edges = edge_strength(ndimage.gaussian_filter(labim, (1, 1, 0)))
    net = _as_prob(network_prob, work.size)
    first = None
    for seed in candidates(sal, bins, edges, net):
        q = refine(rgb, bins, sal, seed, net)
        obj = main_part(q > 0.5, sal)
        if not obj.any():
            continue
        holes = ndimage.binary_fill_holes(obj) & ~obj
        labels = ndimage.label(holes)[0]
        obj |= holes & (np.bincount(labels.ravel())[labels] < 0.02 * obj.sum())
        strong = sal >= 0.5
        edge_px = np.concatenate([obj[0], obj[-1], obj[:, 0], obj[:, -1]])
        measures = {
            "share": float(obj.mean()),
            "contrast": contrast(bins, obj, ring(obj)),
            "barrier": float(np.median(barrier[obj])),
            "dominance": float(sal[obj & strong].sum() / max(float(sal[strong].sum()), 1e-6)),
            "border": float(edge_px.mean()),
        }
        found = Analysis(rgb_im, obj, q, sal, measures)
        if found.stands_out():
            return found
        first = first or found
    return first


def salient_matte(
    image: Image.Image, network_prob: np.ndarray | None = None
) -> SalientResult | None:
    """The main object of ``image`` (a PIL image of any mode and size), or None when nothing
    stands out (see the module doc). ``network_prob``: the cutout network's foreground
    probability (float 0–1 or uint8 0–255), any size (resized to the photo), used as a prior
    where it fires. Never raises on odd input: tiny, flat or oddly shaped images give None,
    an unusable ``network_prob`` is ignored."""
    found = analyse(image, network_prob)
    if found is None or not found.stands_out():
        return None
    alpha = _snap(found.image, np.where(found.mask, np.maximum(found.prob, 0.5), 0.0))
    box = Image.fromarray(alpha, "L").point(lambda v: 255 if v >= 8 else 0).getbbox()
    if box is None:
        return None
    m = found.measures
    return SalientResult(alpha, m["share"], m["contrast"], m["barrier"], m["dominance"],
                         m["border"], box)  # fmt: skip


def _snap(image: Image.Image, soft: np.ndarray) -> np.ndarray:
    """``soft`` 0–1 at the working size → uint8 alpha the size of ``image``, its edges moved
    onto the image's edges by a guided filter at :data:`EDGE_SIDE` px (radius 1 % of it)."""
    edge = resized(image, EDGE_SIDE)
    up = Image.fromarray(soft.astype(np.float32), "F").resize(edge.size, Image.Resampling.BILINEAR)
    up_np = np.asarray(up, np.float32)
    grey = np.asarray(edge.convert("L"), np.float32) / 255.0
    r = max(2, round(max(edge.size) / 100))
    a = np.clip((guided(grey, up_np, r, 1e-3) - 0.5) * 2.0 + 0.5, 0.0, 1.0)
    a[~ndimage.binary_dilation(up_np > 0.25, iterations=r)] = 0
    out = Image.fromarray((a * 255 + 0.5).astype(np.uint8), "L")
    if out.size != image.size:
        out = out.resize(image.size, Image.Resampling.BILINEAR)
    return np.asarray(out)


#: Quality test of a cutout (:func:`matte_quality`): a matte whose four largest parts hold
#: less than MIN_GATHERED of it is scattered (stars); under MIN_MATTE_SHARE of the frame it is
#: a speck; a network matte needs contrast ≥ MIN_NET_CONTRAST with its surround and at most
#: MAX_SOFT times as many soft pixels (alpha 32–223) as solid ones (a hesitant blotch); any
#: matte needs contrast ≥ MIN_MATTE_CONTRAST (a star field's "backdrop" model keys a blob).
MIN_GATHERED = 0.6
MIN_MATTE_CONTRAST = 0.3
MIN_MATTE_SHARE = 0.002
MIN_NET_CONTRAST = 0.4
MAX_SOFT = 1.5
#: A network matte under FRAGMENT of the salient object's size is a fragment of it (a print
#: on a shirt, the lit half of a mug) or a stray detection beside it.
FRAGMENT = 0.5
_QUALITY_SIDE = 400


def matte_quality(image: Image.Image, alpha: np.ndarray) -> dict[str, float]:
    """Measures of a cutout ``alpha`` (uint8 (H, W) of ``image``), at ≤ 400 px: ``share``
    0–1 of the frame (alpha ≥ 128), ``gathered`` 0–1 (share of it in its four largest parts),
    ``contrast`` 0–1 (colour-histogram distance between the matte and a ring around it) and
    ``soft`` (pixels of alpha 32–223 per pixel of alpha ≥ 128, ≥ 0)."""
    a = np.asarray(resized(Image.fromarray(np.asarray(alpha, np.uint8), "L"), _QUALITY_SIDE))
    on = a >= 128
    if not on.any():
        return {"share": 0.0, "gathered": 0.0, "contrast": 0.0, "soft": 0.0}
    labels, _n = ndimage.label(on, structure=np.ones((3, 3), bool))
    sizes = np.sort(np.bincount(labels.ravel())[1:])[::-1]
    rgb = np.asarray(image.convert("RGB").resize(on.shape[::-1], Image.Resampling.BILINEAR))
    return {"share": float(on.mean()), "gathered": float(sizes[:4].sum() / sizes.sum()),
            "contrast": contrast(colour_bins(rgb), on, ring(on)),
            "soft": soft_share(a)}  # fmt: skip


def soft_share(alpha: np.ndarray) -> float:
    """Soft pixels (alpha 32–223) per solid one (alpha ≥ 128) of a uint8 matte (≥ 0; inf when
    nothing is solid): a hesitant blotch has many."""
    solid = int((alpha >= 128).sum())
    soft = int(((alpha >= 32) & (alpha <= 223)).sum())
    return soft / solid if solid else float("inf")


def passes(quality: dict[str, float], method: str) -> bool:
    """The quality test (constants above) of a matte made by ``method``: ``"plain"`` (the
    backdrop colour model: share, gathered, contrast ≥ :data:`MIN_MATTE_CONTRAST`) or
    ``"network"`` (also contrast ≥ :data:`MIN_NET_CONTRAST` and soft ≤ :data:`MAX_SOFT`)."""
    q = quality
    ok = (q["share"] >= MIN_MATTE_SHARE and q["gathered"] >= MIN_GATHERED
          and q["contrast"] >= MIN_MATTE_CONTRAST)  # fmt: skip
    if method == "network":
        ok = ok and q["contrast"] >= MIN_NET_CONTRAST and q["soft"] <= MAX_SOFT
    return ok


def fallback(image: Image.Image, alpha: np.ndarray, method: str,
             quality: dict[str, float] | None = None) -> tuple[np.ndarray, str]:  # fmt: skip
    """The cutout to use, given the ``alpha`` (uint8 (H, W)) that the colour model
    (``method="plain"``) or the network (``"network"``) made of ``image``: ``(alpha,
    method)`` when it :func:`passes` (and, from the network, is at least :data:`FRAGMENT`
    of the salient object's size), else the salient object's alpha and ``"salient"``, else
    an all-zero alpha and ``"none"``: nothing stands out, refuse. ``quality``: ``alpha``'s
    :func:`matte_quality`, if the caller measured it already."""
    alpha = np.asarray(alpha, np.uint8)
    ok = passes(quality or matte_quality(image, alpha), method)
    if method == "plain" and ok:
        return alpha, method
    found = salient_matte(image, alpha if method == "network" else None)
    if found is None:
        return (alpha, method) if ok else (np.zeros_like(alpha), "none")
    if ok and (alpha >= 128).sum() >= FRAGMENT * (found.alpha >= 128).sum():
        return alpha, method
    return found.alpha, "salient"
