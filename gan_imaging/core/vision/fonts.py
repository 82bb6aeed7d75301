"""Font registry for banners: which font file sets which script, found robustly on any host.

Keys name a role, not a file: ``"latin"`` / ``"latin-bold"`` (Latin, Greek, Cyrillic and the
currency signs) and ``"cjk"`` / ``"cjk-bold"`` (Chinese, Japanese, Korean; Latin too). Each key
has a list of candidate files tried in order; the first that exists (and, for CJK, has the
Han glyphs) wins. A shop may put its own font first with :func:`register_font`.

Where the fonts come from on a fresh machine:

- CJK: Debian's ``fonts-noto-cjk`` (Noto Sans CJK, SIL OFL 1.1; the ``.ttc`` collections
  hold one face per region, picked by locale: SC for zh-CN, TC for zh-TW, HK, JP, KR).
  Fallbacks: WenQuanYi Micro Hei (``fonts-wqy-microhei``), Droid Sans Fallback.
- Latin: DejaVu Sans (``fonts-dejavu-core``, also shipped inside matplotlib's wheel), then
  Liberation Sans, then Noto Sans CJK (which has Latin glyphs).

Nothing is downloaded. When no candidate exists, :class:`FontNotFoundError` names the Debian
package to install. Loaded fonts are cached per (file, face index, px size); text set in them
is measured with :func:`text_width` and :func:`line_height`.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from gan_imaging.core.errors import ConfigurationError, gettext_noop


class FontNotFoundError(ConfigurationError):
    """No usable font file for a role; the message says which package to install."""

    code = "font_missing"


@dataclass(frozen=True)
class FontFile:
    """One face: a ``.ttf``/``.otf``/``.ttc`` path and its face index inside a collection."""

    path: str
    index: int = 0
    name: str = ""


_DEBIAN = "/usr/share/fonts"
# Face index of each region inside Noto Sans CJK's .ttc collections (Regular and Bold).
_NOTO_CJK_FACE = {"ja": 0, "ko": 1, "zh-hans": 2, "zh-hant": 3, "zh-hk": 4}


def _matplotlib_fonts() -> Path | None:
    """matplotlib's bundled DejaVu folder, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def _latin(bold: bool) -> list[FontFile]:
    suffix = "-Bold" if bold else ""
    out = [
        FontFile(f"{d}/DejaVuSans{suffix}.ttf", 0, "DejaVu Sans")
        for d in (
            f"{_DEBIAN}/truetype/dejavu",
            f"{_DEBIAN}/dejavu",
            f"{_DEBIAN}/TTF",
            f"{_DEBIAN}/dejavu-sans-fonts",
        )  # fmt: skip
    ]
    mpl = _matplotlib_fonts()
    if mpl is not None:
        out.append(FontFile(str(mpl / f"DejaVuSans{suffix}.ttf"), 0, "DejaVu Sans"))
    lib = "Bold" if bold else "Regular"
    out += [
        FontFile(f"{_DEBIAN}/truetype/liberation/LiberationSans-{lib}.ttf", 0, "Liberation Sans"),
        FontFile(f"{_DEBIAN}/liberation/LiberationSans-{lib}.ttf", 0, "Liberation Sans"),
    ]
    return out + _cjk(bold, "zh-hans")


