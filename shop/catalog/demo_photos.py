"""Studio product photos for the demo shop (:mod:`shop.catalog.studio` draws them).

Packshots of homeware on a light seamless backdrop, 1200×1200 px or 1000×1250 px, JPEG
quality 92, the same bytes on every call, 0.3–1 s each.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shop.catalog.studio import Arr, Geometry, Studio, fillet, lin, mix, print_sheet, wrap_around


def _mug(st: Studio) -> None:
    at, rad, ht = (580.0, 875.0), 285.0, 460.0
    glaze, clay, inner = lin((38, 92, 104)), lin((196, 172, 140)), lin((232, 224, 206))

    def material(g: Geometry) -> tuple[Arr, float, float]:
        cell = np.sin(np.floor(g["phi"] * 95) * 12.99 + np.floor(g["h"] / 3) * 78.23) * 43758.5
        col = mix(glaze, cell - np.floor(cell) < 0.012, glaze * 0.45)  # speckles
        col = mix(col, (g["h"] < 20) & ~g["top"], clay)  # the unglazed foot
        rin = g["r"] - 16
        inside = g["top"] & (np.hypot(g["x"], g["z"]) < rin)
        lit = 0.3 + 0.7 / (1 + np.exp(-3 * (0.5 * g["x"] - 0.8 * g["z"]) / rin - 0.3))
        col = mix(col, inside, inner * lit[:, None])
        return mix(col, g["top"] & ~inside, glaze * 1.6 + 0.04), 0.85, 60.0

    st.revolve(at, ht, lambda h: rad * (0.97 + 0.03 * h / ht) - fillet(h, 26), material)
    t = np.linspace(-math.pi / 2, math.pi / 2, 120)  # the handle, turned 40° towards us
    h, out = ht * (0.535 - 0.265 * np.sin(t)), rad - 20 + 165 * np.cos(t) ** 0.6
    x, z = out * math.sin(math.radians(50)), out * math.cos(math.radians(50))
    st.tube(st.at(at, np.array([x, h, z])).T, 30, glaze, 0.8, 60, depth=z * st.ce + h * st.se)


def _bottle(st: Studio) -> None:
    at = (500.0, 1105.0)
    sage, steel, wood = lin((118, 142, 118)), lin((176, 178, 178)), lin((168, 124, 82))
    logo = print_sheet([("harbour", 92, 70), ("STEEL  ·  750 ML", 30, 150)], (900, 200))

    def paint(g: Geometry) -> tuple[Arr, float, float]:
        col = sage + (0.85 - sage) * wrap_around(g, logo, 0.75, 300, 370)[:, None]
        return mix(col, g["h"] < 16, steel), 0.22, 14.0

    def bamboo(g: Geometry) -> tuple[Arr, float, float]:
        grain = 0.88 + 0.12 * np.sin(g["phi"] * 60 + 3 * np.sin(g["h"] * 0.05)) ** 2
        rings = 0.9 + 0.1 * np.sin(np.hypot(g["x"], g["z"]) * 0.5)
        return wood * np.where(g["top"], rings, grain)[:, None], 0.3, 20.0

    st.revolve(at, 790, lambda h: 92 + 38 * (1 + np.cos(np.pi * np.clip((h - 600) / 140, 0, 1)))
               - fillet(h, 14), paint)  # a rounded foot, a shoulder and the neck
    st.revolve(at, 125, lambda h: 104 - fillet(125 - h, 16), bamboo, h0=775)


def _lamp(st: Studio) -> None:
    at = (500.0, 1125.0)
    blue, brass = lin((36, 66, 118)), lin((196, 160, 92))
    linen, lining = lin((214, 199, 172)), lin((238, 232, 220))

    def fabric(g: Geometry) -> tuple[Arr, float, float]:
        weave = 1 + 0.04 * np.sin(g["h"] * 2.9) * np.sin(g["phi"] * 900)
        col = linen * np.where((g["h"] < 9) | (g["h"] > 322), 0.82, weave)[:, None]  # piping
        rin = g["r"] - 4
        lit = np.clip(0.55 + 0.5 * (0.3 * g["x"] - g["z"]) / rin, 0.3, 1)
        inside = g["top"] & (np.hypot(g["x"], g["z"]) < rin)
        return mix(col, inside, lining * lit[:, None]), 0.05, 8.0

    st.revolve(at, 340, lambda h: 52 + 128 * np.sin(np.pi * np.clip(0.1 + h / 330, 0, 1)) ** 0.7,
               lambda g: (blue, 0.7, 70.0))  # the glazed jar
    st.revolve(at, 26, lambda h: 34 - fillet(26 - h, 6), lambda g: (brass, 0.9, 40.0), h0=340)
    st.revolve(at, 240, lambda h: 9 + 0 * h, lambda g: (brass, 0.9, 40.0), h0=366)
    st.revolve(at, 330, lambda h: 238 - 62 * h / 330, fabric, h0=570)


def _gift_box(st: Studio) -> None:
    at, w, ht, rw, th = (600.0, 830.0), 500.0, 330.0, 34.0, math.radians(32)
    a1 = np.array([math.cos(th), 0, math.sin(th)]) * w  # the two floor edges, px
    a2, up = np.array([-math.sin(th), 0, math.cos(th)]) * w, np.array([0.0, ht, 0.0])
    navy, gold = lin((34, 50, 92)), lin((218, 176, 104))

    def side(al: Arr, be: Arr) -> Arr:
        col = mix(navy, np.abs(be - 1 + 55 / ht) < 0.005, navy * 0.45)  # the lid's edge
        col = mix(col, np.abs(al - 0.5) * w < rw, gold)
        edge = 1 + 0.6 * (be > 1 - 2.5 / ht) + 0.3 * ((al < 2 / w) | (al > 1 - 2 / w))
        return col * (edge * (1 - 0.35 * np.exp(-be * ht / 10)))[:, None]  # floor AO

    st.face(at, (a1 - a2) / 2, a2, up, side, 0.15, 20)
    st.face(at, (a2 - a1) / 2, a1, up, side, 0.15, 20)
    st.face(at, up - (a1 + a2) / 2, a1, a2, lambda al, be: mix(
        navy, (np.abs(al - 0.5) * w < rw) | (np.abs(be - 0.5) * w < rw), gold), 0.15, 20)

    knot = st.at(at, up)
    for tail in (0.38 * a1 + 0.1 * a2, 0.08 * a1 - 0.38 * a2):
        st.tube(np.linspace(knot, st.at(at, up + tail), 12), 24, gold * 0.85, 0.6, 30, flat=4)
    t = np.linspace(0, 2 * math.pi, 240)
    loops = knot + np.stack([170 * np.sin(t), -75 * np.sin(t) * np.cos(t)
                             - 110 * np.abs(np.sin(t)) ** 1.5], 1)  # fmt: skip
    st.tube(loops, 20, gold, 0.6, 30, flat=4, inside=gold * 0.35)
    st.tube(np.array([knot - (12, 4), knot + (12, -4)]), 28, gold * 0.9, 0.6, 30, flat=2)
    st.footprint([tuple(st.at(at, (sa * a1 + sb * a2) / 2))
                  for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))])  # fmt: skip


def _candle(st: Studio) -> None:
    at, rad, ht, sink = (600.0, 890.0), 265.0, 410.0, 46.0
    amber, wax, paper = lin((128, 56, 14)), lin((236, 226, 204)), lin((244, 238, 224))
    label = print_sheet([("FIG & CEDAR", 74, 95), ("hand-poured soy wax", 34, 200),
                    ("220 g", 30, 262)], (1200, 360))  # fmt: skip
    label[148:152, 470:730] = 0.5

    def glass(g: Geometry) -> tuple[Arr, float, float]:
        col = amber * (0.45 + 0.55 * np.abs(g["n"][:, 2]))[:, None]  # thicker at the edges
        on = ~g["top"] & (np.abs(g["phi"]) < 1.15) & (np.abs(g["h"] - 0.5 * ht) < 0.2 * ht)
        ink = wrap_around(g, label, 1.15, 0.3 * ht, 0.7 * ht)
        col = mix(col, on, paper * (1 - 0.93 * ink)[:, None])
        rin, zw = g["r"] - 12, g["z"] - sink * st.ce / st.se  # zw: the eye ray on the wax
        inside = g["top"] & (np.hypot(g["x"], g["z"]) < rin)
        col = mix(col, inside, amber * 0.35)
        pool = np.clip(0.7 - 0.3 * zw / rin, 0.5, 1)
        col = mix(col, inside & (np.hypot(g["x"], zw) < rin), wax * pool[:, None])
        return mix(col, g["top"] & ~inside, amber * 1.5), 0.9, 90.0

    st.revolve(at, ht, lambda h: rad - fillet(h, 22), glass)
    wick = st.at(at, np.array([0, ht - sink, 0]))
    st.tube(np.array([wick, wick + (4, -34)]), 3.5, lin((40, 34, 30)), 0.1, 10)


@dataclass(frozen=True)
class DemoProduct:
    """A demo catalogue entry: ``draw`` paints the product into a :class:`Studio` of
    ``size`` (w, h) px seen from ``elevation`` degrees; ``price`` is a decimal string."""

    name: str
    price: str
    description: str
    draw: Callable[[Studio], None]
    elevation: float = 12.0
    size: tuple[int, int] = (1200, 1200)



DEMO_PRODUCTS: list[DemoProduct] = [
    DemoProduct("Harbour stoneware mug", "18.00", "Speckled stoneware mug in a deep teal glaze, "
                "350 ml, dishwasher safe.", _mug, 16),
    DemoProduct("Harbour steel water bottle", "29.00", "Insulated 750 ml bottle in sage powder "
                "coat with a bamboo cap.", _bottle, 8, (1000, 1250)),
    DemoProduct("Indigo ceramic table lamp", "89.00", "Glazed ceramic base, brass stem and an "
                "oatmeal linen shade; E27 bulb.", _lamp, 9, (1000, 1250)),
    DemoProduct("Navy gift box", "14.50", "Rigid navy gift box with a lid and a champagne satin "
                "bow, 20 × 20 × 13 cm.", _gift_box, 24),
    DemoProduct("Fig & cedar jar candle", "24.00", "Hand-poured soy wax in an amber glass jar; "
                "about 45 hours of burn time.", _candle, 18),
]  # fmt: skip


def render(product: DemoProduct) -> bytes:
    """The product's studio photo (``product.size`` px) as JPEG bytes, quality 92; the same
    product gives the same bytes."""
    st = Studio(product.size, product.elevation, zlib.crc32(product.name.encode()))
    product.draw(st)
    buf = io.BytesIO()
    st.finish().save(buf, "JPEG", quality=92)
    return buf.getvalue()
