"""Structural pre-scan of an upload, run before Pillow parses a single byte.

Pillow's own header parsers are Python loops over markers, chunks and blocks, and some of them
allocate from header fields (libwebp's animation decoder callocs two canvases on open; Pillow's
GIF ``n_frames`` walks every frame). A hostile 30 MB file made of millions of tiny segments, or
a header that claims 60000 × 60000 px, must be refused before any of that runs. So each
allowed format gets a small scanner here that learns the format, the first frame's size and
the frame count, checks them against :class:`~.policy.Limits`, and bounds every loop by a
structural cap. Scanners read ``bytes`` only; they never decode pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gan_imaging.core.imaging.containers import scan_isobmff, scan_tiff
from gan_imaging.core.imaging.policy import Limits, check_frames, check_size, damaged

# Structural caps. Real files sit far below each (noted per line); hostile files blow past them.
_MAX_JPEG_SEGMENTS = 4096  # ICC in ≤ 255 APP2 + EXIF + extended XMP: a few hundred at most
_MAX_JPEG_JUNK = 4096  # stray bytes between segments; libjpeg warns on any, Pillow skips slowly
_MAX_JPEG_SCANS = 256  # progressive encoders write ~10 scans; each scan re-walks every block
_MAX_PNG_CHUNKS = 50_000  # libpng writes 8 KB IDATs: a 30 MB PNG has ~3,800 chunks
_MAX_GIF_BLOCKS = 1_000_000  # 255-byte sub-blocks: a 30 MB GIF has ~120,000
_MAX_GIF_JUNK = 4096  # unknown bytes between blocks, which Pillow skips one at a time
_GIF_SCREEN_RATIO = 8  # screen side / side of all frames' bounding box; real files: ~1
_GIF_SCREEN_SLACK = 64  # px: tiny screens (spacers, icons) are never judged
_MAX_WEBP_CHUNKS = 100_000

_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # not DHT, JPG, DAC


@dataclass(frozen=True)
class Header:
    """What the scan learned: Pillow's format name; first-frame size in px, or ``None`` where
    the container is left to the codec library (AVIF without ``ispe``); frames or pages ≥ 1."""

    format: str
    width: int | None
    height: int | None
    frames: int


def identify(head: bytes) -> str | None:
    """Pillow's format name for the first bytes of a file we know how to scan, else None."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        return "ISOBMFF"
    return None


def scan(data: bytes, limits: Limits) -> Header:
    """Scan ``data`` and check it against ``limits``; raise a typed error or return the header.

    The caller has already checked that ``identify(data)`` is not None.
    """
    kind = identify(data[:16])
    scanner = _SCANNERS[kind or ""]
    try:
        return scanner(data, limits)
    except (struct.error, IndexError) as exc:
        # Every read past the end lands here: a header cut short.
        raise damaged("the file ends too early") from exc


def _scan_jpeg(data: bytes, limits: Limits) -> Header:
    n, pos, segments, junk = len(data), 2, 0, 0
    size: tuple[int, int] | None = None
    while True:
        if data[pos] != 0xFF:
            junk += 1
            if junk > _MAX_JPEG_JUNK:
                raise damaged("stray bytes between JPEG segments")
            pos += 1
            continue
        pos += 1
        while data[pos] == 0xFF:  # fill bytes: legal, but a 30 MB run of them is a DoS
            pos += 1
            junk += 1
            if junk > _MAX_JPEG_JUNK:
                raise damaged("stray bytes between JPEG segments")
        marker = data[pos]
        pos += 1
        segments += 1
        if segments > _MAX_JPEG_SEGMENTS:
            raise damaged("too many JPEG segments")
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or marker == 0x00:
            continue  # markers without a length field
        if marker == 0xD9:
            raise damaged("the JPEG ends before its image data")
        length = struct.unpack_from(">H", data, pos)[0]
        if length < 2:
            raise damaged("a JPEG segment has an impossible length")
        if marker in _SOF_MARKERS and size is None:
            height, width = struct.unpack_from(">HH", data, pos + 3)
            size = (width, height)
            check_size(width, height, limits)
        if marker == 0xDA:
            break
        pos += length
        if pos >= n:
            raise damaged("the file ends too early")
    if size is None:
        raise damaged("the JPEG has no frame header")
    # Entropy-coded data never holds an unstuffed FF DA or FF D9, so this counts the scans up
    # to the end-of-image marker exactly; bytes after it (an MPO's second image, a phone's
    # motion-photo video) are not scans.
    # One C-speed pass in the common case; the EOI bound only when the plain count is high.
    if data.count(b"\xff\xda", pos - 2) > _MAX_JPEG_SCANS:
        end = data.find(b"\xff\xd9", pos)
        if data.count(b"\xff\xda", pos - 2, end if end > 0 else len(data)) > _MAX_JPEG_SCANS:
            raise damaged("too many progressive JPEG scans")
    return Header("JPEG", size[0], size[1], 1)


