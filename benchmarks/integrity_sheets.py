"""Contact sheets of ``benchmarks/render_integrity.py``: a photo beside its checked cutout and
the verdict, green when the check passed it, red when it flagged it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

THUMB = 132  # px, side of one cell
#: (photo cell, cutout cell, label, ok)
Cell = tuple[Image.Image, Image.Image, str, bool]


def cell(im: Image.Image, alpha: np.ndarray | None = None) -> Image.Image:
    """A THUMB px square thumbnail; with ``alpha``, the cutout on mid grey."""
    if alpha is not None:
        grey = Image.new("RGB", im.size, (160, 160, 160))
        grey.paste(im.convert("RGB"), (0, 0), Image.fromarray(alpha, "L"))
        im = grey
    im = im.copy()
    im.thumbnail((THUMB, THUMB))
    out = Image.new("RGB", (THUMB, THUMB), (255, 255, 255))
    out.paste(im, ((THUMB - im.width) // 2, (THUMB - im.height) // 2))
    return out


def sheet_of(cells: list[Cell], path: Path) -> None:
    """Contact sheet: photo | checked cutout + verdict, four pairs a row."""
    per_row, cw, ch = 4, 2 * THUMB + 8, THUMB + 30
    rows = max(1, (len(cells) + per_row - 1) // per_row)
    sheet = Image.new("RGB", (per_row * cw, rows * ch), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (photo, cut, label, ok) in enumerate(cells):
        x, y = (i % per_row) * cw, (i // per_row) * ch
        sheet.paste(photo, (x, y))
        sheet.paste(cut, (x + THUMB + 2, y))
        colour = (0, 110, 0) if ok else (190, 0, 0)
        draw.text((x + 2, y + THUMB + 2), label[:46], fill=colour)
        draw.text((x + 2, y + THUMB + 14), label[46:92], fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
