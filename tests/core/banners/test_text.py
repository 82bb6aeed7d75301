"""Line breaking (Latin by words, Chinese by characters with kinsoku) and auto-fit."""

from __future__ import annotations

import pytest

from gan_imaging.core.vision.fonts import (
    FontFile,
    font_covers,
    load_font,
    resolve_font,
    text_width,
)
from gan_imaging.core.vision.linebreak import (
    ELLIPSIS,
    NO_LINE_END,
    NO_LINE_START,
    atoms,
    break_lines,
)
from gan_imaging.core.vision.text import fit_text

ZH = "无线降噪耳机，畅听一整天。「限时特惠」全场包邮（七天无理由退货），立即购买！"


@pytest.fixture(scope="module")
def cjk() -> FontFile:
    return resolve_font("cjk", "zh-CN")


@pytest.fixture(scope="module")
def latin() -> FontFile:
    return resolve_font("latin")


def test_chinese_atoms_glue_punctuation() -> None:
    assert atoms("你好，世界。") == ["你", "好，", "世", "界。"]
    assert atoms("「特惠」") == ["「特", "惠」"]
    assert atoms("价格（含税）") == ["价", "格", "（含", "税）"]


def test_chinese_lines_never_start_with_closing_or_end_with_opening(cjk: FontFile) -> None:
    font = load_font(cjk, 20)
    seen_lines = 0
    for width in range(61, 400, 7):  # ≥ 3 glyphs; many widths, so breaks land next to every mark
        lines = break_lines(ZH, font, width)
        assert lines is not None
        assert "".join(lines) == ZH  # nothing lost, nothing added
        for line in lines:
            assert line[0] not in NO_LINE_START, (width, lines)
            assert line[-1] not in NO_LINE_END, (width, lines)
            assert text_width(font, line) <= width
        seen_lines += len(lines)
    assert seen_lines > 100


def test_latin_breaks_between_words_only(latin: FontFile) -> None:
    font = load_font(latin, 16)
    text = "Wireless headphones with active noise cancelling"
    lines = break_lines(text, font, 150)
    assert lines is not None and len(lines) > 1
    assert " ".join(lines) == text
    assert all(text_width(font, ln) <= 150 for ln in lines)
    # A word wider than the box: no silent break unless hyphenation is allowed.
    assert break_lines("Supercalifragilisticexpialidocious", font, 80) is None
    hyph = break_lines("Supercalifragilisticexpialidocious", font, 80, hyphenate=True)
    assert hyph and all(ln.endswith("-") for ln in hyph[:-1])
    assert "".join(ln.rstrip("-") for ln in hyph) == "Supercalifragilisticexpialidocious"


def test_fit_prefers_largest_size_and_balances_lines(latin: FontFile) -> None:
    fitted = fit_text("Big summer sale", latin, 400, 200, max_size=60, min_size=11)
    assert fitted is not None and not fitted.truncated
    assert fitted.width <= 400 and fitted.height <= 200
    bigger = fit_text("Big summer sale", latin, 400, 200, max_size=61, min_size=11)
    assert bigger is not None and bigger.size >= fitted.size
    two = fit_text("Wireless headphones with noise cancel", latin, 300, 200, max_size=40,
                   min_size=11)  # fmt: skip
    assert two is not None and len(two.lines) >= 2
    widths = [text_width(load_font(latin, two.size), ln) for ln in two.lines]
    assert min(widths) > 0.4 * max(widths)  # no lone widow word


def test_too_long_text_is_ellipsized_at_the_minimum_size(latin: FontFile, cjk: FontFile) -> None:
    long_en = "An extremely long headline that keeps going " * 10
    got = fit_text(long_en, latin, 200, 40, max_size=30, min_size=11, max_lines=3)
    assert got is not None and got.truncated and got.size == 11
    assert got.lines[-1].endswith(ELLIPSIS) and got.height <= 40
    got_zh = fit_text(ZH * 4, cjk, 150, 40, max_size=30, min_size=12, max_lines=3)
    assert got_zh is not None and got_zh.truncated and got_zh.size == 12
    assert got_zh.lines[-1].endswith(ELLIPSIS)
    assert all(text_width(load_font(cjk, 12), ln) <= 150 for ln in got_zh.lines)
    # A box shorter than one line at the minimum size holds nothing.
    assert fit_text("Sale", latin, 200, 5, max_size=30, min_size=11) is None


def test_font_coverage(latin: FontFile, cjk: FontFile) -> None:
    assert font_covers(cjk, ZH) and font_covers(cjk, "Sale €12")
    assert font_covers(latin, "Größe €12,99 £ ¥")
    if "DejaVu" in latin.name or "Liberation" in latin.name:
        assert not font_covers(latin, "中文")
