"""How ``benchmarks/render_edges.py`` judges a scene or a banner from its pixels alone: where
the product's matte meets the output's frame along a cut edge, and whether a shadow or halo
lies under a cut or beside the product (two renders over two flat greys give the product's
opacity and the shadow's darkening)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.vision.compose import render_scene

GREYS = {"dark": 40, "light": 215}
ASPECTS = ("1:1", "4:5", "16:9")
SHADOW = 0.06  # darkening (0–1) that counts as a visible shadow


def grey(style: str, width: int, height: int, seed: int) -> Image.Image:
    """Stub backdrop: a flat grey (``dark`` or ``light``), RGB."""
    return Image.new("RGB", (width, height), (GREYS.get(style, 128),) * 3)


def sides(mask: np.ndarray) -> dict[str, np.ndarray]:
    """The outermost column/row of ``mask`` on each side."""
    return {"left": mask[:, 0], "top": mask[0], "right": mask[:, -1], "bottom": mask[-1]}


def expected(line: np.ndarray, lo: int, hi: int, frame: int) -> float:
    """Output px the cut ``line`` (bool, along one side of the product) covers once placed
    from ``lo`` to ``hi`` (px) along a frame of ``frame`` px (the part inside the frame)."""
    if not line.size or hi <= lo:
        return 0.0
    step = (hi - lo) / line.size
    at = lo + (np.flatnonzero(line) + 0.5) * step
    return float(((at >= 0) & (at < frame)).sum() * step)


def check_edges(
    mask: np.ndarray, cut: list[str], box: list[int], lines: dict[str, np.ndarray]
) -> list[str]:
    """Problems: cut sides whose product pixels do not reach the frame along the cut (80 %
    of the expected coverage, less 3 px: the outputs' mattes are not the measured one)."""
    h, w = mask.shape
    bad = []
    for side in cut:
        line = lines.get(side, np.zeros(0, bool))
        across = (box[0], box[2], w) if side in ("top", "bottom") else (box[1], box[3], h)
        want = expected(line, *across)
        if want < 1:  # the frame crops the product there: the cut lies outside the output
            continue
        need = 0.8 * want - 3
        got = int(sides(mask)[side].sum())
        if got < max(1.0, need):
            bad.append(f"{side} edge {got}px<{need:.0f}")
    return bad


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), np.float32)


def alpha_of(light: np.ndarray, dark: np.ndarray, el: np.ndarray, ed: np.ndarray) -> np.ndarray:
    """Product opacity 0–1 per pixel from two renders over two known backgrounds."""
    d = (light - dark).mean(axis=2) / np.maximum(1.0, (el - ed).mean(axis=2))
    out: np.ndarray = np.clip(1 - d, 0, 1)
    return out


