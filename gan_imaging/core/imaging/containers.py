"""Pre-scan of the two container formats: TIFF (IFD chains) and ISOBMFF (AVIF, HEIC).

Pillow walks a TIFF's whole IFD chain in Python for ``n_frames`` and builds one tile per strip
offset; libtiff allocates one buffer per tile from the header's tile size. These scanners
bound all three before Pillow or libtiff sees the file, and refuse TIFF compressions outside a
short list that product photos use (old-style JPEG, JBIG, CCITT and friends are where libtiff's
CVEs cluster). For ISOBMFF they tell AVIF from HEIC by brand and read the ``ispe`` sizes;
:func:`metadata_items` finds the Exif and XMP items of an ISOBMFF file (for ``privacy``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from gan_imaging.core.errors import UnsupportedFormatError, gettext_noop
from gan_imaging.core.imaging.policy import (
    Limits,
    allowed_names,
    check_frames,
    check_size,
    damaged,
)

_MAX_TIFF_TAGS = 1024  # entries in one IFD; Photoshop and scanners write under 100
_MAX_TIFF_BLOCKS = 100_000  # strips or tiles; one strip per row of a 20,000 px photo is legal
#: TIFF compressions accepted: none, LZW, JPEG, Adobe Deflate, PackBits, Deflate.
TIFF_COMPRESSIONS = frozenset({1, 5, 7, 8, 32773, 32946})
_MAX_BOXES = 10_000  # ISOBMFF boxes in all
_MAX_ITEM_STEPS = 100_000  # iloc items + extents

_TAG_WIDTH, _TAG_HEIGHT, _TAG_COMPRESSION = 256, 257, 259
_TAG_STRIPS, _TAG_TILE_W, _TAG_TILE_H, _TAG_TILES = 273, 322, 323, 324

_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


def _ifd0_tags(data: bytes, entries: int, at: int, big: bool, bo: str) -> dict[int, tuple]:
    """(count, first value or None) of the IFD0 tags we check, for SHORT/LONG/LONG8 values."""
    size = 20 if big else 12
    tags: dict[int, tuple] = {}
    wanted = (_TAG_WIDTH, _TAG_HEIGHT, _TAG_COMPRESSION, _TAG_STRIPS, _TAG_TILE_W, _TAG_TILE_H)
    for i in range(entries):
        pos = at + i * size
        tag, typ = struct.unpack_from(bo + "HH", data, pos)
        if tag not in wanted and tag != _TAG_TILES:
            continue
        count = struct.unpack_from(bo + ("Q" if big else "I"), data, pos + 4)[0]
        value_at = pos + (12 if big else 8)
        value = None
        if typ == 3:
            value = struct.unpack_from(bo + "H", data, value_at)[0]
        elif typ == 4:
            value = struct.unpack_from(bo + "I", data, value_at)[0]
        elif typ == 16 and big:
            value = struct.unpack_from(bo + "Q", data, value_at)[0]
        tags[tag] = (count, value)
    return tags


def _check_ifd0(tags: dict[int, tuple], limits: Limits) -> tuple[int, int]:
    width, height = tags.get(_TAG_WIDTH, (0, None))[1], tags.get(_TAG_HEIGHT, (0, None))[1]
    if width is None or height is None:
        raise damaged("the TIFF has no image size")
    check_size(width, height, limits)
    compression = tags.get(_TAG_COMPRESSION, (1, 1))[1]
    if compression not in TIFF_COMPRESSIONS:
        raise UnsupportedFormatError(
            gettext_noop(
                "This TIFF uses a compression method we do not accept (code %(code)s). "
                "Please save it as a TIFF with LZW, ZIP or no compression, or as JPEG or PNG."
            ),
            params={"code": compression},
        )
    tile_w, tile_h = tags.get(_TAG_TILE_W, (0, 0))[1], tags.get(_TAG_TILE_H, (0, 0))[1]
    # libtiff allocates a whole tile per read; a 1 × 1 image may not declare 65535² tiles.
    if tile_w is not None and tile_h is not None and tile_w * tile_h > limits.max_pixels:
        raise damaged("the TIFF tiles are larger than the size limit")
    blocks = max(tags.get(_TAG_STRIPS, (0,))[0], tags.get(_TAG_TILES, (0,))[0])
    if blocks > _MAX_TIFF_BLOCKS:
        raise damaged("the TIFF has too many strips or tiles")
    return width, height


def scan_tiff(data: bytes, limits: Limits) -> tuple[int, int, int]:
    """Return (width px, height px, pages) of a classic or Big TIFF, walking the IFD chain."""
    bo = "<" if data[:2] == b"II" else ">"
    big = struct.unpack_from(bo + "H", data, 2)[0] == 43
    if big:
        offset = struct.unpack_from(bo + "Q", data, 8)[0]
    else:
        offset = struct.unpack_from(bo + "I", data, 4)[0]
    count_fmt, entry_size, next_fmt = ("Q", 20, "Q") if big else ("H", 12, "I")
    count_size = struct.calcsize(count_fmt)
    seen: set[int] = set()
    pages, size = 0, (0, 0)
    while offset:
        if offset in seen:
            raise damaged("the TIFF page list loops")
        seen.add(offset)
        entries = struct.unpack_from(bo + count_fmt, data, offset)[0]
        if entries == 0 or entries > _MAX_TIFF_TAGS:
            raise damaged("a TIFF page has an impossible number of fields")
        first_entry = offset + count_size
        if pages == 0:
            size = _check_ifd0(_ifd0_tags(data, entries, first_entry, big, bo), limits)
        pages += 1
        check_frames(pages, 0, limits, at_least=True)
        offset = struct.unpack_from(bo + next_fmt, data, first_entry + entries * entry_size)[0]
    if pages == 0:
        raise damaged("the TIFF has no pages")
    return size[0], size[1], pages


def _boxes(data: bytes, start: int, end: int, budget: list[int]) -> Iterator[tuple]:
    """Yield (type, body start, box end) of the ISOBMFF boxes in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise damaged("the file ends too early")
        budget[0] -= 1
        if budget[0] < 0:
            raise damaged("too many boxes in the file")
        yield kind, pos + header, pos + size
        pos += size