def _cjk(bold: bool, region: str) -> list[FontFile]:
    weight = "Bold" if bold else "Regular"
    face = _NOTO_CJK_FACE.get(region, 2)
    out = [
        FontFile(f"{d}/NotoSansCJK-{weight}.ttc", face, "Noto Sans CJK")
        for d in (
            f"{_DEBIAN}/opentype/noto",
            f"{_DEBIAN}/noto-cjk",
            f"{_DEBIAN}/google-noto-cjk",
            f"{_DEBIAN}/OTF",
        )  # fmt: skip
    ]
    if bold:  # fall back to the regular weight before another family
        out += _cjk(False, region)[: len(out)]
    out += [
        FontFile(f"{_DEBIAN}/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
        FontFile(f"{_DEBIAN}/truetype/droid/DroidSansFallbackFull.ttf", 0, "Droid Sans Fallback"),
    ]
    return out


#: Debian package that provides each role (named in FontNotFoundError).
INSTALL_HINT = {
    "latin": "fonts-dejavu-core (or: pip install matplotlib)",
    "cjk": "fonts-noto-cjk",
}

_REGISTERED: dict[str, FontFile] = {}
_LOCK = threading.Lock()


def register_font(key: str, path: str | Path, index: int = 0) -> None:
    """Put a font file first for role ``key`` (e.g. a brand kit's uploaded ``"latin-bold"``).

    The file must open with FreeType; ``index`` is the face inside a ``.ttc`` collection.
    """
    f = FontFile(str(path), index, Path(path).stem)
    try:
        ImageFont.truetype(f.path, 12, index=f.index)
    except OSError as exc:
        raise FontNotFoundError(
            gettext_noop("The font file %(path)s cannot be opened (%(error)s)."),
            params={"path": str(path), "error": str(exc)},
        ) from None
    with _LOCK:
        _REGISTERED[key] = f
    resolve_font.cache_clear()


def script_of_locale(locale: str) -> str:
    """``"latin"`` or ``"cjk"``: which script family text in ``locale`` (e.g. zh-CN) needs."""
    lang = locale.replace("_", "-").split("-")[0].lower()
    return "cjk" if lang in ("zh", "ja", "ko") else "latin"


def cjk_region(locale: str) -> str:
    """Noto CJK region for a locale: zh-CN/zh-SG → zh-hans, zh-TW → zh-hant, zh-HK/MO, ja, ko."""
    parts = locale.replace("_", "-").lower().split("-")
    if parts[0] in ("ja", "ko"):
        return parts[0]
    if parts[0] == "zh":
        if any(p in ("hk", "mo") for p in parts[1:]):
            return "zh-hk"
        if any(p in ("tw", "hant") for p in parts[1:]):
            return "zh-hant"
    return "zh-hans"


@lru_cache(maxsize=64)
def resolve_font(key: str, locale: str = "en-US") -> FontFile:
    """The font file for role ``key`` (``latin``, ``latin-bold``, ``cjk``, ``cjk-bold``).

    Raises :class:`FontNotFoundError` naming the package to install when no candidate exists.
    """
    with _LOCK:
        registered = _REGISTERED.get(key) or (
            _REGISTERED.get(key.removesuffix("-bold")) if key.endswith("-bold") else None
        )
    if registered is not None:
        return registered
    base, _, weight = key.partition("-")
    if base not in ("latin", "cjk") or weight not in ("", "bold"):
        raise FontNotFoundError(
            gettext_noop(
                "The font %(font)s is not set up; use latin or cjk, or register the brand's "
                "font file first."
            ),
            params={"font": repr(key.removesuffix("-bold"))},
        )
    bold = weight == "bold"
    candidates = _latin(bold) if base == "latin" else _cjk(bold, cjk_region(locale))
    for cand in candidates:
        if Path(cand.path).is_file():
            return cand
    raise FontNotFoundError(
        gettext_noop(
            "No Chinese/Japanese/Korean font is installed, so banner text cannot be drawn. "
            "Install the Debian package %(package)s."
        ) if base == "cjk" else gettext_noop(
            "No Latin font is installed, so banner text cannot be drawn. "
            "Install the Debian package %(package)s."
        ),
        params={"package": INSTALL_HINT[base]},
    )


@lru_cache(maxsize=512)
def load_font(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """``font`` at ``size`` px (em size), with Pillow's basic layout (no raqm): the same
    glyph positions on every host, so the same spec gives the same bytes."""
    return ImageFont.truetype(font.path, size, index=font.index,
                              layout_engine=ImageFont.Layout.BASIC)  # fmt: skip


def text_width(font: ImageFont.FreeTypeFont, text: str) -> int:
    """Horizontal extent (px) of ``text`` drawn at x=0: ink or advance, whichever is wider."""
    if not text:
        return 0
    left, _top, right, _bottom = font.getbbox(text, anchor="ls")
    return int(max(right, round(font.getlength(text) + 0.4999)) - min(0, left))


def line_height(font: ImageFont.FreeTypeFont) -> int:
    """Height (px) of one line: the font's ascent + descent (ink of normal glyphs stays in)."""
    ascent, descent = font.getmetrics()
    return int(ascent + descent)


_NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no font maps


def _glyph_signature(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes, float]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask), font.getlength(ch)


@lru_cache(maxsize=16384)
def _covers_char(path: str, index: int, ch: str) -> bool:
    font = load_font(FontFile(path, index), 24)
    return _glyph_signature(font, ch) != _glyph_signature(font, _NOTDEF_PROBE)


def font_covers(font: FontFile | ImageFont.FreeTypeFont, text: str) -> bool:
    """True when every character of ``text`` has a glyph in ``font`` (line breaks ignored).

    A missing character renders as the font's ``.notdef`` glyph (usually a box); it is found
    by comparing each character's rendering and advance with that of an unmapped code point.
    """
    if isinstance(font, ImageFont.FreeTypeFont):
        path, index = str(font.path), int(getattr(font, "index", 0))
    else:
        path, index = font.path, font.index
    return all(_covers_char(path, index, ch) for ch in set(text) if ch not in "\n\r\t")


def font_for_text(
    text: str, locale: str, *, bold: bool = False, latin: str = "latin", cjk: str = "cjk"
) -> FontFile:
    """The font for ``text`` in ``locale``: the locale's script font first (``latin`` or
    ``cjk``: registry keys, a brand's own fonts when registered), then the other one, then
    the built-in roles — the first that has every glyph.

    Raises :class:`FontNotFoundError` when no installed font has all of ``text``'s glyphs.
    """
    suffix = "-bold" if bold else ""
    first = script_of_locale(locale)
    keys = {"latin": latin, "cjk": cjk}
    order = [first, "cjk" if first == "latin" else "latin"]
    candidates = [keys[b] for b in order] + [b for b in order if keys[b] != b]
    missing: list[str] = []
    for base in candidates:
        try:
            font = resolve_font(base + suffix, locale)
        except FontNotFoundError:
            missing.append(base)
            continue
        if font_covers(font, text):
            return font
    need = "cjk" if any(_is_cjk_char(c) for c in text) else first
    if missing:
        raise FontNotFoundError(
            gettext_noop(
                "No installed font has every character of %(text)s. Install the Debian package "
                "%(package)s (missing: %(missing)s)."
            ),
            params={"text": repr(text[:40]), "package": INSTALL_HINT[need],
                    "missing": ", ".join(missing)},
        )
    raise FontNotFoundError(
        gettext_noop(
            "No installed font has every character of %(text)s. Install the Debian package "
            "%(package)s."
        ),
        params={"text": repr(text[:40]), "package": INSTALL_HINT[need]},
    )


def _is_cjk_char(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or (0xFF00 <= o <= 0xFFEF)
        or 0x20000 <= o <= 0x3FFFF
    )
