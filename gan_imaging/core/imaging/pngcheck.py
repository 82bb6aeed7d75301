"""Upload-time check of a PNG's pixel stream without building the image.

``validate()`` runs in the web request, where a full Pillow ``load()`` of a 50 MP RGBA PNG
would allocate 200 MB and unfilter every row. Everything in a PNG's pixel stream that can fail
to decode is checked here instead: the IDAT run inflates without a zlib error, yields at least
the bytes the header promises (Adam7 passes included), and every row starts with a valid
filter type. That is what Pillow's decoder rejects too (it does not check IDAT CRCs or bytes
past the image), so a PNG that passes here also decodes in the worker. Memory stays at about
1 MB: the stream is inflated in 1 MB steps and discarded.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from gan_imaging.core.imaging.policy import damaged

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by PNG colour type
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)  # (x0, y0, dx, dy) of each pass
_STEP = 1 << 20


def _row_lengths(width: int, height: int, bits: int, interlaced: bool) -> list[tuple[int, int]]:
    """(bytes per row including the filter byte, rows) for each pass of the image."""

    def row(w: int) -> int:
        return 1 + (w * bits + 7) // 8

    if not interlaced:
        return [(row(width), height)]
    passes = []
    for x0, y0, dx, dy in _ADAM7:
        pw, ph = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if pw > 0 and ph > 0:
            passes.append((row(pw), ph))
    return passes


def _filter_offsets(rows: list[tuple[int, int]]) -> Iterator[int]:
    """Offsets in the inflated stream where each row's filter-type byte sits."""
    base = 0
    for length, count in rows:
        for k in range(count):
            yield base + length * k
        base += length * count


def _idat_run(data: bytes) -> Iterator[memoryview]:
    """The payloads of the first run of consecutive IDAT chunks, as Pillow reads them."""
    view, pos, started = memoryview(data), 8, False
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"IDAT":
            started = True
            yield view[pos + 8 : pos + 8 + length]
        elif started:
            return
        pos += 12 + length


def verify_png_pixels(data: bytes) -> None:
    """Raise ``CorruptImageError`` unless the PNG's pixel stream would decode.

    ``data`` has passed the header scan (IHDR present, chunk lengths inside the file).
    """
    width, height, depth, colour, _, _, interlace = struct.unpack_from(">IIBBBBB", data, 16)
    if colour not in _CHANNELS:
        raise damaged("the PNG colour type is not valid")
    rows = _row_lengths(width, height, depth * _CHANNELS[colour], interlace == 1)
    starts = _filter_offsets(rows)
    expected = sum(r * n for r, n in rows)
    next_start = next(starts, None)
    inflater, produced = zlib.decompressobj(), 0
    try:
        for payload in _idat_run(data):
            pending: bytes | memoryview = payload
            while pending and produced < expected:
                out = inflater.decompress(pending, _STEP)
                pending = inflater.unconsumed_tail
                end = produced + len(out)
                while next_start is not None and next_start < end:
                    if out[next_start - produced] > 4:
                        raise damaged("a PNG row has an unknown filter type")
                    next_start = next(starts, None)
                produced = end
                if inflater.eof:
                    break
            if produced >= expected or inflater.eof:
                break
    except zlib.error as exc:
        raise damaged("the PNG image data is corrupt") from exc
    if produced < expected:
        raise damaged("the PNG image data is incomplete")
