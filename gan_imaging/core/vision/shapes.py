"""Procedural products for the cutout's hard cases: cards, mugs, bags, cables, rings, glassware
and a figure with its arms at its sides, each with an exact alpha.

Every function draws one product at about ``side`` px (default :data:`SIDE`) on its long side
and returns it as
float32 (H, W, 4): RGB 0–255 and alpha 0–1 (antialiased: drawn at 3x, box-reduced). Shading
is simple (a cylinder's light falloff, a highlight stripe) so the shapes read as objects rather
than flat stickers. All randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: Long side (px) at which the procedural products are drawn.
SIDE = 320
_SS = 3  # supersampling factor of the masks

Draw = Callable[[ImageDraw.ImageDraw, Callable[[float], float]], None]


def mask(w: int, h: int, draw: Draw) -> np.ndarray:
    """A float32 (h, w) coverage mask 0–1: ``draw(d, s)`` paints 255 on a 3x canvas through
    ``d``, with ``s`` scaling product coordinates (px at w x h) to the canvas."""
    big = Image.new("L", (w * _SS, h * _SS), 0)
    draw(ImageDraw.Draw(big), lambda v: v * _SS)
    return np.asarray(big.resize((w, h), Image.Resampling.BOX), np.float32) / 255.0


def _rgba(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.concatenate([np.clip(rgb, 0, 255), np.clip(alpha, 0, 1)[..., None]], axis=2)


def _fill(h: int, w: int, colour: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.float32), (h, w, 3)).astype(np.float32)


def cylinder_shade(w: int, x0: float, x1: float, rng: np.random.Generator) -> np.ndarray:
    """Brightness gain float32 (w,) for a vertical cylinder spanning x0–x1 px: darker towards
    its sides (gain 0.75–1.1), with a soft highlight at a random position."""
    x = (np.arange(w, dtype=np.float32) - x0) / max(1.0, x1 - x0)
    t = np.clip(x, 0, 1) * 2 - 1
    light = float(rng.uniform(-0.4, 0.1))
    gain = 0.8 + 0.25 * np.sqrt(np.clip(1 - t * t, 0, 1)) - 0.1 * np.abs(t - light)
    spot = np.exp(-(((t - light) / 0.12) ** 2)) * float(rng.uniform(0.05, 0.2))
    out: np.ndarray = (gain + spot).astype(np.float32)
    return out


def grey_level(tone: str, rng: np.random.Generator) -> tuple[float, float, float]:
    """A body colour for ``tone``: ``"grey"`` (channel 120–215), ``"light"`` (215–248),
    ``"white"`` (246–255) or ``"any"`` (any colour); greys get a slight tint (±4)."""
    if tone == "any":
        r, g, b = (float(v) for v in rng.integers(0, 256, 3))
        return (r, g, b)
    lo, hi = {"grey": (120, 215), "light": (215, 248), "white": (246, 255)}[tone]
    v = float(rng.uniform(lo, hi))
    t = rng.uniform(-4, 4, 3)
    return (min(255.0, v + t[0]), min(255.0, v + t[1]), min(255.0, v + t[2]))


def card(rng: np.random.Generator, tone: str = "any", photo: np.ndarray | None = None,
         side: int = SIDE) -> np.ndarray:  # fmt: skip
    """A flat printed card (gift card, credit card, label, poster): a rounded rectangle with an
    optional stripe, logo, text lines and a thin outline. ``tone``: the body colour (see
    :func:`grey_level`); ``photo`` (uint8 RGB) prints a crop of it on the face instead."""
    w = side
    u = side / SIDE  # line widths scale with the drawing size
    h = int(w / rng.uniform(1.3, 1.75))
    r = float(rng.uniform(0.02, 0.08)) * w
    alpha = mask(w, h, lambda d, s: d.rounded_rectangle((0, 0, s(w) - 1, s(h) - 1), s(r),
                                                         fill=255))  # fmt: skip
    if photo is not None:
        ph, pw = photo.shape[:2]
        cw = min(pw, int(ph * w / h))
        x0 = int(rng.integers(0, pw - cw + 1))
        ch = min(ph, int(cw * h / w))
        crop = Image.fromarray(photo[:ch, x0 : x0 + cw]).resize((w, h), Image.Resampling.BILINEAR)
        rgb = np.asarray(crop, np.float32).copy()
    else:
        rgb = _fill(h, w, grey_level(tone, rng)).copy()
    face = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(face)
    if rng.random() < 0.6:  # a stripe, often yellow
        y = int(rng.uniform(0.45, 0.85) * h)
        sh = max(3, int(rng.uniform(0.08, 0.18) * h))
        col = (250, int(rng.integers(170, 215)), 20) if rng.random() < 0.5 else tuple(
            int(v) for v in rng.integers(0, 256, 3))  # fmt: skip
        d.rectangle((0, y, w, y + sh), fill=col)
    if rng.random() < 0.75:  # a logo
        lx, ly = int(rng.uniform(0.08, 0.6) * w), int(rng.uniform(0.1, 0.45) * h)
        ls = int(rng.uniform(0.12, 0.3) * h)
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.ellipse((lx, ly, lx + ls, ly + ls), fill=col)
        else:
            d.rounded_rectangle((lx, ly, lx + ls * 2, ly + ls), ls // 4, fill=col)
    for _ in range(int(rng.integers(0, 5))):  # text lines
        tx, ty = int(rng.uniform(0.05, 0.6) * w), int(rng.uniform(0.1, 0.9) * h)
        shade = int(rng.integers(20, 120))
        d.rectangle(
            (tx, ty, tx + int(rng.uniform(0.1, 0.35) * w), ty + max(1, round(3 * u))),
            fill=(shade,) * 3,
        )
    rgb = np.asarray(face, np.float32)
    if tone in ("white", "light") or rng.random() < 0.3:  # a thin printed or cut outline
        width = float(rng.uniform(1.0, 3.0)) * u
        ring = alpha - mask(w, h, lambda d, s: d.rounded_rectangle(
            (s(width), s(width), s(w - width) - 1, s(h - width) - 1), s(r), fill=255))  # fmt: skip
        tone_o = float(rng.uniform(110, 200))
        rgb = rgb * (1 - ring[..., None]) + tone_o * ring[..., None]
    ramp = 1 + float(rng.uniform(-0.04, 0.04)) * np.linspace(-1, 1, w, dtype=np.float32)
    return _rgba(rgb * ramp[None, :, None], alpha)


def mug(rng: np.random.Generator, colour: tuple[float, float, float], *,
        handle: float = 1.0, saucer: bool = False, side: int = SIDE) -> np.ndarray:  # fmt: skip
    """A mug or cup seen from the side, its ring handle enclosing background (the handle's
    thickness is ``handle`` times 5–9 % of the body width), optionally on a saucer."""
    w, h = side, int(side * rng.uniform(0.8, 1.0))
    bx0, bx1 = 0.12 * w, float(rng.uniform(0.55, 0.68)) * w
    top, bot = 0.12 * h, (0.78 if saucer else 0.95) * h
    ry = 0.06 * h
    hw = max(2.0, handle * float(rng.uniform(0.05, 0.09)) * (bx1 - bx0))
    hx = bx1 + float(rng.uniform(0.14, 0.22)) * w
    hy0, hy1 = top + 0.15 * (bot - top), top + float(rng.uniform(0.55, 0.75)) * (bot - top)

    def body(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.rounded_rectangle((s(bx0), s(top), s(bx1), s(bot)), s(0.08 * w), fill=255)
        d.ellipse((s(bx0), s(top - ry), s(bx1), s(top + ry)), fill=255)

    def ring(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.ellipse((s(bx1 - 0.2 * w), s(hy0), s(hx), s(hy1)), outline=255, width=int(s(hw)))

    def plate(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.ellipse((s(0.0), s(bot - 0.1 * h), s(min(w - 1, hx + 0.05 * w)), s(h - 2)), fill=255)

    a_body, a_ring = mask(w, h, body), mask(w, h, ring)
    a_plate = mask(w, h, plate) if saucer else np.zeros((h, w), np.float32)
    alpha = np.maximum(np.maximum(a_body, a_ring), a_plate)
    rgb = _fill(h, w, colour) * cylinder_shade(w, bx0, bx1, rng)[None, :, None]
    inside = mask(
        w,
        h,
        lambda d, s: d.ellipse(
            (s(bx0 + 0.03 * w), s(top - ry * 0.7), s(bx1 - 0.03 * w), s(top + ry * 0.7)), fill=255
        ),
    )
    inner = np.asarray(colour, np.float32) * float(rng.uniform(0.55, 0.9))
    if rng.random() < 0.4:  # coffee
        inner = np.array([70, 45, 30], np.float32) * float(rng.uniform(0.6, 1.3))
    rgb = rgb * (1 - inside[..., None]) + inner * inside[..., None]
    if saucer:
        plate_only = np.clip(a_plate - a_body, 0, 1)[..., None]
        plate_rgb = np.asarray(colour, np.float32) * float(rng.uniform(0.85, 1.0))
        rgb = rgb * (1 - plate_only) + plate_rgb * plate_only
    return _rgba(rgb, alpha)


def bag(rng: np.random.Generator, colour: tuple[float, float, float], strap: float = 1.0,
        side: int = SIDE) -> np.ndarray:  # fmt: skip
    """A tote or handbag: a trapezoid body under an arched strap (thickness ``strap`` times
    2–5 % of the width) that encloses background."""
    w, h = side, int(side * rng.uniform(0.95, 1.2))
    top = float(rng.uniform(0.3, 0.5)) * h
    inset = float(rng.uniform(0.0, 0.1)) * w
    sw = max(2.0, strap * float(rng.uniform(0.02, 0.05)) * w)
    sx0, sx1 = float(rng.uniform(0.15, 0.3)) * w, float(rng.uniform(0.7, 0.85)) * w

    def draw(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.polygon([(s(inset), s(top)), (s(w - inset), s(top)), (s(w - 1), s(h - 1)),
                   (s(0), s(h - 1))], fill=255)  # fmt: skip
        d.ellipse((s(sx0), s(0.02 * h), s(sx1), s(top + 0.3 * (top - 0.02 * h))),
                  outline=255, width=int(s(sw)))  # fmt: skip

    alpha = mask(w, h, draw)
    rgb = _fill(h, w, colour) * cylinder_shade(w, 0, w, rng)[None, :, None]
    return _rgba(rgb, alpha)


def cable(rng: np.random.Generator, colour: tuple[float, float, float], side: int = SIDE,
          ) -> np.ndarray:  # fmt: skip
    """A cable (thickness 1.5–4 % of the long side) along a random smooth curve with a plug
    at each end; half of them loop over themselves and enclose background."""
    w, h = side, int(side * rng.uniform(0.6, 1.0))
    t = np.linspace(0, 1, 120)
    k = rng.uniform(-1, 1, (2, 3))
    xs = 0.1 * w + 0.8 * w * t
    ys = h * (0.5 + 0.3 * (k[0, 0] * np.sin(np.pi * t * (1 + k[0, 1])) + 0.3 * k[0, 2] * t))
    if rng.random() < 0.5:  # a loop
        c = int(rng.integers(40, 80))
        rad = float(rng.uniform(0.1, 0.18)) * h
        ang = np.linspace(0, 2 * np.pi, 40)
        xs = np.concatenate([xs[:c], xs[c] + rad * np.sin(ang), xs[c:]])
        ys = np.concatenate([ys[:c], ys[c] - rad * (1 - np.cos(ang)), ys[c:]])
    ys = np.clip(ys, 0.08 * h, 0.92 * h)
    cw = float(rng.uniform(0.015, 0.04)) * side
    pts = list(zip(xs.tolist(), ys.tolist(), strict=True))

    def draw(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.line([(s(x), s(y)) for x, y in pts], fill=255, width=int(s(cw)), joint="curve")
        for x, y in (pts[0], pts[-1]):
            d.rounded_rectangle((s(x - 3 * cw), s(y - 1.5 * cw), s(x + 3 * cw),
                                 s(y + 1.5 * cw)), s(cw * 0.5), fill=255)  # fmt: skip

    alpha = mask(w, h, draw)
    return _rgba(_fill(h, w, colour), alpha)


def ring(rng: np.random.Generator, colour: tuple[float, float, float], side: int = SIDE,
         ) -> np.ndarray:  # fmt: skip
    """A tape roll, ring or wreath: an annulus (inner radius 35–70 % of the outer)."""
    w = h = side
    inner = float(rng.uniform(0.35, 0.7))
    sq = float(rng.uniform(0.6, 1.0))  # seen at an angle: an ellipse

    def draw(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        cy, ry = h / 2, h / 2 * sq
        d.ellipse((s(0), s(cy - ry), s(w - 1), s(cy + ry)), fill=255)
        d.ellipse((s(w / 2 * (1 - inner)), s(cy - ry * inner), s(w / 2 * (1 + inner)),
                   s(cy + ry * inner)), fill=0)  # fmt: skip

    alpha = mask(w, h, draw)
    rgb = _fill(h, w, colour) * cylinder_shade(w, 0, w, rng)[None, :, None]
    return _rgba(rgb, alpha)


def glassware(rng: np.random.Generator, tint: tuple[float, float, float], side: int = SIDE,
              ) -> np.ndarray:  # fmt: skip
    """A tumbler, wine glass or bottle: translucent body (alpha 0.55–0.85, so the silhouette
    is alpha ≥ 0.5), near-opaque rim and edges (0.9–1), a highlight stripe; a wine glass has
    a thin stem (2–4 % of the width)."""
    kind = int(rng.integers(3))
    w, h = int(side * rng.uniform(0.45, 0.7)), side
    stem = max(2.0, float(rng.uniform(0.02, 0.04)) * w * 2)

    def draw(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        if kind == 0:  # tumbler
            d.polygon([(s(0), s(0)), (s(w - 1), s(0)), (s(0.88 * w), s(h - 1)),
                       (s(0.12 * w), s(h - 1))], fill=255)  # fmt: skip
        elif kind == 1:  # wine glass
            d.chord((s(0), s(-0.45 * h), s(w - 1), s(0.55 * h)), 0, 180, fill=255)
            d.rectangle((s(w / 2 - stem / 2), s(0.5 * h), s(w / 2 + stem / 2), s(0.95 * h)),
                        fill=255)  # fmt: skip
            d.ellipse((s(0.15 * w), s(0.92 * h), s(0.85 * w), s(h - 1)), fill=255)
        else:  # bottle
            d.rounded_rectangle((s(0), s(0.35 * h), s(w - 1), s(h - 1)), s(0.1 * w), fill=255)
            d.polygon(
                [
                    (s(0.05 * w), s(0.38 * h)),
                    (s(0.35 * w), s(0.15 * h)),
                    (s(0.65 * w), s(0.15 * h)),
                    (s(0.95 * w), s(0.38 * h)),
                ],
                fill=255,
            )
            d.rectangle((s(0.35 * w), s(0), s(0.65 * w), s(0.16 * h)), fill=255)

    full = mask(w, h, draw)
    edge = ImageFilter.MinFilter(max(3, int(0.04 * w) | 1))
    core = np.asarray(Image.fromarray((full * 255).astype(np.uint8)).filter(edge), np.float32) / 255
    body = float(rng.uniform(0.55, 0.85))
    alpha = full * (body + (float(rng.uniform(0.9, 1.0)) - body) * (1 - core))
    shade = cylinder_shade(w, 0, w, rng)[None, :, None]
    rgb = _fill(h, w, tint) * shade
    x = float(rng.uniform(0.2, 0.4)) * w
    hl = np.exp(-(((np.arange(w) - x) / (0.04 * w)) ** 2)).astype(np.float32)[None, :, None]
    rgb = rgb * (1 - 0.8 * hl) + 255 * 0.8 * hl
    alpha = np.maximum(alpha, full * 0.95 * hl[..., 0])
    return _rgba(rgb, alpha)


def figure(rng: np.random.Generator, colour: tuple[float, float, float], side: int = SIDE,
           ) -> np.ndarray:  # fmt: skip
    """A model's upper body: torso, head and arms held at the sides with the hands on the hips,
    so a gap of background is enclosed between each arm and the torso."""
    w, h = side, int(side * rng.uniform(1.1, 1.4))
    tx0, tx1 = 0.3 * w, 0.7 * w
    neck, hip = 0.22 * h, float(rng.uniform(0.7, 0.8)) * h
    aw = float(rng.uniform(0.06, 0.1)) * w
    out = float(rng.uniform(0.12, 0.25)) * w
    skin = np.array([225, 180, 150], np.float32) * float(rng.uniform(0.45, 1.1))

    def torso(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.rounded_rectangle((s(tx0), s(neck), s(tx1), s(h - 1)), s(0.06 * w), fill=255)
        for sgn in (-1, 1):
            sx = tx0 if sgn < 0 else tx1
            elbow = (sx + sgn * out, (neck + hip) / 2)
            d.line([(s(sx), s(neck + aw / 2)), (s(elbow[0]), s(elbow[1])),
                    (s(sx - sgn * aw * 0.3), s(hip))], fill=255, width=int(s(aw)),
                   joint="curve")  # fmt: skip

    def head(d: ImageDraw.ImageDraw, s: Callable[[float], float]) -> None:
        d.ellipse((s(0.4 * w), s(0.0), s(0.6 * w), s(neck + 0.02 * h)), fill=255)

    a_t, a_h = mask(w, h, torso), mask(w, h, head)
    alpha = np.maximum(a_t, a_h)
    rgb = _fill(h, w, colour) * cylinder_shade(w, tx0 - out, tx1 + out, rng)[None, :, None]
    hh = np.clip(a_h - a_t, 0, 1)[..., None]
    rgb = rgb * (1 - hh) + skin * hh
    return _rgba(rgb, alpha)
