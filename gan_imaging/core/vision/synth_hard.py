"""Hard-case composites for the cutout, by category, with their exact ground-truth matte.

Categories (:data:`CATEGORIES`), the everyday catalogue items that the plain/complex sets of
:mod:`.synth` under-represent:

* ``light_on_white``: light products (channels ≈ 215–250) on white or light studio backdrops;
* ``grey_on_white``: grey products (≈ 120–225) on the same backdrops;
* ``flat_card``: flat printed cards and graphics (gift cards, labels; grey, white with a thin
  outline, coloured, or a photo printed on the face);
* ``glass``: glassware and translucent products (body alpha 0.55–0.85, so the silhouette is
  alpha ≥ 0.5, and the backdrop shows through);
* ``thin_parts``: cables, thin mug handles, bag straps (1.5–5 % of the product's width);
* ``holes``: enclosed background: mug handles, rings, bag straps, arm–torso gaps.

Sources: the corpus's transparent cutouts, recoloured (lightened, greyed, made translucent) or
given a handle, and the procedural products of :mod:`.shapes` where the corpus has none
(cards, mugs, glassware, cables, figures). Backdrops: studio white/light grey with vignette,
gradient and a soft drop shadow (the shadow is background in the truth), real photos, or plain
colours. Callers pass only the cutouts and photos of one split (:func:`.synth.split_of`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from gan_imaging.core.vision import shapes
from gan_imaging.core.vision.synth import background_window

CATEGORIES = ("light_on_white", "grey_on_white", "flat_card", "glass", "thin_parts", "holes")
#: Backdrop odds per category: (studio, real photo, plain colour).
_BACKDROPS = {
    "light_on_white": (1.0, 0.0, 0.0), "grey_on_white": (1.0, 0.0, 0.0),
    "flat_card": (0.5, 0.35, 0.15), "glass": (0.5, 0.5, 0.0),
    "thin_parts": (0.5, 0.4, 0.1), "holes": (0.6, 0.3, 0.1),
}  # fmt: skip
Colour = tuple[float, float, float]


def _float(cut: np.ndarray) -> np.ndarray:
    out: np.ndarray = cut.astype(np.float32)
    out[..., 3] /= 255.0
    return out


def lighten(cut: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A cutout (float RGBA, see :mod:`.shapes`) made light: each channel pulled towards 255,
    keeping 12–35 % of its distance from white (channels end ≈ 165–255, most ≥ 200)."""
    out = cut.copy()
    out[..., :3] = 255 - (255 - cut[..., :3]) * float(rng.uniform(0.12, 0.35))
    return out


