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
content (a cut product's box takes the margin on its cut sides; see below): the product and
logo are later fitted *inside* their boxes, text is fitted inside its box. Rows that would
be shorter than one line of text at the legibility minimum are dropped,
optional ones first (subline, logo, price).

A product cut by its photo's frame (``Content.cut``: a model cut at the thighs, trousers cut
at the waist) gets a product box that reaches the banner's frame on those sides, so the cut
lies on the frame, never floating: the product's column or row moves to that side (strips
and side-by-side layouts mirror; stacked layouts put the product row first or last), a
product cut top and bottom gets a full-height column, one cut left and right a full-width
row (in strips a full-width band below the columns), and one cut all round fills the
canvas (full bleed, the text on it as usual). :func:`anchor_rect` then fits the product
flush with its cut sides.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

Box = tuple[int, int, int, int]

ARRANGEMENTS = ("product-left", "product-right", "product-top", "product-centre")
TEXT_SLOTS = ("headline", "subline", "price", "cta")
#: Sides of a photo or canvas, in (x0, y0, x1, y1) box order.
SIDES = ("left", "top", "right", "bottom")


@dataclass(frozen=True)
class Content:
    """What a banner has to place: which optional texts exist, the logo's aspect ratio
    (w / h, None = no logo), and ``cta_width`` — the px width the call-to-action button needs
    at the legibility minimum (label + padding), so its box is never narrower. ``cut``: the
    sides (left, top, right, bottom) of the product's photo that cut the product."""

    subline: bool = True
    price: bool = True
    cta: bool = True
    logo_aspect: float | None = None
    cta_width: int = 0
    cut: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """Boxes of one banner (px, exclusive ends); a None box means the element is left out.
    ``reach``: the frame sides the product box touches (it takes the margin there)."""

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
    reach: tuple[str, ...] = ()

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
    edges = set(content.cut) & set(SIDES)
    bleed = edges == set(SIDES)  # cut all round: the product fills the canvas behind the text
    edges = set() if bleed else edges
    pair_y, pair_x = {"top", "bottom"} <= edges, {"left", "right"} <= edges
    arrangement = arrangement_for(width, height)
    if pair_y and arrangement in ("product-top", "product-centre"):
        arrangement = "product-right"  # a full-height product column
    elif pair_x and not pair_y and arrangement == "product-right":
        arrangement = "product-top"  # a full-width product row
    # Mirror side-by-side layouts so the product's column is on its cut side.
    flip = ("right" if arrangement == "product-left" else "left") in edges and not pair_x
    cta_w = min(max(content.cta_width, round(0.2 * width)), round(0.4 * width))
    boxes: dict[str, Box] = {}

    def rows(box: Box, spec: list[tuple[str, float]]) -> dict[str, Box]:
        return _rows(box, [(n, w) for n, w in spec if n not in drop and w > 0], g)

    if arrangement == "product-left":
        area = band = inner
        if pair_x and not pair_y:  # a full-width product band below (above) the columns
            parts_y = split(inner, [0.45, 0.55] if "top" in edges else [0.55, 0.45], g,
                            horizontal=False)  # fmt: skip
            band, area = parts_y if "top" in edges else parts_y[::-1]
        ih = area[3] - area[1]
        cols: list[tuple[str, float]] = [("product", min(ih * 1.2, 0.26 * width))]
        cols = cols if band == inner else []
        logo_col = "logo" not in drop and height < 160 and width >= 600
        tall_right = height >= 160
        cols += [("text", 0.0), ("right", cta_w if "cta" not in drop or tall_right else 0)]
        if logo_col:
            cols.append(("logo", min(ih * (content.logo_aspect or 1.0), 0.12 * width)))
        cols = [(n, w) for n, w in cols if w > 0 or n == "text"]
        fixed = sum(w for _n, w in cols) + g * (len(cols) - 1)
        cols = [(n, w if n != "text" else max(1.0, area[2] - area[0] - fixed)) for n, w in cols]
        cols = cols[::-1] if flip else cols
        cut = split(area, [w for _, w in cols], g, horizontal=True)
        parts = dict(zip([n for n, _ in cols], cut, strict=True))
        boxes["product"] = parts.get("product", band)
        if logo_col:
            boxes["logo"] = parts["logo"]
        if "right" in parts:
            right = rows(parts["right"], [("logo", 0.4 if tall_right else 0), ("cta", 0.45)])
            boxes.update({k: v for k, v in right.items() if k == "cta" or tall_right})
        text = [("headline", 0.5), ("subline", 0.22 if height >= 160 else 0), ("price", 0.28)]
        boxes.update(rows(parts["text"], [(n, w) for n, w in text if w > 0]))
    elif arrangement == "product-right":
        text_col, prod = split(inner, [0.56, 0.44], g, horizontal=True)
        if flip:
            prod, text_col = split(inner, [0.44, 0.56], g, horizontal=True)
        boxes["product"] = prod
        boxes.update(rows(text_col, [("logo", 0.13), ("headline", 0.37), ("subline", 0.16),
                                     ("price", 0.16), ("cta", 0.15)]))  # fmt: skip
    elif arrangement == "product-top":
        square = width / height >= 1.0 and not pair_x
        spec = [("logo", 0.0 if square else 0.07), ("product", 0.46 if square else 0.45),
                ("headline", 0.25 if square else 0.19), ("subline", 0.0 if square else 0.09),
                ("bottom", 0.17 if square else 0.12)]  # fmt: skip
        spec = _product_row([(n, w) for n, w in spec if w > 0], edges)
        got = rows(inner, spec)
        boxes["headline"] = got["headline"]
        if "subline" in got:
            boxes["subline"] = got["subline"]
        if "logo" in got:
            boxes["logo"] = got["logo"]
        if square and "logo" not in drop:  # logo beside the product, in its row
            logo, boxes["product"], _pad = split(got["product"], [0.2, 0.6, 0.2], g,
                                                 horizontal=True)  # fmt: skip
            if "left" in edges:  # the product flush left, the logo in the right cell
                boxes["product"], logo = split(got["product"], [0.8, 0.2], g, horizontal=True)
            elif "right" in edges:
                logo, boxes["product"] = split(got["product"], [0.2, 0.8], g, horizontal=True)
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
        boxes.update(rows(inner, _product_row([("logo", 0.08), ("product", 0.38),
                                               ("headline", 0.22), ("subline", 0.1),
                                               ("price", 0.1), ("cta", 0.1)], edges)))  # fmt: skip
    for name in drop:
        boxes.pop(name, None)
    product, reach = _reach(boxes["product"], edges, inner, (width, height))
    if bleed:
        product, reach = (0, 0, width, height), SIDES
    return Layout(width, height, arrangement, m, g, min_px, product, boxes["headline"],
                  logo=boxes.get("logo"), subline=boxes.get("subline"), price=boxes.get("price"),
                  cta=boxes.get("cta"), reach=reach)  # fmt: skip


