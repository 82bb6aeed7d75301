"""Hostile-input corpus, generated in code (no binaries in the repository).

``generate(seed, n_mutations)`` yields crafted cases first (decompression and frame bombs,
structure bombs, truncations, polyglots, wrong extensions, refused formats, size edges), then
``n_mutations`` fuzz mutations of small valid seeds. Each :class:`Case` says what the decoder
must do with it:

- ``"refuse"``: ``validate()`` and ``decode()`` must raise an ``InvalidImageError`` subclass;
- ``"accept"``: both must succeed (benign edges: 1 × 1, 10000 × 200, a 49 MP zlib bomb that
  stays inside the caps, a PNG named .jpg, a polyglot whose image part is valid, since
  outputs are re-encoded and never carry the payload);
- ``"accept_or_refuse"``: either, but nothing else may escape and it must finish promptly.

Pure: stdlib, numpy and Pillow. Same arguments → same bytes, in the same order.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from gan_imaging.core.testing.builders import png_bytes, png_chunk
from gan_imaging.core.testing.mutations import (
    STRATEGIES,
    fix_png_crcs,
    fmt_of,
    pattern,
    save_as,
    seeds,
)

EXPECTATIONS = ("refuse", "accept", "accept_or_refuse")


@dataclass(frozen=True)
class Case:
    """One input: a unique ``name``, the file's bytes, the name it is uploaded under, and
    ``expect`` (one of :data:`EXPECTATIONS`)."""

    name: str
    data: bytes
    filename: str
    expect: str


# ---------------------------------------------------------------- GIF by hand

_GIF_PIXEL = b"\x02\x02\x44\x01\x00"  # LZW, minimum code size 2: clear, index 0, end


def gif_frames(
    width: int,
    height: int,
    frames: int,
    *,
    frame_size: tuple[int, int] = (1, 1),
    screen: bytes | None = None,
) -> bytes:
    """A GIF with a ``width`` × ``height`` px canvas and ``frames`` frames of ``frame_size``
    (each 1 px of image data: Pillow still composites every frame on the whole canvas)."""
    head = b"GIF89a" + (screen or struct.pack("<HH", width, height)) + b"\x80\x00\x00"
    head += b"\x00\x00\x00\xff\xff\xff"  # 2-colour global table
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x04\x01\x00\x00\x00"  # graphic control: 10 ms, keep
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, *frame_size, 0)
        + _GIF_PIXEL
    )
    return head + loop + frame * frames + b"\x3b"


# ---------------------------------------------------------------- crafted


def _patch(data: bytes, at: int, fmt: str, *values: int) -> bytes:
    buf = bytearray(data)
    struct.pack_into(fmt, buf, at, *values)
    return bytes(buf)


def _tiff_with_ifd_chain(base: bytes, pages: int, *, loop: bool = False) -> bytes:
    """``base`` (a little-endian single-page TIFF) with IFD0 copied into a chain of
    ``pages`` pages, or with IFD0 pointing back at itself (``loop``)."""
    ifd = struct.unpack_from("<I", base, 4)[0]
    count = struct.unpack_from("<H", base, ifd)[0]
    entries = base[ifd + 2 : ifd + 2 + 12 * count]
    if loop:
        return _patch(base, ifd + 2 + 12 * count, "<I", ifd)
    out = bytearray(base)
    next_at = ifd + 2 + 12 * count
    for _ in range(pages - 1):
        out += b"\0" * (len(out) % 2)
        struct.pack_into("<I", out, next_at, len(out))
        next_at = len(out) + 2 + 12 * count
        out += struct.pack("<H", count) + entries + b"\0\0\0\0"
    return bytes(out)


def _tiff_dims(data: bytes, width: int, height: int) -> bytes:
    ifd = struct.unpack_from("<I", data, 4)[0]
    buf = bytearray(data)
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        at = ifd + 2 + 12 * i
        tag, typ = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):
            value = width if tag == 256 else height
            struct.pack_into("<HHII", buf, at, tag, 4, 1, value)  # as LONG
    return bytes(buf)


def _riff(body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def crafted() -> Iterator[Case]:
    """Hand-built cases with a fixed expectation; the same bytes on every call."""
    im = pattern()
    jpeg, png, webp = save_as(im, "JPEG"), save_as(im, "PNG"), save_as(im, "WEBP")
    avif, tiff = save_as(im, "AVIF", quality=60, speed=8), save_as(im, "TIFF")
    progressive = save_as(im, "JPEG", progressive=True)
    zero = np.zeros((1, 1, 3), np.uint8)
    sof = jpeg.find(b"\xff\xc0")
    ispe = avif.find(b"ispe")
    sos = progressive.find(b"\xff\xda")
    last_scan = progressive[progressive.rfind(b"\xff\xda") : -2]
    refuse = [
        ("bomb/png_ihdr_60000x60000", png_bytes(zero, colour_type=2, size=(60000, 60000)), "a.png"),
        ("bomb/png_header_100mp", png_bytes(zero, colour_type=2, size=(10000, 10000)), "a.png"),
        ("bomb/jpeg_sof_65500x65500", _patch(jpeg, sof + 5, ">HH", 65500, 65500), "a.jpg"),
        ("bomb/gif_2000x2000x300_frames", gif_frames(2000, 2000, 300), "a.gif"),
        ("bomb/gif_5000_frames", gif_frames(8, 8, 5000), "a.gif"),
        (
            "bomb/gif_frame_overhangs_canvas",
            gif_frames(8, 8, 1, frame_size=(60000, 60000)),
            "a.gif",
        ),
        ("bomb/webp_vp8_16383x16383", _patch(webp, 26, "<HH", 16383, 16383), "a.webp"),
        (
            "bomb/webp_vp8x_canvas_2^24",
            webp[:12] + b"VP8X" + struct.pack("<I", 10) + b"\0" * 4 + b"\xff" * 6 + webp[12:],
            "a.webp",
        ),
        ("bomb/avif_ispe_60000x60000", _patch(avif, ispe + 8, ">II", 60000, 60000), "a.avif"),
        ("bomb/tiff_100000x100000", _tiff_dims(tiff, 100_000, 100_000), "a.tif"),
        ("bomb/tiff_1500_pages", _tiff_with_ifd_chain(tiff, 1500), "a.tif"),
        ("bomb/tiff_ifd_loop", _tiff_with_ifd_chain(tiff, 1, loop=True), "a.tif"),
        (
            "bomb/png_apng_2^31_frames",
            png[:33] + png_chunk(b"acTL", struct.pack(">II", 2**31, 0)) + png[33:],
            "a.png",
        ),
        (
            "bomb/png_60000_chunks",
            png[:33] + png_chunk(b"teXt", b"") * 60_000 + png[33:],
            "a.png",
        ),
        ("bomb/jpeg_5000_segments", jpeg[:2] + b"\xff\xfe\x00\x02" * 5000 + jpeg[2:], "a.jpg"),
        ("bomb/jpeg_fill_bytes", jpeg[:2] + b"\xff" * 1_000_000 + jpeg[2:], "a.jpg"),
        ("bomb/webp_120000_chunks", _riff(webp[12:] + b"XXXX\0\0\0\0" * 120_000), "a.webp"),
        ("bomb/jpeg_300_scans", progressive[:-2] + last_scan * 300 + b"\xff\xd9", "a.jpg"),
        ("bomb/gif_junk_bytes", gif_frames(8, 8, 1)[:-1] + b"\x01" * 100_000, "a.gif"),
        ("edge/png_65535x1", png_bytes(np.zeros((1, 65535), np.uint8), colour_type=0), "a.png"),
        ("edge/png_10000x10", png_bytes(np.zeros((10, 10000), np.uint8), colour_type=0), "a.png"),
        # Width "/*" (10799 px) opens a JS comment; a 1 × 1 frame; the trailer closes it.
        ("polyglot/gif_javascript", gif_frames(0, 0, 1, screen=b"/*\x0a\x00")[:-1]
         + b"\x3b*/=alert(1);", "a.gif"),
        ("polyglot/gif_javascript_wide", gif_frames(0, 0, 1, screen=b"/*\x2c\x01")[:-1]
         + b"\x3b*/=alert(1);", "a.gif"),
        ("format/tiff_named_png", tiff, "photo.png"),
        ("format/tiff_ccitt_g4", save_as(im.convert("1"), "TIFF", compression="group4"), "a.tif"),
        (
            "format/svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "a.svg",
        ),
        (
            "format/svg_named_png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.png",
        ),
        ("format/eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "a.eps"),
        ("format/eps_named_jpg", b"\xc5\xd0\xd3\xc6" + b"\0" * 28, "a.jpg"),
        ("format/pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "a.pdf"),
        (
            "format/psd",
            b"8BPS\x00\x01" + b"\0" * 6 + struct.pack(">HIIHH", 3, 10, 10, 8, 3),
            "a.psd",
        ),
        ("format/heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, "a.heic"),
        ("format/bmp", save_as(im, "BMP"), "a.bmp"),
        ("format/html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "a.png"),
        ("format/mp4", b"\0\0\0\x18ftypisom\0\0\0\0isomiso2" + b"\0" * 64, "a.jpg"),
        ("format/zero_bytes", b"", "a.jpg"),
        ("format/random_bytes", random.Random(7).randbytes(4096), "a.jpg"),
        ("truncated/jpeg_half", jpeg[: len(jpeg) // 2], "a.jpg"),
        ("truncated/jpeg_before_scan", jpeg[: sof + 20], "a.jpg"),
        ("truncated/png_half", png[: len(png) // 2], "a.png"),
        ("truncated/webp_half", webp[: len(webp) // 2], "a.webp"),
        ("truncated/avif_half", avif[: len(avif) // 2], "a.avif"),
        ("truncated/tiff_half", tiff[: len(tiff) // 2], "a.tif"),
        ("truncated/gif_half", save_as(im, "GIF")[: len(save_as(im, "GIF")) // 2], "a.gif"),
        ("truncated/progressive_first_scan_only", progressive[: sos + 200], "a.jpg"),
    ]
    for name, data, filename in refuse:
        yield Case(name, data, filename, "refuse")

    accept = [
        ("edge/png_1x1", png_bytes(zero, colour_type=2), "a.png"),
        ("edge/jpeg_1x1", save_as(Image.new("RGB", (1, 1), (9, 99, 199)), "JPEG"), "a.jpg"),
        ("edge/gif_1x1", gif_frames(1, 1, 1), "a.gif"),
        ("edge/webp_1x1", save_as(Image.new("RGB", (1, 1)), "WEBP"), "a.webp"),
        ("edge/png_10000x200", png_bytes(np.zeros((200, 10000), np.uint8), colour_type=0), "a.png"),
        # A zlib bomb inside the caps: a 49 MP grey PNG of ~50 KB. Policy accepts it; the
        # point is that it decodes within the worker's memory limit.
        (
            "bomb/png_49mp_zeros_within_caps",
            png_bytes(np.zeros((7000, 7000), np.uint8), colour_type=0, level=1),
            "a.png",
        ),
        ("format/png_named_jpg", png, "photo.jpg"),
        ("format/jpeg_named_png", jpeg, "photo.png"),
        ("polyglot/png_html_trailer", png + b"<html><script>alert(1)</script></html>", "a.png"),
        ("polyglot/jpeg_zip_trailer", jpeg + b"PK\x03\x04" + b"\0" * 26, "a.jpg"),
    ]
    for name, data, filename in accept:
        yield Case(name, data, filename, "accept")


def mutated(seed: int, n_mutations: int) -> Iterator[Case]:
    """``n_mutations`` fuzz cases: seeds in turn, a random strategy each, PNG CRCs fixed for
    half of the PNG cases so the damage reaches the decoder rather than the checksum."""
    rng = random.Random(seed)
    pool = seeds()
    names = sorted(STRATEGIES)
    for i in range(n_mutations):
        seed_name, data, filename = pool[i % len(pool)]
        strategy = names[rng.randrange(len(names))]
        out = STRATEGIES[strategy](rng, data)
        if fmt_of(data) == "png" and rng.random() < 0.5:
            out = fix_png_crcs(out)
        yield Case(f"fuzz/{seed_name}/{strategy}/{i:05d}", out, filename, "accept_or_refuse")


def generate(seed: int = 0, n_mutations: int = 1000) -> Iterator[Case]:
    """All crafted cases, then ``n_mutations`` mutations drawn with ``seed``."""
    yield from crafted()
    yield from mutated(seed, n_mutations)