def greyen(cut: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A cutout made grey: its luma mapped linearly into a range of 30–90 levels starting at
    110–170 (≤ 230), with a slight tint."""
    out = cut.copy()
    luma = cut[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    on = cut[..., 3] > 0.5
    lo_l, hi_l = np.percentile(luma[on], [2, 98]) if on.any() else (0.0, 255.0)
    t = np.clip((luma - lo_l) / max(1.0, hi_l - lo_l), 0, 1)
    lo = float(rng.uniform(110, 170))
    hi = min(230.0, lo + float(rng.uniform(30, 90)))
    out[..., :3] = (lo + t * (hi - lo))[..., None] + rng.uniform(-4, 4, 3).astype(np.float32)
    return out


def glassify(cut: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A cutout made translucent: body alpha 0.55–0.85, edges (4 % of the width) 0.9–1, the
    colours pale and tinted like glass or clear plastic."""
    out = cut.copy()
    a = cut[..., 3]
    k = max(3, int(0.04 * max(a.shape)) | 1)
    core = ndimage.minimum_filter(a, size=k)
    body = float(rng.uniform(0.55, 0.85))
    out[..., 3] = a * (body + (float(rng.uniform(0.9, 1.0)) - body) * (1 - core))
    tint = np.array(shapes.grey_level("light", rng), np.float32) * rng.uniform(0.85, 1.0, 3)
    out[..., :3] = 0.65 * tint + 0.35 * cut[..., :3]
    return out


def add_handle(cut: np.ndarray, rng: np.random.Generator, thickness: float) -> np.ndarray:
    """A cutout with a loop attached (a handle on its side or a strap over its top) in its own
    median colour, drawn behind it: a thin part that usually encloses background. The loop's
    thickness is ``thickness`` (a fraction of the cutout's long side, e.g. 0.015–0.06)."""
    h, w = cut.shape[:2]
    top = rng.random() < 0.5
    ph, pw = (int(0.45 * h), 0) if top else (0, int(0.4 * w))
    big = np.zeros((h + ph, w + pw, 4), np.float32)
    big[ph:, :w] = cut
    on = cut[..., 3] > 0.5
    colour = np.median(cut[..., :3][on], axis=0) if on.any() else np.full(3, 128.0)
    t = max(2.0, thickness * max(h, w))
    if top:
        box = (0.25 * w, 0.02 * (h + ph), 0.75 * w, ph + 0.2 * h)
    else:
        cols = np.flatnonzero(on[int(0.3 * h) : int(0.6 * h)].any(axis=0))
        edge = float(cols.max()) if cols.size else 0.8 * w
        box = (edge - 0.12 * w, 0.25 * h, min(w + pw - 2, edge + 0.35 * w), 0.65 * h)
    loop = shapes.mask(w + pw, h + ph, lambda d, s: d.ellipse(
        tuple(s(v) for v in box), outline=255, width=int(s(t))))  # fmt: skip
    a_b = big[..., 3]
    out_a = a_b + loop * (1 - a_b)
    rgb = big[..., :3] * a_b[..., None] + colour * (loop * (1 - a_b))[..., None]
    big[..., :3] = rgb / np.maximum(out_a, 1e-6)[..., None]
    big[..., 3] = out_a
    return big


def _colour(rng: np.random.Generator) -> Colour:
    r = rng.random()
    return shapes.grey_level("any" if r < 0.5 else "light" if r < 0.7 else "grey", rng)


def product(category: str, cutouts: Sequence[np.ndarray], rng: np.random.Generator,
            photos: Sequence[np.ndarray] = (), side: int = shapes.SIDE) -> np.ndarray:  # fmt: skip
    """One product of ``category`` as float RGBA (see :mod:`.shapes`), from ``cutouts``
    (uint8 RGBA) or procedural, drawn at about ``side`` px; ``photos`` (uint8 RGB) may be
    printed on cards."""
    r = rng.random()
    cut = _float(cutouts[int(rng.integers(len(cutouts)))]) if cutouts else None
    if category in ("light_on_white", "grey_on_white"):
        tone = "light" if category == "light_on_white" else "grey"
        if cut is not None and r < 0.6:
            return lighten(cut, rng) if tone == "light" else greyen(cut, rng)
        col = shapes.grey_level(tone if rng.random() < 0.8 else "white", rng)
        kind = int(rng.integers(5))
        if kind == 0:
            return shapes.card(rng, tone, side=side)
        if kind == 1:
            return shapes.mug(rng, col, saucer=rng.random() < 0.4, side=side)
        if kind == 2:
            return shapes.bag(rng, col, side=side)
        if kind == 3:
            return shapes.ring(rng, col, side=side)
        return shapes.figure(rng, col, side=side)
    if category == "flat_card":
        tones = ("grey", "light", "white", "any", "photo")
        tone = tones[int(rng.integers(len(tones)))]
        if tone == "photo" and photos:
            return shapes.card(rng, "any", photos[int(rng.integers(len(photos)))], side=side)
        return shapes.card(rng, "any" if tone == "photo" else tone, side=side)
    if category == "glass":
        if cut is not None and r < 0.4:
            return glassify(cut, rng)
        return shapes.glassware(rng, shapes.grey_level("light", rng), side=side)
    if category == "thin_parts":
        if r < 0.35:
            return shapes.cable(rng, _colour(rng), side=side)
        if r < 0.55:
            return shapes.mug(rng, _colour(rng), handle=0.5, side=side)
        if r < 0.75 or cut is None:
            return shapes.bag(rng, _colour(rng), strap=0.6, side=side)
        return add_handle(cut, rng, float(rng.uniform(0.012, 0.025)))
    if category == "holes":
        if r < 0.25:
            saucer = rng.random() < 0.4
            return shapes.mug(rng, _colour(rng), handle=1.5, saucer=saucer, side=side)
        if r < 0.5:
            return shapes.figure(rng, _colour(rng), side=side)
        if r < 0.65:
            return shapes.ring(rng, _colour(rng), side=side)
        if r < 0.8 or cut is None:
            return shapes.bag(rng, _colour(rng), strap=1.5, side=side)
        return add_handle(cut, rng, float(rng.uniform(0.03, 0.06)))
    raise ValueError(f"unknown hard-case category {category!r}")


def studio(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A white or light studio backdrop, float32 (h, w, 3) 0–255 for ``size`` = (w, h): base
    232–255, a vignette (0–25 levels darker in the corners) and a vertical gradient (±10)."""
    w, h = size
    base = float(rng.uniform(232, 255)) + rng.uniform(-3, 3, 3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    vig = float(rng.uniform(0, 25)) if rng.random() < 0.6 else 0.0
    grad = float(rng.uniform(-10, 10)) * (yy / h - 0.5)
    out = base[None, None, :] - (vig * r2 + grad)[..., None]
    return np.clip(out, 0, 255).astype(np.float32)


def hard_composite(
    category: str,
    cutouts: Sequence[np.ndarray],
    backgrounds: Sequence[np.ndarray],
    size: tuple[int, int],
    rng: np.random.Generator,
    *,
    fill: tuple[float, float] = (0.45, 0.9),
    jitter: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """One hard case of ``category`` at ``size`` = (w, h) px: (rgb uint8 (h, w, 3), truth
    alpha uint8 (h, w) 0–255). The product's long side spans a ``fill`` fraction of the
    canvas; ``jitter`` (training) adds flips and aspect changes. ``cutouts``: uint8 RGBA,
    ``backgrounds``: uint8 RGB, both of one split."""
    w, h = size
    fg = product(category, cutouts, rng, backgrounds, side=min(720, max(shapes.SIDE, w, h)))
    if jitter and rng.random() < 0.5:
        fg = fg[:, ::-1]
    aspect = float(np.exp(rng.uniform(-0.2, 0.2))) if jitter else 1.0
    fh0, fw0 = fg.shape[:2]
    scale = rng.uniform(*fill) * min(w / (fw0 * aspect), h / (fh0 / aspect))
    fw, fh = max(4, round(fw0 * aspect * scale)), max(4, round(fh0 / aspect * scale))
    rgb_im = Image.fromarray(np.clip(fg[..., :3] + 0.5, 0, 255).astype(np.uint8))
    a_im = Image.fromarray(np.clip(fg[..., 3] * 255 + 0.5, 0, 255).astype(np.uint8))
    rgb_s = np.asarray(rgb_im.resize((fw, fh), Image.Resampling.BILINEAR), np.float32)
    a_s = np.asarray(a_im.resize((fw, fh), Image.Resampling.BILINEAR), np.float32) / 255
    px = int(rng.integers(0, max(1, w - fw + 1)))
    py = int(rng.integers(0, max(1, h - fh + 1)))
    if category == "holes" and rng.random() < 0.3:
        py = max(0, h - fh + int(0.1 * fh))  # cut by the frame's bottom, like a model shot
    alpha = np.zeros((h, w), np.float32)
    fgrgb = np.zeros((h, w, 3), np.float32)
    ah, aw = min(fh, h - py), min(fw, w - px)
    alpha[py : py + ah, px : px + aw] = a_s[:ah, :aw]
    fgrgb[py : py + ah, px : px + aw] = rgb_s[:ah, :aw]
    odds = np.array(_BACKDROPS[category])
    kind = int(rng.choice(3, p=odds / odds.sum())) if backgrounds else 0 if odds[0] else 2
    if kind == 0:
        bg = studio(size, rng)
        if rng.random() < 0.5:
            bg = _shadow(bg, alpha, rng)
    elif kind == 1:
        bg = np.asarray(background_window(
            backgrounds[int(rng.integers(len(backgrounds)))], size, rng), np.float32)
    else:
        bg = np.broadcast_to(np.array(_colour(rng), np.float32), (h, w, 3))
    out = fgrgb * alpha[..., None] + bg * (1 - alpha[..., None])
    if rng.random() < 0.5:
        out = out + rng.normal(0, rng.uniform(0.5, 3), out.shape).astype(np.float32)
    rgb = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=int(rng.integers(75, 96)))
        rgb = np.asarray(Image.open(buf).convert("RGB")).copy()
    return rgb, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def _shadow(bg: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``bg`` darkened by a soft drop shadow of ``alpha`` (offset down/right, blur 1–4 % of the
    long side, strength 8–30 %)."""
    side = max(alpha.shape)
    dx, dy = int(rng.uniform(-0.02, 0.04) * side), int(rng.uniform(0.01, 0.05) * side)
    moved = np.roll(alpha, (dy, dx), axis=(0, 1))
    blur = Image.fromarray((moved * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(rng.uniform(0.01, 0.04)) * side))  # fmt: skip
    s = np.asarray(blur, np.float32) / 255 * float(rng.uniform(0.08, 0.3))
    out: np.ndarray = bg * (1 - s[..., None])
    return out


def enclosed(truth: np.ndarray) -> np.ndarray:
    """Enclosed background of a truth matte uint8 (H, W): bool mask of background pixels
    (alpha < 128) not 4-connected to the image border (a handle's hole, an arm–torso gap)."""
    bg = truth < 128
    labels, _n = ndimage.label(bg)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    out: np.ndarray = bg & ~np.isin(labels, edge)
    return out


def hard_set(
    cutouts: Sequence[np.ndarray],
    backgrounds: Sequence[np.ndarray],
    per_category: int,
    *,
    seed: int = 2027,
    sizes: Sequence[tuple[int, int]] = ((800, 800), (640, 800), (800, 534)),
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """``per_category`` fixed hard cases per category: (category, rgb, truth alpha), the same
    for the same inputs and ``seed``; product 45–90 % of the frame."""
    rng = np.random.default_rng(seed)
    for category in CATEGORIES:
        for _ in range(per_category):
            size = sizes[int(rng.integers(len(sizes)))]
            yield (category, *hard_composite(category, cutouts, backgrounds, size, rng))
