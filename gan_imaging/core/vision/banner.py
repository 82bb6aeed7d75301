"""Render one advertising banner: background, product, logo, text, call-to-action, price.

Order of work, so that every guarantee is checked on the pixels that ship:

1. plan the boxes (:mod:`.layout`) and fit every text into its box (:mod:`.text`): the
   largest size not below the legibility minimum, else hyphenation, else an ellipsis;
2. paint the *background layer*: backdrop (:mod:`.backdrop`: brand gradient harmonised with
   the product's palette, or a given texture), product, logo, call-to-action button;
3. per text, pick the colour (brand text colour, else white/black) and, when none reaches
   WCAG AA on the layer's pixels behind the text, blend a scrim under it (:mod:`.contrast`);
   then measure the worst contrast again on the final layer and strengthen the scrim until
   it holds;
4. draw the glyphs through a mask and record where their ink actually is.

:func:`render_banner` returns the image plus everything measured (``meta``): boxes, ink
rectangles, sizes, colours, contrast ratios and thresholds, overflow flags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from gan_imaging.core.vision import contrast as wcag
from gan_imaging.core.vision.backdrop import Rgb, backdrop_colours, gradient
from gan_imaging.core.vision.fonts import (
    FontFile,
    font_for_text,
    load_font,
    script_of_locale,
    text_width,
)
from gan_imaging.core.vision.layout import (
    SIDES,
    Box,
    Content,
    Layout,
    anchor_rect,
    fit_rect,
    inside,
    plan_layout,
)
from gan_imaging.core.vision.prices import price_tag
from gan_imaging.core.vision.text import (
    FittedRuns,
    FittedText,
    draw_fitted,
    draw_runs,
    fit_runs,
    fit_text,
)


@dataclass(frozen=True)
class BannerStyle:
    """A brand: colours (r, g, b 0–255), ``locale`` (e.g. ``"zh-CN"``), ISO ``currency`` and
    font registry keys (:mod:`.fonts`; bold faces are ``key + "-bold"``)."""

    primary: Rgb = (24, 48, 96)
    secondary: Rgb = (240, 160, 32)
    text: Rgb = (255, 255, 255)
    locale: str = "en-US"
    currency: str = "USD"
    font_latin: str = "latin"
    font_cjk: str = "cjk"

    def font(self, text: str, *, bold: bool = False) -> FontFile:
        """The brand's font for ``text`` (see :func:`~.fonts.font_for_text`)."""
        return font_for_text(text, self.locale, bold=bold, latin=self.font_latin,
                             cjk=self.font_cjk)  # fmt: skip


@dataclass(frozen=True)
class BannerCopy:
    """The words: headline, subline, call to action, and prices as decimal strings."""

    headline: str
    subline: str = ""
    cta: str = ""
    price: str | None = None
    sale_price: str | None = None


@dataclass
class Rendered:
    """A rendered banner: the RGB ``image``, its ``background`` layer (everything but the
    glyphs), the ``layout`` and the measurements in ``meta`` (JSON-ready)."""

    image: Image.Image
    background: Image.Image
    layout: Layout
    meta: dict[str, Any] = field(default_factory=dict)


# Largest text size per element, as a fraction of √(banner area): keeps a short headline on a
# 1080×1920 story from filling the screen.
_CAPS = {"headline": 0.085, "subline": 0.045, "price": 0.06, "cta": 0.042}
_BOLD = {"headline": True, "subline": False, "price": True, "cta": True}
_MAX_LINES = {"headline": 3, "subline": 2}


def _trim(im: Image.Image) -> Image.Image:
    if im.mode == "RGBA":
        box = im.getchannel("A").point(lambda v: 255 if v > 8 else 0).getbbox()
        if box:
            return im.crop(box)
    return im


def _paste(
    canvas: Image.Image, im: Image.Image, slot: Box, align: str, cut: tuple[str, ...] = ()
) -> Box:
    """Fit ``im`` into ``slot`` and paste it; a cut product flush with its cut sides (the
    frame crops any overflow). Returns the full rectangle, which may reach past the canvas."""
    im = _trim(im)
    if cut:
        rect = anchor_rect(slot, im.size, cut, canvas.size)
    else:
        rect = fit_rect(slot, im.width / im.height, align=align)
    size = (rect[2] - rect[0], rect[3] - rect[1])
    im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if im.mode == "RGBA":
        canvas.paste(im.convert("RGB"), rect[:2], im.getchannel("A"))
    else:
        canvas.paste(im.convert("RGB"), rect[:2])
    return rect


def _pad(block: Box, slot: Box, px: int) -> Box:
    """``block`` grown by ``px`` on every side, clipped to ``slot``: the area whose background
    the text is measured (and, if needed, scrimmed) against."""
    return (max(slot[0], block[0] - px), max(slot[1], block[1] - px),
            min(slot[2], block[2] + px), min(slot[3], block[3] + px))  # fmt: skip