def _scan_png(data: bytes, limits: Limits) -> Header:
    n, pos, chunks = len(data), 8, 0
    width = height = 0
    claimed_frames = control_chunks = 0
    while pos < n:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        chunks += 1
        if chunks > _MAX_PNG_CHUNKS:
            raise damaged("too many PNG chunks")
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n:
            raise damaged("the file ends too early")
        if chunks == 1:
            if ctype != b"IHDR" or length != 13:
                raise damaged("the PNG header is missing")
            width, height, _, _, compression, filtering, interlace = struct.unpack_from(
                ">IIBBBBB", data, pos + 8
            )
            check_size(width, height, limits)
            # Pillow reads any non-zero interlace byte as Adam7; the spec allows only 0 and 1.
            if compression or filtering or interlace > 1:
                raise damaged("the PNG header is not valid")
        elif ctype == b"acTL":
            claimed_frames = struct.unpack_from(">I", data, pos + 8)[0]
            check_frames(claimed_frames, claimed_frames * width * height, limits, at_least=False)
        elif ctype == b"fcTL":
            control_chunks += 1
        elif ctype == b"IEND":
            break  # trailing bytes (a polyglot payload) are never decoded; outputs re-encode
        pos = end
    frames = max(1, claimed_frames, control_chunks if claimed_frames else 0)
    check_frames(frames, frames * width * height, limits, at_least=False)
    return Header("PNG", width, height, frames)


def _skip_sub_blocks(data: bytes, pos: int, budget: list[int]) -> int:
    """Return the offset after a GIF sub-block chain; ``budget[0]`` counts blocks left."""
    n = len(data)
    while pos < n:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
        budget[0] -= 1
        if budget[0] < 0:
            raise damaged("too many GIF data blocks")
    return pos


def _scan_gif(data: bytes, limits: Limits) -> Header:
    screen_w, screen_h, flags = struct.unpack_from("<HHB", data, 6)
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    canvas_w, canvas_h = screen_w, screen_h
    first: tuple[int, int] | None = None
    frames = total = junk = 0
    left = top = 0xFFFF  # the bounding box of every frame, for the screen's plausibility
    right = bottom = 0
    budget = [_MAX_GIF_BLOCKS]
    n = len(data)
    while pos < n:
        tag = data[pos]
        if tag == 0x3B:  # trailer
            break
        if tag == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2, budget)
        elif tag == 0x2C:  # image descriptor
            x, y, w, h, local = struct.unpack_from("<HHHHB", data, pos + 1)
            # Pillow grows the canvas to fit a frame that overhangs it, so check the grown one.
            canvas_w, canvas_h = max(canvas_w, x + w), max(canvas_h, y + h)
            left, top = min(left, x), min(top, y)
            right, bottom = max(right, x + w), max(bottom, y + h)
            if first is None:
                first = (canvas_w, canvas_h)
                check_size(canvas_w, canvas_h, limits)
            frames += 1
            total += canvas_w * canvas_h
            check_frames(frames, total, limits, at_least=True)
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            pos = _skip_sub_blocks(data, pos + 1, budget)  # +1: LZW minimum code size
        else:
            junk += 1
            if junk > _MAX_GIF_JUNK:
                raise damaged("stray bytes between GIF blocks")
            pos += 1
    if first is None:
        raise damaged("the GIF has no image")
    _check_gif_screen(canvas_w, canvas_h, right - left, bottom - top)
    return Header("GIF", first[0], first[1], frames)


