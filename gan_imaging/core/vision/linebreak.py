"""Line breaking for Latin and Chinese text, on *atoms*: pieces no line break may split.

- Latin (and any non-CJK run): a word; lines break at spaces, and after a hyphen or slash.
- Chinese / Japanese: one character, so lines may break between any two of them, except that
  closing punctuation (，。、）」… and the like) is glued to the atom before it — no line
  starts with it — and opening punctuation (（「“ …) to the atom after it — no line ends
  with it (the kinsoku rules of JIS X 4051 / the W3C "Requirements for Chinese Text Layout").

Breaking is greedy at one width; the last resorts that :mod:`.text` uses when nothing fits —
hyphenating a Latin word wider than the box, ending a line with an ellipsis — are here too.
Widths are measured with :func:`~.fonts.text_width` (ink or advance, whichever is wider).
"""

from __future__ import annotations

from PIL import ImageFont

from gan_imaging.core.vision.fonts import text_width

#: Characters that may not start a line (closing brackets, stops, commas, small kana…).
NO_LINE_START = set(
    "!%),.:;?]}¢°’”‰′″℃、。〃〆〉》」』】〕〗〙〛゛゜ゝゞ・ヽヾ！％），．：；？］｝｡｣､･ｰ"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー…‥〜～"
)
#: Characters that may not end a line (opening brackets, currency prefixes).
NO_LINE_END = set("([{£¥$‘“〈《「『【〔〖〘〚（［｛｢￡￥＄")

ELLIPSIS = "…"


def is_cjk(ch: str) -> bool:
    """True for Han, kana, hangul syllables, CJK punctuation and full-width forms."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x303F  # radicals, CJK symbols and punctuation
        or 0x3040 <= o <= 0x9FFF  # kana, CJK unified ideographs (+ ext. A)
        or 0xAC00 <= o <= 0xD7AF  # hangul syllables
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
    )


def atoms(text: str) -> list[str]:
    """Split ``text`` into unbreakable atoms; spaces become separate ``" "`` atoms.

    A CJK character is an atom on its own; a run of other non-space characters is one atom
    (split after ``-`` and ``/``). Then closing punctuation joins the atom before it and
    opening punctuation the atom after it.
    """
    raw: list[str] = []
    word = ""
    for ch in " ".join(text.split()):
        if ch == " " or is_cjk(ch):
            if word:
                raw.append(word)
                word = ""
            raw.append(ch)
        else:
            word += ch
            if ch in "-/" and len(word) > 1:
                raw.append(word)
                word = ""
    if word:
        raw.append(word)
    glued: list[str] = []
    carry = ""
    for a in raw:
        if a == " ":
            if carry:  # an opening mark before a space: keep it with the space's neighbour
                glued.append(carry)
                carry = ""
            glued.append(a)
            continue
        a = carry + a
        carry = ""
        if glued and glued[-1] != " " and a[0] in NO_LINE_START:
            glued[-1] += a
        elif a[-1] in NO_LINE_END and len(a) == 1:
            carry = a
        else:
            glued.append(a)
    if carry:
        if glued and glued[-1] != " ":
            glued[-1] += carry
        else:
            glued.append(carry)
    return glued


def break_lines(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, *, hyphenate: bool = False
) -> list[str] | None:
    """Greedy line breaking of ``text`` into lines no wider than ``max_width`` px.

    Returns None when an atom alone is wider than the box and ``hyphenate`` is False; with
    ``hyphenate`` such a Latin word is split with ``-`` (a CJK atom at this width: None).
    """
    lines: list[str] = []
    line = ""
    for atom in atoms(text):
        if atom == " ":
            if line:
                line += " "
            continue
        candidate = line + atom
        if text_width(font, candidate.rstrip()) <= max_width:
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        if text_width(font, atom) <= max_width:
            line = atom
            continue
        if not hyphenate or any(is_cjk(c) for c in atom):
            return None
        pieces = _hyphenate(atom, font, max_width)
        if pieces is None:
            return None
        lines += pieces[:-1]
        line = pieces[-1]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _hyphenate(word: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str] | None:
    pieces: list[str] = []
    rest = word
    while text_width(font, rest) > max_width:
        cut = len(rest) - 1
        while cut > 1 and text_width(font, rest[:cut] + "-") > max_width:
            cut -= 1
        if cut <= 1:
            return None
        pieces.append(rest[:cut] + "-")
        rest = rest[cut:]
    return pieces + [rest]


def ellipsize(line: str, font: ImageFont.FreeTypeFont, max_width: int) -> str | None:
    """``line`` shortened (at an atom boundary when possible) and ended with "…" to fit."""
    for end in range(len(line), -1, -1):
        head = line[:end].rstrip(" ,;:-、，")
        if head and head[-1] in NO_LINE_END:
            continue
        candidate = head + ELLIPSIS
        if text_width(font, candidate) <= max_width:
            return candidate
    return None