def _hex(c: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


@dataclass
class _Text:
    name: str
    slot: Box
    fitted: FittedText | FittedRuns
    align: str
    valign: str
    bold: bool
    block: Box = (0, 0, 0, 0)

    @property
    def size(self) -> int:
        f = self.fitted
        return f.size if isinstance(f, FittedText) else f.min_size

    def draw(self, draw: ImageDraw.ImageDraw, fill: int | Rgb, box: Box | None = None) -> Box:
        box = box or self.slot
        if isinstance(self.fitted, FittedText):
            return draw_fitted(draw, self.fitted, box, fill, align=self.align, valign=self.valign)
        return draw_runs(draw, self.fitted, box, fill, align=self.align)


def render_banner(
    width: int,
    height: int,
    product: Image.Image | None,
    style: BannerStyle,
    words: BannerCopy,
    *,
    backdrop: Image.Image | None = None,
    logo: Image.Image | None = None,
    seed: int = 0,
    edges: tuple[str, ...] = (),
) -> Rendered:
    """Render a ``width`` × ``height`` px banner.

    ``product``: RGBA cut-out (alpha = product) or an RGB photo (placed as a rectangle);
    ``backdrop``: RGB image of exactly this size, or None for the brand gradient (its angle
    picked by ``seed``); ``logo``: RGBA or None. ``edges``: the sides of the product's photo
    that cut it (:func:`~.packshot.cut_edges`): its box then reaches the banner's frame there
    and the cut lies on the frame (meta ``product_anchor``). Deterministic for equal arguments.
    Raises :class:`~.fonts.FontNotFoundError` when no installed font has the copy's glyphs.
    """
    cjk = script_of_locale(style.locale) == "cjk"
    tag = price_tag(words.price, words.sale_price, style.currency, style.locale)
    cta_font = style.font(words.cta or "x", bold=True)
    probe_px = round(0.9 * max(11, round(0.018 * math.sqrt(width * height))) * 1.25)
    cta_need = text_width(load_font(cta_font, probe_px), words.cta) + 2 * probe_px
    content = Content(
        subline=bool(words.subline.strip()), price=tag is not None, cta=bool(words.cta.strip()),
        logo_aspect=(logo.width / logo.height) if logo is not None else None, cta_width=cta_need,
        cut=tuple(s for s in SIDES if s in edges) if product is not None else (),
    )  # fmt: skip
    lay = plan_layout(width, height, content, cjk=cjk)
    side = lay.arrangement in ("product-left", "product-right")
    align = "left" if side else "centre"
    texts, dropped = _fit_all(lay, words, tag, style, align)

    # 2. background layer
    c0, c1 = backdrop_colours(style.primary, style.secondary, product)
    if backdrop is not None and backdrop.size == (width, height):
        bg = backdrop.convert("RGB")
    else:
        bg = gradient(width, height, c0, c1, (seed % 4) * 45.0 + (90.0 if width < height else 0))
    placed: dict[str, list[int]] = {}
    anchor: dict[str, Any] = {"anchored": [], "cropped": [], "shadow": False}
    if product is not None:
        r = _paste(bg, product, lay.product, "centre", content.cut)
        placed["product"] = [max(0, r[0]), max(0, r[1]), min(width, r[2]), min(height, r[3])]
        over = (r[0] < 0, r[1] < 0, r[2] > width, r[3] > height)
        anchor.update(anchored=[s for s in content.cut if s in lay.reach], rect=list(r),
                      cropped=[s for s, o in zip(SIDES, over, strict=True) if o])  # fmt: skip
    if logo is not None and lay.logo is not None:
        placed["logo"] = list(_paste(bg, logo, lay.logo, "centre" if not side else "left"))
    draw = ImageDraw.Draw(bg)
    button_fill = style.secondary
    for t in texts:
        if t.name == "cta":
            pad = max(3, round(t.size * 0.6))
            w = min(t.slot[2] - t.slot[0], t.fitted.width + 2 * pad)
            h = min(t.slot[3] - t.slot[1], t.fitted.height + pad)
            x = {"left": t.slot[0], "centre": (t.slot[0] + t.slot[2] - w) // 2}[t.align]
            y = (t.slot[1] + t.slot[3] - h) // 2
            button = (x, y, x + w, y + h)
            draw.rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=min(h // 3, 12),
                                   fill=button_fill)  # fmt: skip
            placed["cta_button"] = list(button)
            t.slot = (
                x + (w - t.fitted.width) // 2,
                y + (h - t.fitted.height) // 2,
                x + (w + t.fitted.width) // 2 + 1,
                y + (h + t.fitted.height) // 2 + 1,
            )
            t.slot = (max(t.slot[0], x), max(t.slot[1], y), min(t.slot[2], x + w),
                      min(t.slot[3], y + h))  # fmt: skip
        t.block = t.draw(ImageDraw.Draw(Image.new("L", (width, height))), 255)

    # 3. colours and scrims, verified on the final background layer
    meta_text: dict[str, dict[str, Any]] = {}
    colours: dict[str, Rgb] = {}
    for t in texts:
        need = wcag.threshold(t.size, t.bold)
        area = _pad(t.block, t.slot, max(2, t.size // 4)) if t.name != "cta" else t.block
        pixels = np.asarray(bg.crop(area))
        choice = wcag.choose_text_colour(pixels, style.text, need)
        alpha = choice.scrim_alpha
        while True:
            if alpha > 0:
                patch = wcag.blend(pixels, choice.scrim, alpha)
                bg.paste(Image.fromarray(patch, "RGB"), area[:2])
            ratio = wcag.worst_contrast(choice.colour, np.asarray(bg.crop(area)))
            if ratio >= need or alpha >= 1.0:
                break
            alpha = min(1.0, round(alpha + 0.1, 2))
        colours[t.name] = choice.colour
        meta_text[t.name] = {
            "box": list(t.slot), "block": list(t.block), "measured_area": list(area),
            "font_px": t.size, "bold": t.bold, "colour": _hex(choice.colour),
            "scrim": _hex(choice.scrim) if alpha > 0 else None, "scrim_alpha": alpha,
            "contrast": round(ratio, 3), "threshold": need, "contrast_ok": ratio >= need,
            "large": wcag.is_large_text(t.size, t.bold),
        }  # fmt: skip
        if isinstance(t.fitted, FittedText):
            meta_text[t.name].update(lines=list(t.fitted.lines), truncated=t.fitted.truncated,
                                     hyphenated=t.fitted.hyphenated)  # fmt: skip
        else:
            meta_text[t.name].update(lines=[" ".join(p[0] for p in t.fitted.parts)],
                                     truncated=False, hyphenated=False)  # fmt: skip

    # 4. glyphs through masks; the ink is measured where it really landed
    image = bg.copy()
    for t in texts:
        mask = Image.new("L", (width, height))
        t.draw(ImageDraw.Draw(mask), 255)
        ink = mask.getbbox()
        image.paste(colours[t.name], (0, 0, width, height), mask)
        m = meta_text[t.name]
        m["ink"] = list(ink) if ink else None
        m["overflow"] = bool(ink) and not inside(ink, t.slot)  # type: ignore[arg-type]
    for name in dropped:
        meta_text[name] = {"dropped": True, "overflow": name in ("headline", "cta")}
    meta = {
        "size": f"{width}x{height}", "arrangement": lay.arrangement, "min_text_px": lay.min_text_px,
        "boxes": {k: list(v) for k, v in lay.boxes().items()}, "placed": placed,
        "cut_edges": list(content.cut), "product_anchor": anchor,
        "text": meta_text, "backdrop": "given" if backdrop is not None else "gradient",
        "contrast_ok": all(m.get("contrast_ok", True) for m in meta_text.values()),
        "overflow": sum(1 for m in meta_text.values() if m.get("overflow")),
    }  # fmt: skip
    return Rendered(image, bg, lay, meta)


def _fit_all(
    lay: Layout, words: BannerCopy, tag: Any, style: BannerStyle, align: str
) -> tuple[list[_Text], list[str]]:
    """Fit every text into its box; names of texts that could not be placed at all."""
    scale = math.sqrt(lay.width * lay.height)
    strip = lay.arrangement == "product-left"
    valign = {"headline": "bottom", "subline": "top",
              "price": "middle", "cta": "middle"}  # fmt: skip
    out: list[_Text] = []
    dropped: list[str] = []
    words_by_name = {"headline": words.headline, "subline": words.subline, "cta": words.cta}
    for name, slot in lay.text_boxes().items():
        cap = max(lay.min_text_px, round(_CAPS[name] * scale))
        bold = _BOLD[name]
        fitted: FittedText | FittedRuns | None
        if name == "price":
            fonts = (
                style.font(tag.price, bold=True),
                style.font(tag.original or "0"),
                style.font(tag.discount or "0", bold=True),
            )
            runs = [(tag.price, fonts[0], 1.0, False)]
            if tag.original:
                runs += [(tag.original, fonts[1], 0.7, True), (tag.discount, fonts[2], 0.8, False)]
            sw, sh = slot[2] - slot[0], slot[3] - slot[1]
            fitted = fit_runs(runs, sw, sh, max_size=cap, min_size=lay.min_text_px)
            bold = fitted is not None and len(fitted.parts) == 1
        else:
            text = words_by_name[name]
            font = style.font(text, bold=bold)
            w, h = slot[2] - slot[0], slot[3] - slot[1]
            if name == "cta":  # room for the button's padding
                pad = max(3, round(lay.min_text_px * 0.6))
                w, h = w - 2 * pad, h - pad
            fitted = fit_text(text, font, w, h, max_size=cap, min_size=lay.min_text_px,
                              max_lines=1 if name == "cta" or (strip and lay.height < 120)
                              else _MAX_LINES[name])  # fmt: skip
        if fitted is None:
            dropped.append(name)
            continue
        out.append(_Text(name, slot, fitted, align, valign[name], bold))
    return out, dropped
