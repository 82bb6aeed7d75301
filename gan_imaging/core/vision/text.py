"""Auto-fitting text into a box: the largest size that fits, and painting what was fitted.

:func:`fit_text` tries font sizes from ``max_size`` down to ``min_size`` (the legibility
minimum) and keeps the largest whose lines — broken by :func:`~.linebreak.break_lines`, Latin
by words, Chinese by characters with the kinsoku rules — all fit the box in width and height.
Only when even ``min_size`` does not fit are the last resorts used, in this order: a Latin word
wider than the box is hyphenated; lines beyond what the box holds are dropped and the last kept
line ends with an ellipsis (``truncated``). Every size is in px; widths come from the glyphs'
ink *and* advance (:func:`~.fonts.text_width`), so what :func:`draw_fitted` paints stays inside
the box. :func:`fit_runs` sets a one-line run of differently sized pieces (a price line).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw

from gan_imaging.core.vision.fonts import FontFile, line_height, load_font, text_width
from gan_imaging.core.vision.linebreak import break_lines, ellipsize


@dataclass(frozen=True)
class FittedText:
    """Text set in a box: px ``size``, ``lines``, ``line_height`` and ``spacing`` (px between
    lines), the block's ``width`` × ``height`` in px, and which last resorts were used."""

    font: FontFile
    size: int
    lines: tuple[str, ...]
    line_height: int
    spacing: int
    width: int
    height: int
    hyphenated: bool = False
    truncated: bool = False


def _block(
    font_file: FontFile, size: int, lines: list[str], spacing_ratio: float, **flags: bool
) -> FittedText:
    font = load_font(font_file, size)
    lh = line_height(font)
    spacing = round(size * spacing_ratio)
    height = len(lines) * lh + (len(lines) - 1) * spacing
    width = max((text_width(font, ln) for ln in lines), default=0)
    return FittedText(font_file, size, tuple(lines), lh, spacing, width, height, **flags)


def fit_text(
    text: str,
    font_file: FontFile,
    box_width: int,
    box_height: int,
    *,
    max_size: int,
    min_size: int,
    max_lines: int = 4,
    spacing: float = 0.15,
) -> FittedText | None:
    """The largest size in ``[min_size, max_size]`` px whose lines fit ``box_width`` ×
    ``box_height`` px in at most ``max_lines`` lines; ``spacing`` is the gap between lines as
    a fraction of the size. Falls back to hyphenation, then truncation with "…", at
    ``min_size``; None when not even one line at ``min_size`` fits (box too small).
    """
    text = " ".join(text.split())
    if not text or box_width <= 0 or box_height <= 0:
        return None
    max_size = max(min_size, max_size)

    def attempt(size: int) -> FittedText | None:
        font = load_font(font_file, size)
        lines = break_lines(text, font, box_width)
        if lines is None or len(lines) > max_lines:
            return None
        block = _block(font_file, size, lines, spacing)
        return block if block.height <= box_height else None

    # Fitting is monotone in size up to greedy-breaking noise; a binary search then a short
    # upward scan catches a larger size that the search stepped over.
    lo, hi = min_size, max_size
    best: FittedText | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        got = attempt(mid)
        if got is not None:
            best, lo = got, mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return _balance(text, best, box_width)
    return _last_resort(text, font_file, box_width, box_height, min_size, max_lines, spacing)


def _balance(text: str, fitted: FittedText, box_width: int) -> FittedText:
    """The same size and line count with the narrowest measure that keeps them: evens out
    the lines so none is left with a lone word or character (no typographic widow)."""
    if len(fitted.lines) < 2:
        return fitted
    font = load_font(fitted.font, fitted.size)
    lo, hi = box_width // len(fitted.lines), box_width
    while lo < hi:
        mid = (lo + hi) // 2
        lines = break_lines(text, font, mid)
        if lines is not None and len(lines) <= len(fitted.lines):
            hi = mid
        else:
            lo = mid + 1
    lines = break_lines(text, font, hi) or list(fitted.lines)
    return _block(fitted.font, fitted.size, lines, fitted.spacing / max(1, fitted.size))


