"""Lossless removal of location and identity metadata from an upload's bytes.

Phones write GPS, owner names and serial numbers into EXIF, XMP and IPTC; the stored original
is served publicly, so these go before it is written. Pixel data is never re-encoded: JPEG
segments, PNG/WebP chunks and GIF extensions are dropped whole; EXIF/TIFF structures are zeroed
and AVIF/HEIF XMP items filled with spaces in place (same length: every offset stays valid).
Everything else (ICC profiles, orientation, make, model, dates, exposure, JFIF, comments)
stays byte-identical.

Kinds reported, in this order: ``gps`` (the EXIF GPS IFD, 0x8825), ``owner`` (Artist,
HostComputer, CameraOwnerName), ``serial_numbers`` (Body/LensSerialNumber, ImageUniqueID),
``maker_note`` (0x927C), ``xmp``, ``iptc`` (IPTC and Photoshop resources), ``exif_profile``
(ImageMagick's hex "Raw profile type exif/APP1" PNG text, dropped whole).

Nothing here raises on odd input: every loop is bounded, every offset checked, and a
structure that is not understood is left as it is (and not reported).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from gan_imaging.core.errors import GanImagingError
from gan_imaging.core.imaging.containers import metadata_items
from gan_imaging.core.imaging.headers import identify

KINDS = ("gps", "owner", "serial_numbers", "maker_note", "xmp", "iptc", "exif_profile")

_MAX_SEGMENTS = 4096  # JPEG markers walked before SOS
_MAX_CHUNKS = 100_000  # PNG / WebP chunks
_MAX_GIF_STEPS = 1_000_000  # GIF blocks + sub-blocks (a 30 MB GIF has ~120,000)
_MAX_IFDS = 32  # IFDs in a chain (a TIFF's pages; IFD0 + IFD1 in EXIF), and Exif + GPS IFDs
_MAX_ENTRIES = 1024  # entries of one IFD; cameras write under 100

_TYPE_SIZES = (0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4)  # bytes per value, by TIFF type 0..13
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
#: Blanked wherever found in IFD0/IFD1/Exif IFD: Artist, HostComputer, CameraOwnerName;
#: ImageUniqueID, Body/LensSerialNumber; MakerNote; XMP, IPTC-NAA, Photoshop (TIFF files).
_PRIVATE_TAGS = {0x013B: "owner", 0x013C: "owner", 0xA430: "owner"}
_PRIVATE_TAGS |= dict.fromkeys((0xA420, 0xA431, 0xA435), "serial_numbers")
_PRIVATE_TAGS |= {0x927C: "maker_note", 0x02BC: "xmp", 0x83BB: "iptc", 0x8649: "iptc"}
_XMP_APP1 = (  # APP1 prefixes of XMP, extended XMP and old Adobe writers' XMP
    b"http://ns.adobe.com/xap/1.0/\0",
    b"http://ns.adobe.com/xmp/extension/\0",
    b"XMP\0://ns.adobe.com/xap/1.0/\0",
)
_PNG_KEYWORDS = {b"xml:com.adobe.xmp": "xmp", b"raw profile type xmp": "xmp"}
_PNG_KEYWORDS |= dict.fromkeys((b"raw profile type exif", b"raw profile type app1"), "exif_profile")
_PNG_KEYWORDS |= dict.fromkeys((b"raw profile type iptc", b"raw profile type 8bim"), "iptc")

#: One change: replace ``data[start:stop]`` with ``bytes`` (b"" drops it); the kinds it removes.
_Edit = tuple[int, int, bytes, frozenset[str]]


@dataclass(frozen=True)
class StripResult:
    """``data``: the cleaned file (the input object itself when nothing was removed);
    ``removed``: the kinds removed, in :data:`KINDS` order (empty when none)."""

    data: bytes
    removed: tuple[str, ...]


def strip_private_metadata(data: bytes) -> StripResult:
    """Remove GPS, identity tags, maker notes, XMP and IPTC from a JPEG, PNG, WebP, GIF, TIFF
    or AVIF/HEIF file without touching pixel data. Never raises; unknown formats and
    structures come back unchanged. Cost: headers only (a 12 MP JPEG takes about a ms)."""
    buf = data if isinstance(data, bytes) else bytes(data)
    plan = _plan(buf)
    removed = _kinds(plan)
    if not removed:
        return StripResult(data, ())
    view, pos = memoryview(buf), 0
    parts: list[bytes | memoryview] = []
    for start, stop, replacement, _ in plan:
        parts += (view[pos:start], replacement)
        pos = stop
    parts.append(view[pos:])
    return StripResult(b"".join(parts), removed)


def private_metadata(data: bytes) -> tuple[str, ...]:
    """The kinds of private metadata in ``data`` that :func:`strip_private_metadata` removes."""
    return _kinds(_plan(data if isinstance(data, bytes) else bytes(data)))


def _kinds(plan: list[_Edit]) -> tuple[str, ...]:
    found = {kind for edit in plan for kind in edit[3]}
    return tuple(k for k in KINDS if k in found)


def _plan(data: bytes) -> list[_Edit]:
    """Sorted, non-overlapping edits for ``data``; [] for anything not understood."""
    handler = _HANDLERS.get(identify(data[:16]) or "")
    if handler is None:
        return []
    try:
        edits = handler(data)
    except (struct.error, IndexError, ValueError, OverflowError, GanImagingError):
        return []  # a safety net (and ISOBMFF boxes that do not fit): never raise
    plan: list[_Edit] = []
    for edit in sorted(edits, key=lambda e: (e[0], e[1])):
        if edit[0] >= (plan[-1][1] if plan else 0) and edit[1] <= len(data):
            plan.append(edit)
    return plan


def _tiff_edits(data: bytes, base: int, end: int) -> list[_Edit]:
    """Zero-fill edits (file offsets) that blank the GPS IFD and the private tags of the TIFF
    structure in ``data[base:end]`` (EXIF payload or a whole TIFF file); [] if not TIFF."""
    head = data[base : base + 4]
    bo = "<" if head == b"II*\0" else ">" if head == b"MM\0*" else ""
    if not bo or end > len(data) or base + 8 > end:
        return []

    def u32(pos: int) -> int:
        return struct.unpack_from(bo + "I", data, pos)[0] if pos + 4 <= end else 0

    def ifd(off: int) -> tuple[int, int] | None:  # (table position, entry count)
        at = base + off
        n = struct.unpack_from(bo + "H", data, at)[0] if off >= 8 and at + 2 <= end else -1
        return (at, n) if 0 <= n <= _MAX_ENTRIES and at + 2 + 12 * n <= end else None

    def entries(table: tuple[int, int]) -> list[tuple[int, int, int, int]]:  # tag, type, n, pos
        first, stop = table[0] + 2, table[0] + 2 + 12 * table[1]
        return [(*struct.unpack_from(bo + "HHI", data, p), p) for p in range(first, stop, 12)]

    def value(typ: int, count: int, pos: int) -> tuple[int, int] | None:
        size = _TYPE_SIZES[typ] * count if typ < len(_TYPE_SIZES) else 0
        start = pos + 8 if size <= 4 else base + u32(pos + 8)
        return (start, start + size) if size and start >= base + 8 and start + size <= end else None

    main: list[tuple[int, int]] = []  # the IFD chain: IFD0, IFD1 (or a TIFF's pages)
    subs: list[tuple[int, int]] = []  # Exif IFDs
    gps: list[tuple[int, int]] = []
    seen: set[int] = set()
    off = u32(base + 4)
    while off and len(main) < _MAX_IFDS and (table := ifd(off)) and table[0] not in seen:
        seen.add(table[0])
        main.append(table)
        off = u32(table[0] + 2 + 12 * table[1])
    for tag, typ, _, pos in (e for table in main for e in entries(table)):
        sub = ifd(u32(pos + 8)) if tag in (_EXIF_IFD, _GPS_IFD) and typ in (4, 13) else None
        if sub and sub[0] not in seen and len(subs) + len(gps) < _MAX_IFDS:
            seen.add(sub[0])
            (subs if tag == _EXIF_IFD else gps).append(sub)
    tables = [(base, base + 8)] + [(at, at + 6 + 12 * n) for at, n in main + subs + gps]

    def free(span: tuple[int, int], mine: int = -1) -> bool:  # overlaps no other IFD table
        return all(t[0] == mine or span[1] <= t[0] or span[0] >= t[1] for t in tables)

    spans: list[tuple[int, int, str]] = []
    for tag, typ, count, pos in (e for table in main + subs for e in entries(table)):
        kind, span = _PRIVATE_TAGS.get(tag), value(typ, count, pos)
        if not (kind and span) or data.count(0, *span) == span[1] - span[0]:
            continue  # not private, or already blank
        if span[0] == pos + 8 or free(span):  # inline in its entry, or outside every IFD
            spans.append((*span, kind))
    for at, n in gps:
        if n and free((at, at + 2 + 12 * n), at):
            spans.append((at, at + 2 + 12 * n, "gps"))  # entry count 0, entries zeroed
            for _, typ, count, pos in entries((at, n)):
                span = value(typ, count, pos)
                if span and free(span, at):
                    spans.append((*span, "gps"))
    return _merge_zeroes(spans)


def _merge_zeroes(spans: list[tuple[int, int, str]]) -> list[_Edit]:
    """Union of overlapping zero-fill ranges, so that every one of them is applied."""
    merged: list[tuple[int, int, set[str]]] = []
    for start, stop, kind in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]), merged[-1][2] | {kind})
        else:
            merged.append((start, stop, {kind}))
    return [(a, b, bytes(b - a), frozenset(k)) for a, b, k in merged]


def _jpeg(data: bytes) -> list[_Edit]:
    """Edits of the segments before SOS; the entropy-coded data after it is never read."""
    edits: list[_Edit] = []
    pos, n = 2, len(data)
    for _ in range(_MAX_SEGMENTS):
        if pos + 4 > n or data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # SOS, EOI
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        stop = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if stop < pos + 4 or stop > n:
            break
        if marker == 0xE1 and data.startswith(b"Exif\0\0", pos + 4):
            edits += _tiff_edits(data, pos + 10, stop)
        elif marker == 0xE1 and data.startswith(_XMP_APP1, pos + 4):
            edits.append((pos, stop, b"", frozenset({"xmp"})))
        elif marker == 0xED and data.startswith(b"Photoshop 3.0\0", pos + 4):
            edits.append((pos, stop, b"", frozenset({"iptc"})))
        pos = stop
    return edits


def _png(data: bytes) -> list[_Edit]:
    """``eXIf`` blanked in place (new CRC); XMP and ImageMagick raw-profile text chunks dropped."""
    edits: list[_Edit] = []
    pos = 8
    for _ in range(_MAX_CHUNKS):
        if pos + 12 > len(data):
            break
        length, kind = struct.unpack_from(">I4s", data, pos)
        body, stop = pos + 8, pos + 12 + length
        if stop > len(data) or kind == b"IEND":
            break
        if kind == b"eXIf":
            start = body + 6 if data.startswith(b"Exif\0\0", body) else body
            fixes = _tiff_edits(data, start, body + length)
            if fixes:
                chunk = bytearray(data[pos + 4 : body + length])  # type + data: the CRC input
                for a, b, zeroes, _ in fixes:
                    chunk[a - pos - 4 : b - pos - 4] = zeroes
                crc = zlib.crc32(chunk).to_bytes(4, "big")
                kinds = frozenset(k for fix in fixes for k in fix[3])
                edits.append((pos, stop, data[pos : pos + 4] + bytes(chunk) + crc, kinds))
        elif kind in (b"iTXt", b"tEXt", b"zTXt"):
            keyword = data[body : body + min(length, 80)].split(b"\0", 1)[0].lower()
            if keyword in _PNG_KEYWORDS:
                edits.append((pos, stop, b"", frozenset({_PNG_KEYWORDS[keyword]})))
        pos = stop
    return edits


def _webp(data: bytes) -> list[_Edit]:
    """``EXIF`` blanked in place, ``XMP `` dropped; RIFF size and VP8X XMP flag fixed."""
    riff = int.from_bytes(data[4:8], "little")
    end = min(len(data), 8 + riff)
    edits: list[_Edit] = []
    pos, vp8x = 12, -1
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > end:
            break
        kind, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body, stop = pos + 8, pos + 8 + size + (size & 1)
        if body + size > end:
            break
        if kind == b"VP8X" and pos == 12 and size >= 10:
            vp8x = body
        elif kind == b"EXIF":
            start = body + 6 if data.startswith(b"Exif\0\0", body) else body
            edits += _tiff_edits(data, start, body + size)
        elif kind == b"XMP ":
            edits.append((pos, min(stop, end), b"", frozenset({"xmp"})))
        pos = stop
    dropped = sum(stop - start for start, stop, new, _ in edits if not new)
    if dropped:
        edits.append((4, 8, (riff - dropped).to_bytes(4, "little"), frozenset()))
        if vp8x >= 0:
            edits.append((vp8x, vp8x + 1, bytes([data[vp8x] & ~0x04]), frozenset()))
    return edits


def _gif(data: bytes) -> list[_Edit]:
    """Application extensions "XMP DataXMP" dropped whole (introducer to block terminator)."""
    n, edits, steps = len(data), [], 0
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < n and steps < _MAX_GIF_STEPS:
        start, block = pos, data[pos]
        if block == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif block == 0x2C:  # image: descriptor, local palette, LZW code size, sub-blocks
            if pos + 10 > n:
                break
            local = data[pos + 9]
            pos += 11 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
        else:  # trailer or junk
            break
        first = pos
        while pos < n and steps < _MAX_GIF_STEPS:
            steps += 1
            size = data[pos]
            pos += 1 + size
            if size == 0:
                break
        else:
            break  # cut short
        steps += 1
        if block == 0x21 and data[start + 1] == 0xFF and data.startswith(b"\x0bXMP DataXMP", first):
            edits.append((start, pos, b"", frozenset({"xmp"})))
    return [e for e in edits if e[1] <= n]


def _isobmff(data: bytes) -> list[_Edit]:
    """AVIF/HEIF: the ``Exif`` item blanked in place, XMP items overwritten with spaces."""
    edits: list[_Edit] = []
    for what, ranges in metadata_items(data):
        if what == "exif" and len(ranges) == 1 and ranges[0][1] - ranges[0][0] > 4:
            start, stop = ranges[0]
            tiff = start + 4 + int.from_bytes(data[start : start + 4], "big")
            tiff += 6 if data.startswith(b"Exif\0\0", tiff) else 0
            edits += _tiff_edits(data, tiff, stop)
        elif what == "xmp":
            for start, stop in ranges:
                if data.count(b" ", start, stop) < stop - start:
                    edits.append((start, stop, b" " * (stop - start), frozenset({"xmp"})))
    return edits


_HANDLERS: dict[str, Callable[[bytes], list[_Edit]]] = {
    "JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "GIF": _gif, "ISOBMFF": _isobmff,
    "TIFF": lambda data: _tiff_edits(data, 0, len(data)),  # every page blanked in place
}