def _product_row(spec: list[tuple[str, float]], edges: set[str]) -> list[tuple[str, float]]:
    """Stacked rows with the product's row moved first (cut at the top) or last (cut at the
    bottom, or cut left and right: its overflow then goes past the bottom edge)."""
    if not edges & {"top", "bottom"} and not {"left", "right"} <= edges:
        return spec
    row = [r for r in spec if r[0] == "product"]
    rest = [r for r in spec if r[0] != "product"]
    return row + rest if "top" in edges else rest + row


def _reach(box: Box, edges: set[str], inner: Box, canvas: tuple[int, int]) -> tuple[
    Box, tuple[str, ...]
]:
    """``box`` grown over the margin to the frame on each side in ``edges`` where it lies on
    the margin (nothing between it and the frame); also, for a pair of opposite cuts, on the
    outward side the product's overflow is cropped by. Returns (box, frame sides reached)."""
    if not edges:
        return box, ()
    want = set(edges)
    for a, b, lo, hi in (("top", "bottom", "left", "right"), ("left", "right", "top", "bottom")):
        if {a, b} <= edges:  # the box spans the other axis: let the overflow leave the frame
            want.add(hi if box[SIDES.index(hi)] == inner[SIDES.index(hi)] else lo)
    frame = (0, 0, canvas[0], canvas[1])
    grown = list(box)
    for i, side in enumerate(SIDES):
        if side in want and box[i] == inner[i]:
            grown[i] = frame[i]
    x0, y0, x1, y1 = grown
    reached = tuple(s for i, s in enumerate(SIDES) if grown[i] == frame[i])
    return (x0, y0, x1, y1), reached


def inside(box: Box, outer: Box) -> bool:
    """True when ``box`` lies within ``outer`` (both exclusive-end px rectangles)."""
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def overlaps(a: Box, b: Box) -> bool:
    """True when two exclusive-end px rectangles share at least one pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def anchor_rect(
    box: Box, size: tuple[int, int], cut: Collection[str], canvas: tuple[int, int]
) -> Box:
    """Where an image of ``size`` (w, h px) cut by its photo's ``cut`` sides goes in ``box``
    on a ``canvas`` (w, h px): scaled uniformly to fit inside, but filling the box along an
    axis cut on both sides; flush with each cut side; centred otherwise. An overflow (a
    filled axis makes the other too long) goes past the canvas edge the box touches, so the
    frame crops it. The rectangle may reach past the canvas; exclusive ends."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    pw, ph = max(1, size[0]), max(1, size[1])
    fill_x, fill_y = {"left", "right"} <= set(cut), {"top", "bottom"} <= set(cut)
    if fill_x or fill_y:
        s = max(bw / pw if fill_x else 0.0, bh / ph if fill_y else 0.0)
    else:
        s = min(bw / pw, bh / ph)
    w, h = max(1, round(pw * s)), max(1, round(ph * s))
    w, h = (max(w, bw) if fill_x else w), (max(h, bh) if fill_y else h)
    if not (fill_x or fill_y):
        w, h = min(w, bw), min(h, bh)
    x = _along(box[0], box[2], w, "left" in cut, "right" in cut, canvas[0])
    y = _along(box[1], box[3], h, "top" in cut, "bottom" in cut, canvas[1])
    return (x, y, x + w, y + h)


def _along(lo: int, hi: int, size: int, cut_lo: bool, cut_hi: bool, frame: int) -> int:
    """Start (px) of ``size`` px in ``lo``–``hi`` on one axis (see :func:`anchor_rect`)."""
    centre = lo + (hi - lo - size) // 2
    if size > hi - lo and not (lo <= 0 and hi >= frame):
        return hi - size if lo <= 0 else lo if hi >= frame else centre
    if cut_lo and not cut_hi:
        return lo
    if cut_hi and not cut_lo:
        return hi - size
    return centre


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