def _ispe_sizes(data: bytes, start: int, end: int, budget: list[int]) -> Iterator[tuple]:
    for kind, body, stop in _boxes(data, start, end, budget):
        if kind == b"meta":
            yield from _ispe_sizes(data, body + 4, stop, budget)  # full box: skip version/flags
        elif kind in (b"iprp", b"ipco"):
            yield from _ispe_sizes(data, body, stop, budget)
        elif kind == b"ispe":
            yield struct.unpack_from(">II", data, body + 4)


def scan_isobmff(data: bytes, limits: Limits) -> tuple[str, int | None, int | None]:
    """Return ("AVIF" or "HEIF", width px, height px) of the largest declared image item.

    Sizes are ``None`` when no ``ispe`` box is present; libavif then reports the size to
    Pillow at open, before any pixel is decoded, and the caller checks it there.
    """
    ftyp_size = struct.unpack_from(">I", data, 0)[0]
    if ftyp_size < 16 or ftyp_size > len(data) or ftyp_size > 4096:
        raise damaged("the file header is not valid")
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, ftyp_size - 3, 4)}
    if brands & _AVIF_BRANDS:
        fmt = "AVIF"
    elif brands & _HEIF_BRANDS:
        fmt = "HEIF"
    else:
        raise UnsupportedFormatError(
            gettext_noop(
                "This file is a video or another media container, not a photo. "
                "Please upload a %(allowed)s image."
            ),
            params={"allowed": allowed_names(limits)},
        )
    budget = [_MAX_BOXES]
    sizes = list(_ispe_sizes(data, 0, len(data), budget))
    if not sizes:
        return fmt, None, None
    width, height = max(sizes, key=lambda wh: wh[0] * wh[1])
    check_size(width, height, limits)
    return fmt, width, height