def _check_gif_screen(screen_w: int, screen_h: int, drawn_w: int, drawn_h: int) -> None:
    """Refuse a logical screen far larger than everything its frames draw.

    Encoders size the screen to the picture; animations draw later frames as smaller patches,
    but together the frames span most of the screen. A GIF/JavaScript polyglot sets the width
    to the bytes ``/*`` (10799 px) around a tiny real image, which Pillow would turn into a
    wide empty canvas. Screens up to ``_GIF_SCREEN_SLACK`` px of a side are left alone.
    """
    for screen, drawn in ((screen_w, drawn_w), (screen_h, drawn_h)):
        if screen > _GIF_SCREEN_SLACK and screen > _GIF_SCREEN_RATIO * max(drawn, 1):
            raise damaged(
                f"its {screen_w}×{screen_h} px screen is far larger than the "
                f"{drawn_w}×{drawn_h} px its frames draw"
            )


def _webp_size(fourcc: bytes, data: bytes, body: int) -> tuple[int, int]:
    if fourcc == b"VP8X":
        flags_and_canvas = data[body + 4 : body + 10]
        if len(flags_and_canvas) < 6:
            raise IndexError
        w = int.from_bytes(flags_and_canvas[0:3], "little") + 1
        h = int.from_bytes(flags_and_canvas[3:6], "little") + 1
        return w, h
    if fourcc == b"VP8 ":
        if data[body + 3 : body + 6] != b"\x9d\x01\x2a":
            raise damaged("the WebP image data is not valid")
        w, h = struct.unpack_from("<HH", data, body + 6)
        return w & 0x3FFF, h & 0x3FFF
    if fourcc == b"VP8L":
        if data[body] != 0x2F:
            raise damaged("the WebP image data is not valid")
        bits = struct.unpack_from("<I", data, body + 1)[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise damaged("the WebP header is missing")


def _scan_webp(data: bytes, limits: Limits) -> Header:
    riff_end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    pos, chunks, frames = 12, 0, 0
    size: tuple[int, int] | None = None
    while pos + 8 <= riff_end:
        fourcc, length = struct.unpack_from("<4sI", data, pos)
        chunks += 1
        if chunks > _MAX_WEBP_CHUNKS:
            raise damaged("too many WebP chunks")
        if size is None:
            size = _webp_size(fourcc, data, pos + 8)
            check_size(size[0], size[1], limits)
        elif fourcc == b"ANMF":
            frames += 1
            check_frames(frames, frames * size[0] * size[1], limits, at_least=True)
        pos += 8 + length + (length & 1)
    if size is None:
        raise damaged("the WebP header is missing")
    return Header("WEBP", size[0], size[1], max(1, frames))


def _scan_tiff(data: bytes, limits: Limits) -> Header:
    width, height, pages = scan_tiff(data, limits)
    return Header("TIFF", width, height, pages)


def _scan_isobmff(data: bytes, limits: Limits) -> Header:
    fmt, width, height = scan_isobmff(data, limits)
    return Header(fmt, width, height, 1)


_SCANNERS = {
    "JPEG": _scan_jpeg,
    "PNG": _scan_png,
    "GIF": _scan_gif,
    "WEBP": _scan_webp,
    "TIFF": _scan_tiff,
    "ISOBMFF": _scan_isobmff,
}
