"""Font resolution: the roles resolve on this host, and a missing font names its package."""

from __future__ import annotations

from pathlib import Path

import pytest

from gan_imaging.core.vision import fonts


def test_roles_resolve_to_real_files() -> None:
    for key in ("latin", "latin-bold", "cjk", "cjk-bold"):
        f = fonts.resolve_font(key, "zh-CN")
        assert Path(f.path).is_file()
    assert fonts.font_covers(fonts.resolve_font("cjk", "zh-CN"), "中文价格")


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_DEBIAN", "/nonexistent")
    monkeypatch.setattr(fonts, "_matplotlib_fonts", lambda: None)
    fonts.resolve_font.cache_clear()
    try:
        with pytest.raises(fonts.FontNotFoundError, match="fonts-noto-cjk") as err:
            fonts.resolve_font("cjk", "zh-CN")
        assert err.value.code == "font_missing"
        with pytest.raises(fonts.FontNotFoundError, match="fonts-dejavu-core"):
            fonts.resolve_font("latin")
    finally:
        fonts.resolve_font.cache_clear()


def test_registered_font_comes_first(tmp_path: Path) -> None:
    src = fonts.resolve_font("latin")
    try:
        fonts.register_font("brand-test", src.path, src.index)
        assert fonts.font_for_text("Hi", "en-US", latin="brand-test").path == src.path
        assert fonts.resolve_font("brand-test-bold").path == src.path  # falls back to regular
        bad = tmp_path / "x.ttf"
        bad.write_bytes(b"not a font")
        with pytest.raises(fonts.FontNotFoundError, match="cannot be opened"):
            fonts.register_font("brand-bad", bad)
    finally:
        fonts._REGISTERED.pop("brand-test", None)
        fonts.resolve_font.cache_clear()
    with pytest.raises(fonts.FontNotFoundError, match="not set up"):
        fonts.resolve_font("brand-unknown")
