"""WCAG 2.x contrast, measured on the pixels text actually sits on, and how to reach it.

Relative luminance (WCAG 2.2, "relative luminance"): sRGB channels c in 0–1 are linearised
(c / 12.92 at or below 0.04045, else ((c + 0.055) / 1.055) ** 2.4) and weighted
0.2126 R + 0.7152 G + 0.0722 B, giving 0 (black) to 1 (white). The contrast ratio of two
luminances is (L_light + 0.05) / (L_dark + 0.05), from 1 to 21.

Success criterion 1.4.3 (AA) asks ≥ 4.5:1 for body text and ≥ 3:1 for *large* text: at least
18 pt (24 px) regular or 14 pt (≈ 18.7 px) bold. A text box over a gradient or a texture has
many background colours; its contrast here is the **worst** one, the ratio between the text
colour and the background pixel in the box that is closest to it in luminance. When no
candidate colour reaches the threshold everywhere, a scrim (a translucent panel of black or
white under the text) is blended in with the least opacity that does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Rgb = tuple[int, int, int]

AA_BODY = 4.5
AA_LARGE = 3.0
# Aim a little above the threshold: the encoded file (JPEG) shifts colours by a few levels.
MARGIN = 0.25

_LINEAR = np.array(
    [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
     for c in range(256)],
    dtype=np.float64,
)  # fmt: skip
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def relative_luminance(rgb: np.ndarray | Rgb) -> np.ndarray | float:
    """WCAG relative luminance (0–1) of one colour (r, g, b 0–255) or of a uint8 array whose
    last axis is RGB (returns an array without that axis)."""
    arr = np.asarray(rgb)
    lum = _LINEAR[arr.astype(np.uint8)] @ _WEIGHTS
    return float(lum) if lum.ndim == 0 else lum


def contrast_ratio(a: float | Rgb, b: float | Rgb) -> float:
    """WCAG contrast ratio (1–21) of two colours, each an (r, g, b) tuple or a luminance."""
    la = a if isinstance(a, float) else float(relative_luminance(a))
    lb = b if isinstance(b, float) else float(relative_luminance(b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def worst_contrast(colour: Rgb, background: np.ndarray) -> float:
    """The lowest contrast ratio between ``colour`` and any pixel of ``background``
    (uint8 (..., 3) sRGB): what the least legible part of a text box gets. 21.0 if empty."""
    lum = relative_luminance(background.reshape(-1, 3))
    assert isinstance(lum, np.ndarray)
    if lum.size == 0:
        return 21.0
    lt = float(relative_luminance(colour))
    # The ratio falls as a pixel's luminance approaches the text's: check both extremes on
    # either side of it (and the text's own luminance, when pixels straddle it).
    lo, hi = float(lum.min()), float(lum.max())
    if lo <= lt <= hi:
        return (
            1.0
            if np.any(lum == lt)
            else min(
                contrast_ratio(lt, float(lum[lum < lt].max(initial=lo))),
                contrast_ratio(lt, float(lum[lum > lt].min(initial=hi))),
            )
        )
    return contrast_ratio(lt, hi if hi < lt else lo)


def is_large_text(size_px: int, bold: bool) -> bool:
    """WCAG "large scale" text: ≥ 24 px regular or ≥ 18.66 px (14 pt) bold."""
    return size_px >= (18.66 if bold else 24.0)


def threshold(size_px: int, bold: bool) -> float:
    """The AA contrast ratio text of this px size and weight needs: 3.0 large, else 4.5."""
    return AA_LARGE if is_large_text(size_px, bold) else AA_BODY


@dataclass(frozen=True)
class TextColour:
    """The outcome for one text box: the text ``colour``, the ``scrim`` colour and opacity
    (0–1; 0 = none) to blend under it, and the worst contrast ``ratio`` that results."""

    colour: Rgb
    scrim: Rgb
    scrim_alpha: float
    ratio: float


def blend(background: np.ndarray, colour: Rgb, alpha: float) -> np.ndarray:
    """``background`` (uint8 RGB) with ``colour`` over it at opacity ``alpha`` (0–1), as
    Pillow's compositing does it (8-bit sRGB, rounded)."""
    if alpha <= 0:
        return background
    out = background.astype(np.float32) * (1 - alpha) + np.float32(alpha) * np.array(colour)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def choose_text_colour(
    background: np.ndarray, preferred: Rgb, need: float, *, margin: float = MARGIN
) -> TextColour:
    """Pick how to set text over ``background`` (uint8 RGB pixels behind the text box) so the
    worst contrast is at least ``need`` (+ ``margin``).

    Order: the brand's ``preferred`` colour; else white or black, whichever is better; else
    that colour over a black or white scrim of the least opacity (steps of 0.05) that works.
    """
    goal = need + margin
    best: TextColour | None = None
    for colour in (preferred, (255, 255, 255), (0, 0, 0)):
        ratio = worst_contrast(colour, background)
        if ratio >= goal:
            return TextColour(colour, (0, 0, 0), 0.0, ratio)
        if best is None or ratio > best.ratio:
            best = TextColour(colour, (0, 0, 0), 0.0, ratio)
    assert best is not None
    # A scrim opposite to the text: light text over a darkened box, dark text over a lightened
    # one. Brand colour first, then white/black (a scrim behind pure white always works).
    for colour in (preferred, (255, 255, 255), (0, 0, 0)):
        # Black and white give equal contrast to a luminance of 0.179.
        scrim: Rgb = (0, 0, 0) if float(relative_luminance(colour)) > 0.179 else (255, 255, 255)
        for step in range(1, 21):
            alpha = step / 20
            ratio = worst_contrast(colour, blend(background, scrim, alpha))
            if ratio >= goal:
                return TextColour(colour, scrim, alpha, ratio)
    return best