def shadow_of(
    light: np.ndarray, dark: np.ndarray, el: np.ndarray, ed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(darkening 0–1 of the light render, where it is a shadow). A shadow multiplies the
    backdrop, so it darkens both greys by the same factor (3×3 means, against the encoder's
    noise); a translucent product speck does not (unless it is pure black)."""
    dl = 1 - ndimage.uniform_filter(light.mean(axis=2), 3) / np.maximum(1.0, el.mean(axis=2))
    dd = 1 - ndimage.uniform_filter(dark.mean(axis=2), 3) / np.maximum(1.0, ed.mean(axis=2))
    return dl, (dl > 0.02) & (np.abs(dd - dl) <= 0.02 + 0.2 * dl)


def footprint(matte: Image.Image, box: list[int], size: tuple[int, int]) -> np.ndarray:
    """Where the product's own matte (any alpha) lies once placed at ``box`` in a ``size``
    (w, h px) output, grown by 2 px: its faint specks are not shadows."""
    canvas = Image.new("L", size)
    placed = matte.point(lambda v: 255 if v > 2 else 0).resize(
        (box[2] - box[0], box[3] - box[1]), Image.Resampling.BILINEAR)
    canvas.paste(placed, (box[0], box[1]))
    out: np.ndarray = ndimage.binary_dilation(np.asarray(canvas) > 0, iterations=2)
    return out


def scene_checks(
    outs: list[Any], lines: dict[str, np.ndarray], matte: Image.Image
) -> list[tuple[str, list[str]]]:
    """(key, problems) per scene aspect; ``matte``: the product's alpha (its box)."""
    by = {(o.meta["aspect"], o.meta["style"]): o for o in outs}
    results = []
    for aspect in ASPECTS:
        lo, hi = by[(aspect, "dark")], by[(aspect, "light")]
        w, h = hi.width, hi.height
        clear = Image.new("RGBA", (1, 1))
        el = np.asarray(render_scene(clear, grey("light", w, h, 0), shadow=False)[0], np.float32)
        ed = np.asarray(render_scene(clear, grey("dark", w, h, 0), shadow=False)[0], np.float32)
        light, dark = _pixels(hi.data), _pixels(lo.data)
        alpha = alpha_of(light, dark, el, ed)
        place, cut = hi.meta["placement"], hi.meta["cut_edges"]
        bad = check_edges(alpha >= 0.45, cut, place["box"], lines)
        if place["anchored"] != cut:
            bad.append(f"anchored {place['anchored']} != cut {cut}")
        darkening, shadow = shadow_of(light, dark, el, ed)
        # A translucent black edge darkens like a shadow: look 3 px away from the product,
        # and outside its own matte's faint specks.
        shadow &= ~ndimage.binary_dilation(alpha >= 0.5, iterations=3)
        # A contact shadow is a smooth blur many px wide; matte specks are not.
        seen = shadow & ~footprint(matte, place["box"], (w, h)) & (darkening > SHADOW)
        seen = ndimage.binary_opening(seen, np.ones((5, 5), bool))
        if "bottom" in cut and (place["shadow"] or seen.any()):
            bad.append(f"shadow under the cut ({int(seen.sum())} px)")
        solid = np.flatnonzero((alpha >= 0.5).any(axis=1))
        base = int(solid[-1]) + 1 if solid.size else place["box"][3]
        if "bottom" not in cut and "bottom" not in place["cropped"]:
            near = shadow[max(0, base - round(0.03 * h)) : base + round(0.08 * h)]
            if not (place["shadow"] and near.any()):
                bad.append("the base casts no shadow (floats)")
        results.append((hi.key, bad))
    return results


def banner_checks(outs: list[Any], lines: dict[str, np.ndarray]) -> list[tuple[str, list[str]]]:
    """(key, problems) per banner size. Banners are lossless PNGs on a flat light grey, so
    every pixel of the product box that differs from it was drawn: the product inside its
    pasted rectangle; anything outside that rectangle would be a shadow or halo."""
    results = []
    for out in outs:
        px = _pixels(out.data)
        h, w = px.shape[:2]
        meta = out.meta
        box, cut, anchor = meta["boxes"]["product"], meta["cut_edges"], meta["product_anchor"]
        rect = anchor.get("rect", box)
        drawn = np.zeros((h, w), bool)
        drawn[box[1] : box[3], box[0] : box[2]] = True
        drawn &= np.abs(px - GREYS["light"]).max(axis=2) > 4
        in_rect = np.zeros((h, w), bool)
        in_rect[max(0, rect[1]) : rect[3], max(0, rect[0]) : rect[2]] = True
        bad = check_edges(drawn & in_rect, cut, rect, lines)
        if anchor["anchored"] != cut:
            bad.append(f"anchored {anchor['anchored']} != cut {cut}")
        if anchor["shadow"] or (drawn & ~in_rect).any():
            bad.append(f"shadow or halo beside the product ({int((drawn & ~in_rect).sum())} px)")
        if not out.meta["contrast_ok"] or out.meta["overflow"]:
            bad.append("text not legible")
        results.append((out.key, bad))
    return results