def _last_resort(
    text: str, font_file: FontFile, box_width: int, box_height: int, size: int,
    max_lines: int, spacing: float,
) -> FittedText | None:  # fmt: skip
    font = load_font(font_file, size)
    lh, gap = line_height(font), round(size * spacing)
    room = min(max_lines, (box_height + gap) // (lh + gap))
    if room < 1:
        return None
    lines = break_lines(text, font, box_width)
    hyphenated = lines is None
    if lines is None:
        lines = break_lines(text, font, box_width, hyphenate=True)
    if lines is None:  # a CJK character wider than the box
        return None
    truncated = len(lines) > room
    if truncated:
        rest = " ".join(lines[room - 1 :])
        # Only the kept line and a little of the next can end up before the "…".
        last = ellipsize(rest[: len(lines[room - 1]) + 2], font, box_width)
        if last is None:
            return None
        lines = lines[: room - 1] + [last]
    return _block(font_file, size, lines, spacing, hyphenated=hyphenated, truncated=truncated)


def draw_fitted(
    draw: ImageDraw.ImageDraw,
    fitted: FittedText,
    box: tuple[int, int, int, int],
    fill: int | tuple[int, ...],
    *,
    align: str = "left",
    valign: str = "top",
) -> tuple[int, int, int, int]:
    """Paint ``fitted`` in ``box`` (x0, y0, x1, y1 px, exclusive ends); return the block's
    rectangle. ``align``: left/centre/right; ``valign``: top/middle/bottom."""
    font = load_font(fitted.font, fitted.size)
    x0, y0, x1, y1 = box
    top = {"top": y0, "middle": y0 + (y1 - y0 - fitted.height) // 2,
           "bottom": y1 - fitted.height}[valign]  # fmt: skip
    for i, line in enumerate(fitted.lines):
        left, *_ = font.getbbox(line, anchor="la")
        x = _aligned(x0, x1, text_width(font, line), align)
        draw.text((x - min(0, left), top + i * (fitted.line_height + fitted.spacing)), line,
                  font=font, fill=fill, anchor="la")  # fmt: skip
    bx = _aligned(x0, x1, fitted.width, align)
    return (bx, top, bx + fitted.width, top + fitted.height)


def _aligned(x0: int, x1: int, width: int, align: str) -> int:
    """Left edge (px) of something ``width`` px wide aligned left/centre/right in [x0, x1)."""
    return {"left": x0, "centre": x0 + (x1 - x0 - width) // 2, "right": x1 - width}[align]


@dataclass(frozen=True)
class FittedRuns:
    """A one-line run of differently sized pieces (a price line: sale price, struck regular
    price, discount). ``parts`` are (text, font, px size, struck, x offset px); the line is
    ``width`` × ``height`` px with its baseline ``baseline`` px below its top."""

    parts: tuple[tuple[str, FontFile, int, bool, int], ...]
    width: int
    height: int
    baseline: int
    min_size: int


def fit_runs(
    runs: list[tuple[str, FontFile, float, bool]],
    box_width: int,
    box_height: int,
    *,
    max_size: int,
    min_size: int,
) -> FittedRuns | None:
    """Set ``runs`` — (text, font, relative size, struck) — on one line at the largest base
    size in [``min_size``, ``max_size``] px that fits ``box_width`` × ``box_height`` px; no
    piece is smaller than ``min_size``. Optional trailing runs are dropped (last first) when
    even ``min_size`` is too wide; None when the first run alone does not fit."""
    for keep in range(len(runs), 0, -1):
        part = runs[:keep]
        lo, hi, best = min_size, max(min_size, max_size), None
        while lo <= hi:
            mid = (lo + hi) // 2
            got = _set_runs(part, mid, min_size)
            if got.width <= box_width and got.height <= box_height:
                best, lo = got, mid + 1
            else:
                hi = mid - 1
        if best is not None:
            return best
    return None


def _set_runs(
    runs: list[tuple[str, FontFile, float, bool]], size: int, min_size: int
) -> FittedRuns:
    parts: list[tuple[str, FontFile, int, bool, int]] = []
    x, ascent, descent = 0, 0, 0
    for i, (text, font_file, rel, struck) in enumerate(runs):
        px = max(min_size, round(size * rel))
        font = load_font(font_file, px)
        if i:
            x += round(size * 0.3)
        parts.append((text, font_file, px, struck, x))
        x += text_width(font, text)
        a, d = font.getmetrics()
        ascent, descent = max(ascent, a), max(descent, d)
    smallest = min(p[2] for p in parts)
    return FittedRuns(tuple(parts), x, ascent + descent, ascent, smallest)


def draw_runs(
    draw: ImageDraw.ImageDraw,
    fitted: FittedRuns,
    box: tuple[int, int, int, int],
    fill: int | tuple[int, ...],
    *,
    align: str = "left",
) -> tuple[int, int, int, int]:
    """Paint ``fitted`` vertically centred in ``box``; struck pieces get a line through their
    middle. Returns the line's rectangle (px, exclusive ends)."""
    x0, y0, x1, y1 = box
    left = _aligned(x0, x1, fitted.width, align)
    top = y0 + (y1 - y0 - fitted.height) // 2
    base = top + fitted.baseline
    for text, font_file, px, struck, dx in fitted.parts:
        font = load_font(font_file, px)
        bl, *_ = font.getbbox(text, anchor="ls")
        x = left + dx - min(0, bl)
        draw.text((x, base), text, font=font, fill=fill, anchor="ls")
        if struck:
            w = text_width(font, text)
            y = base - round(px * 0.3)
            draw.line([(left + dx, y), (left + dx + w - 1, y)], fill=fill,
                      width=max(1, round(px / 12)))  # fmt: skip
    return (left, top, left + fitted.width, top + fitted.height)
