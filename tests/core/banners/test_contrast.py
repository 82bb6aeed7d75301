"""WCAG luminance, contrast ratio, colour choice and scrims."""

from __future__ import annotations

import numpy as np
import pytest

from gan_imaging.core.vision import contrast as wcag


def test_luminance_and_ratio_match_wcag() -> None:
    assert wcag.relative_luminance((255, 255, 255)) == pytest.approx(1.0)
    assert wcag.relative_luminance((0, 0, 0)) == 0.0
    assert wcag.contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    # #777777 on white is the classic just-failing grey: 4.48:1.
    assert wcag.contrast_ratio((0x77, 0x77, 0x77), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert wcag.contrast_ratio((0x76, 0x76, 0x76), (255, 255, 255)) >= 4.5


def test_worst_contrast_is_the_least_legible_pixel() -> None:
    bg = np.zeros((4, 4, 3), np.uint8)
    bg[0, 0] = (200, 200, 200)  # one light pixel decides it for white text
    assert wcag.worst_contrast((255, 255, 255), bg) == pytest.approx(
        wcag.contrast_ratio((255, 255, 255), (200, 200, 200))
    )
    bg[1, 1] = (255, 255, 255)
    assert wcag.worst_contrast((255, 255, 255), bg) == 1.0


def test_large_text_threshold() -> None:
    assert wcag.threshold(24, False) == 3.0 and wcag.threshold(23, False) == 4.5
    assert wcag.threshold(19, True) == 3.0 and wcag.threshold(18, True) == 4.5


def test_prefers_brand_colour_then_black_or_white_then_a_scrim() -> None:
    dark = np.full((8, 8, 3), 20, np.uint8)
    assert wcag.choose_text_colour(dark, (250, 250, 0), 4.5).colour == (250, 250, 0)
    mid_brand = (120, 120, 120)
    got = wcag.choose_text_colour(dark, mid_brand, 4.5)
    assert got.colour == (255, 255, 255) and got.scrim_alpha == 0
    # Half black, half white: no colour reads everywhere without a scrim.
    split = np.zeros((8, 8, 3), np.uint8)
    split[:, 4:] = 255
    got = wcag.choose_text_colour(split, (255, 255, 255), 4.5)
    assert got.scrim_alpha > 0
    patched = wcag.blend(split, got.scrim, got.scrim_alpha)
    assert wcag.worst_contrast(got.colour, patched) >= 4.5