def metadata_items(data: bytes) -> list[tuple[str, list[tuple[int, int]]]]:
    """("exif" or "xmp", file ranges (start, stop) of its data) of each Exif and XMP item an
    ISOBMFF file's top-level ``meta`` box declares, in ``iinf`` order; [] when it has no
    ``meta``, ``iinf`` or ``iloc`` box. An item that ``iloc`` cannot place in the file (another
    construction method, an extent outside the file) has no ranges. Raises
    :class:`~gan_imaging.core.errors.CorruptImageError` when a box does not fit."""
    budget = [_MAX_BOXES]
    meta = next((b for b in _boxes(data, 0, len(data), budget) if b[0] == b"meta"), None)
    inner: dict[bytes, tuple[int, int]] = {}
    for kind, body, stop in _boxes(data, meta[1] + 4, meta[2], budget) if meta else ():
        inner.setdefault(kind, (body, stop))
    if b"iinf" not in inner or b"iloc" not in inner:
        return []
    items = _item_kinds(data, *inner[b"iinf"], budget)
    extents = _item_extents(data, *inner[b"iloc"], inner.get(b"idat"))
    return [(what, extents.get(item_id, [])) for item_id, what in items.items()]


def _item_kinds(data: bytes, body: int, stop: int, budget: list[int]) -> dict[int, str]:
    """item ID → "exif" or "xmp" from an ``iinf`` box (``infe`` versions 2 and 3)."""
    first = body + 4 + (2 if data[body] == 0 else 4)
    items: dict[int, str] = {}
    for kind, at, end in _boxes(data, first, stop, budget):
        version = data[at] if kind == b"infe" and at < end else 0
        if version not in (2, 3) or end - at < (12 if version == 2 else 14):
            continue
        item_id = int.from_bytes(data[at + 4 : at + (6 if version == 2 else 8)], "big")
        typ_at = at + (8 if version == 2 else 10)
        item_type = data[typ_at : typ_at + 4]
        name_end = data.find(b"\0", typ_at + 4, end)
        content_type = data[name_end + 1 : end].split(b"\0", 1)[0] if name_end >= 0 else b""
        if item_type == b"Exif":
            items[item_id] = "exif"
        elif item_type == b"mime" and content_type.strip() == b"application/rdf+xml":
            items[item_id] = "xmp"
    return items


def _item_extents(
    data: bytes, body: int, stop: int, idat: tuple[int, int] | None
) -> dict[int, list[tuple[int, int]]]:
    """item ID → [(start, stop)] file ranges from an ``iloc`` box (construction methods 0
    and 1); items with another method or an extent outside the file are left out."""
    version, p = data[body], body + 4
    if version > 2 or p + 2 > stop:
        return {}
    off_size, len_size = data[p] >> 4, data[p] & 15
    base_size, idx_size = data[p + 1] >> 4, (data[p + 1] & 15 if version else 0)
    p += 2

    def read(size: int) -> int:
        nonlocal p
        p += size
        return int.from_bytes(data[p - size : p], "big")

    id_size, steps = (2 if version < 2 else 4), 0
    out: dict[int, list[tuple[int, int]]] = {}
    for _ in range(read(id_size)):
        item_id = read(id_size)
        method = read(2) & 15 if version else 0
        p += 2  # data_reference_index
        origin = read(base_size)
        ranges = []
        for _ in range(read(2)):
            p += idx_size
            start = origin + read(off_size)
            ranges.append((start, start + read(len_size)))
            steps += 1
            if p > stop or steps > _MAX_ITEM_STEPS:
                return out
        steps += 1
        if p > stop or steps > _MAX_ITEM_STEPS:
            break
        if method == 0:
            low, high = 0, len(data)
        elif method == 1 and idat:  # offsets into the idat box
            low, high = idat
            ranges = [(low + a, low + b) for a, b in ranges]
        else:
            continue
        if ranges and all(low <= a < b <= high for a, b in ranges):
            out[item_id] = ranges
    return out
