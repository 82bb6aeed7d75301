"""Banner layout: where the product, logo, text and call-to-action go, per aspect ratio.

Four arrangements, picked by the canvas aspect ratio A = width / height:

- ``product-left`` (A ≥ 3, leaderboards and strips such as 728×90, 320×50, 970×250): one row
  of columns — product, text block, call-to-action (logo above it when tall enough, or a
  column of its own at the far right of wide strips);
- ``product-right`` (1.4 ≤ A < 3, e.g. 1200×628): a text column on the left (logo, headline,
  subline, price, call-to-action), the product on the right;
- ``product-top`` (0.7 ≤ A < 1.4, e.g. 300×250, 1080×1080, 1080×1350): the product above the
  text; price and call-to-action share the bottom row;
- ``product-centre`` (A < 0.7, skyscrapers and stories such as 160×600, 1080×1920): logo,
  product, then the text rows and the call-to-action stacked below.

Boxes are integer pixel rectangles ``(x0, y0, x1, y1)`` with exclusive ends, all inside the
canvas inset by a margin and pairwise disjoint (separated by at least one gap), whatever the
content: the product and logo are later fitted *inside* their boxes, text is fitted inside its
box. Rows that would be shorter than one line of text at the legibility minimum are dropped,
optional ones first (subline, logo, price).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Box = tuple[int, int, int, int]

ARRANGEMENTS = ("product-left", "product-right", "product-top", "product-centre")
TEXT_SLOTS = ("headline", "subline", "price", "cta")


@dataclass(frozen=True)
class Content:
    """What a banner has to place: which optional texts exist, the logo's aspect ratio
    (w / h, None = no logo), and ``cta_width`` — the px width the call-to-action button needs
    at the legibility minimum (label + padding), so its box is never narrower."""

    subline: bool = True
    price: bool = True
    cta: bool = True
    logo_aspect: float | None = None
    cta_width: int = 0


@dataclass(frozen=True)
class Layout:
    """Boxes of one banner (px, exclusive ends); a None box means the element is left out."""

    width: int
    height: int
    arrangement: str
    margin: int
    gap: int
    min_text_px: int
    product: Box
    headline: Box
    logo: Box | None = None
    subline: Box | None = None
    price: Box | None = None
    cta: Box | None = None

    def boxes(self) -> dict[str, Box]:
        """Every present box by name (product, logo, headline, subline, price, cta)."""
        names = ("product", "logo", *TEXT_SLOTS)
        found = {n: getattr(self, n) for n in names}
        return {n: b for n, b in found.items() if b is not None}

    def text_boxes(self) -> dict[str, Box]:
        """The present text boxes (headline, subline, price, cta)."""
        return {n: b for n, b in self.boxes().items() if n in TEXT_SLOTS}


def legibility_min(width: int, height: int, *, cjk: bool = False) -> int:
    """Smallest text size (px, font em) allowed on a ``width`` × ``height`` banner: 11 px
    (12 px for Chinese/Japanese, whose strokes are denser) on display ads, growing with the
    canvas (1.8 % of √(area)), so social formats viewed full-screen get ≥ 19–26 px."""
    return max(12 if cjk else 11, round(0.018 * math.sqrt(width * height)))


def line_px(size: int, *, cjk: bool = False) -> int:
    """Approximate line height (px) of text at ``size`` px: ascent + descent of the bundled
    families (DejaVu ≈ 1.17 em, Noto Sans CJK ≈ 1.45 em), rounded up."""
    return math.ceil(size * (1.45 if cjk else 1.17))


def arrangement_for(width: int, height: int) -> str:
    """The arrangement for a canvas of this aspect ratio (see the module docstring)."""
    a = width / height
    if a >= 3.0:
        return "product-left"
    if a >= 1.4:
        return "product-right"
    if a >= 0.7:
        return "product-top"
    return "product-centre"


def split(box: Box, weights: list[float], gap: int, *, horizontal: bool) -> list[Box]:
    """Cut ``box`` into ``len(weights)`` parts along x (``horizontal``) or y, proportional to
    ``weights``, with ``gap`` px between neighbours; sizes are whole px, the last part takes
    the rounding remainder."""
    x0, y0, x1, y1 = box
    length = (x1 - x0) if horizontal else (y1 - y0)
    free = max(0, length - gap * (len(weights) - 1))
    total = sum(weights) or 1.0
    out: list[Box] = []
    pos = x0 if horizontal else y0
    for i, w in enumerate(weights):
        end = (x1 if horizontal else y1) if i == len(weights) - 1 else pos + int(free * w / total)
        out.append((pos, y0, end, y1) if horizontal else (x0, pos, x1, end))
        pos = end + gap
    return out


def _rows(box: Box, rows: list[tuple[str, float]], gap: int) -> dict[str, Box]:
    parts = split(box, [w for _n, w in rows], gap, horizontal=False)
    return {name: part for (name, _w), part in zip(rows, parts, strict=True)}


def plan_layout(width: int, height: int, content: Content, *, cjk: bool = False) -> Layout:
    """Boxes for a ``width`` × ``height`` px banner holding ``content``.

    ``cjk`` raises the legibility minimum (see :func:`legibility_min`). Deterministic: the
    same arguments always give the same boxes.
    """
    min_px = legibility_min(width, height, cjk=cjk)
    need = line_px(min_px, cjk=cjk)
    drop: set[str] = set()
    if not content.subline:
        drop.add("subline")
    if not content.price:
        drop.add("price")
    if not content.cta:
        drop.add("cta")
    if content.logo_aspect is None:
        drop.add("logo")
    for optional in ("", "subline", "logo", "price", "subline+logo+price"):
        drop |= set(optional.split("+")) - {""}
        layout = _plan(width, height, content, drop, min_px)
        short = [n for n, b in layout.text_boxes().items() if b[3] - b[1] < need]
        if not short:
            return layout
    return layout


def _plan(width: int, height: int, content: Content, drop: set[str], min_px: int) -> Layout:
    s = min(width, height)
    m, g = max(3, round(0.05 * s)), max(3, round(0.035 * s))
    inner: Box = (m, m, width - m, height - m)
    arrangement = arrangement_for(width, height)
    cta_w = min(max(content.cta_width, round(0.2 * width)), round(0.4 * width))
    boxes: dict[str, Box] = {}

    def rows(box: Box, spec: list[tuple[str, float]]) -> dict[str, Box]:
        return _rows(box, [(n, w) for n, w in spec if n not in drop and w > 0], g)

    if arrangement == "product-left":
        ih = inner[3] - inner[1]
        cols: list[tuple[str, float]] = [("product", min(ih * 1.2, 0.26 * width))]
        logo_col = "logo" not in drop and height < 160 and width >= 600
        tall_right = height >= 160
        cols += [("text", 0.0), ("right", cta_w if "cta" not in drop or tall_right else 0)]
        if logo_col:
            cols.append(("logo", min(ih * (content.logo_aspect or 1.0), 0.12 * width)))
        cols = [(n, w) for n, w in cols if w > 0 or n == "text"]
        fixed = sum(w for _n, w in cols) + g * (len(cols) - 1)
        cols = [(n, w if n != "text" else max(1.0, inner[2] - inner[0] - fixed)) for n, w in cols]
        cut = split(inner, [w for _, w in cols], g, horizontal=True)
        parts = dict(zip([n for n, _ in cols], cut, strict=True))
        boxes["product"] = parts["product"]
        if logo_col:
            boxes["logo"] = parts["logo"]
        if "right" in parts:
            right = rows(parts["right"], [("logo", 0.4 if tall_right else 0), ("cta", 0.45)])
            boxes.update({k: v for k, v in right.items() if k == "cta" or tall_right})
        text = [("headline", 0.5), ("subline", 0.22 if height >= 160 else 0), ("price", 0.28)]
        boxes.update(rows(parts["text"], [(n, w) for n, w in text if w > 0]))
    elif arrangement == "product-right":
        text_col, prod = split(inner, [0.56, 0.44], g, horizontal=True)
        boxes["product"] = prod
        boxes.update(rows(text_col, [("logo", 0.13), ("headline", 0.37), ("subline", 0.16),
                                     ("price", 0.16), ("cta", 0.15)]))  # fmt: skip
    elif arrangement == "product-top":
        square = width / height >= 1.0
        spec = [("logo", 0.0 if square else 0.07), ("product", 0.46 if square else 0.45),
                ("headline", 0.25 if square else 0.19), ("subline", 0.0 if square else 0.09),
                ("bottom", 0.17 if square else 0.12)]  # fmt: skip
        spec = [(n, w) for n, w in spec if w > 0]
        got = rows(inner, spec)
        boxes["headline"] = got["headline"]
        if "subline" in got:
            boxes["subline"] = got["subline"]
        if "logo" in got:
            boxes["logo"] = got["logo"]
        if square and "logo" not in drop:  # logo beside the product, in its row
            logo, boxes["product"], _pad = split(got["product"], [0.2, 0.6, 0.2], g,
                                                 horizontal=True)  # fmt: skip
            boxes["logo"] = (logo[0], logo[1], logo[2], logo[1] + (logo[3] - logo[1]) // 3)
        else:
            boxes["product"] = got["product"]
        bottom = [n for n in ("price", "cta") if n not in drop]
        if bottom:
            row_w = got["bottom"][2] - got["bottom"][0]
            weights = [float(max(1, row_w - g - cta_w)) if n == "price" else float(cta_w)
                       for n in bottom] if len(bottom) == 2 else [1.0]  # fmt: skip
            parts_b = split(got["bottom"], weights, g, horizontal=True)
            boxes.update(dict(zip(bottom, parts_b, strict=True)))
    else:  # product-centre
        boxes.update(rows(inner, [("logo", 0.08), ("product", 0.38), ("headline", 0.22),
                                  ("subline", 0.1), ("price", 0.1), ("cta", 0.1)]))  # fmt: skip
    for name in drop:
        boxes.pop(name, None)
    return Layout(width, height, arrangement, m, g, min_px, boxes["product"], boxes["headline"],
                  logo=boxes.get("logo"), subline=boxes.get("subline"), price=boxes.get("price"),
                  cta=boxes.get("cta"))  # fmt: skip


def inside(box: Box, outer: Box) -> bool:
    """True when ``box`` lies within ``outer`` (both exclusive-end px rectangles)."""
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def overlaps(a: Box, b: Box) -> bool:
    """True when two exclusive-end px rectangles share at least one pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def fit_rect(box: Box, aspect: float, *, align: str = "centre") -> Box:
    """The largest rectangle of ``aspect`` (w / h) inside ``box``, centred (or aligned
    ``"left"``/``"right"``) — where a product or logo image is pasted."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    w = min(bw, max(1, round(bh * aspect)))
    h = min(bh, max(1, round(w / aspect)))
    w = min(w, max(1, round(h * aspect)))
    x = {"left": box[0], "right": box[2] - w}.get(align, box[0] + (bw - w) // 2)
    y = box[1] + (bh - h) // 2
    return (x, y, x + w, y + h)
