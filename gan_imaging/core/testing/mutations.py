"""Seed images made in code and the format-aware mutations the hostile corpus applies to them.

Every function is deterministic for a given ``random.Random``; nothing is read from disk.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

from gan_imaging.core.imaging.headers import identify
from gan_imaging.core.testing.builders import png_bytes


def pattern(width: int = 40, height: int = 30) -> Image.Image:
    """An asymmetric RGB test card: gradients plus a red square top-left, blue bottom-right."""
    y, x = np.mgrid[0:height, 0:width]
    arr = np.stack(
        [x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) * 3 % 256], -1
    ).astype(np.uint8)
    arr[: height // 4, : width // 4] = (255, 0, 0)
    arr[-height // 4 :, -width // 4 :] = (0, 0, 255)
    return Image.fromarray(arr, "RGB")


def save_as(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def seeds() -> list[tuple[str, bytes, str]]:
    """(name, bytes, filename) of small valid files covering every allowed format and mode."""
    im = pattern()
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(im.size))
    pal = im.quantize(16)
    pal.info["transparency"] = 0
    frames = [pattern(), pattern().transpose(Image.Transpose.ROTATE_180), pattern().convert("L")]
    exif = Image.Exif()
    exif[0x0112] = 6
    ramp = (np.arange(40 * 30, dtype=np.uint32) * 54 % 65536).reshape(30, 40)
    anim = {"save_all": True, "append_images": frames[1:]}
    out = [
        ("jpeg", save_as(im, "JPEG", quality=85), "seed.jpg"),
        ("jpeg_progressive", save_as(im, "JPEG", progressive=True), "seed.jpg"),
        ("jpeg_exif", save_as(im, "JPEG", exif=exif.tobytes()), "seed.jpeg"),
        ("jpeg_cmyk", save_as(im.convert("CMYK"), "JPEG"), "seed.jpg"),
        ("png_rgb", save_as(im, "PNG"), "seed.png"),
        ("png_rgba", save_as(rgba, "PNG"), "seed.png"),
        ("png_palette_trns", save_as(pal, "PNG"), "seed.png"),
        ("png_16bit", png_bytes(ramp, colour_type=0, bit_depth=16), "seed.png"),
        ("png_apng", save_as(frames[0], "PNG", save_all=True, append_images=frames[1:2]), "a.png"),
        ("gif", save_as(im, "GIF"), "seed.gif"),
        ("gif_animated", save_as(frames[0], "GIF", **anim), "a.gif"),
        ("webp", save_as(im, "WEBP", quality=80), "seed.webp"),
        ("webp_lossless_rgba", save_as(rgba, "WEBP", lossless=True), "seed.webp"),
        ("webp_animated", save_as(frames[0], "WEBP", **anim), "a.webp"),
        ("avif", save_as(im, "AVIF", quality=60, speed=8), "seed.avif"),
        ("tiff", save_as(im, "TIFF"), "seed.tif"),
        ("tiff_lzw", save_as(rgba, "TIFF", compression="tiff_lzw"), "seed.tiff"),
        ("tiff_jpeg", save_as(im, "TIFF", compression="jpeg"), "seed.tif"),
        ("tiff_pages", save_as(frames[0], "TIFF", **anim), "p.tif"),
    ]
    return out


# ---------------------------------------------------------------- structure


_SEED_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "TIFF": "tiff"}


def fmt_of(data: bytes) -> str:
    """Short format key of a seed's bytes (``jpeg``, ``png``, ``gif``, ``webp``, ``tiff``,
    ``avif``: ISOBMFF, and anything :func:`~gan_imaging.core.imaging.headers.identify` does not
    know)."""
    return _SEED_FORMATS.get(identify(data[:16]) or "", "avif")


def units(data: bytes) -> list[tuple[int, int, int, int, str]]:
    """Structural units as (start, end, length-field offset, its size, byte order ``>``/``<``).

    PNG chunks, JPEG segments before the scan, RIFF chunks, ISOBMFF boxes (top level and
    inside ``meta``), TIFF IFD0 entries (the count field), GIF data sub-blocks.
    """
    out: list[tuple[int, int, int, int, str]] = []
    fmt, n = fmt_of(data), len(data)
    try:
        if fmt == "png":
            pos = 8
            while pos + 12 <= n:
                length = struct.unpack_from(">I", data, pos)[0]
                out.append((pos, pos + 12 + length, pos, 4, ">"))
                pos += 12 + length
        elif fmt == "jpeg":
            pos = 2
            while pos + 4 <= n and data[pos] == 0xFF and data[pos + 1] != 0xDA:
                length = struct.unpack_from(">H", data, pos + 2)[0]
                out.append((pos, pos + 2 + length, pos + 2, 2, ">"))
                pos += 2 + length
        elif fmt == "webp":
            pos = 12
            while pos + 8 <= n:
                length = struct.unpack_from("<I", data, pos + 4)[0]
                out.append((pos, pos + 8 + length + (length & 1), pos + 4, 4, "<"))
                pos += 8 + length + (length & 1)
        elif fmt == "avif":
            stack = [(0, n)]
            while stack:
                pos, end = stack.pop()
                while pos + 8 <= end:
                    size, kind = struct.unpack_from(">I4s", data, pos)
                    if size < 8:
                        break
                    out.append((pos, pos + size, pos, 4, ">"))
                    if kind == b"meta":
                        stack.append((pos + 12, pos + size))
                    elif kind in (b"iprp", b"ipco"):
                        stack.append((pos + 8, pos + size))
                    pos += size
        elif fmt == "tiff":
            bo = "<" if data[:2] == b"II" else ">"
            ifd = struct.unpack_from(bo + "I", data, 4)[0]
            count = struct.unpack_from(bo + "H", data, ifd)[0]
            for i in range(count):
                at = ifd + 2 + 12 * i
                out.append((at, at + 12, at + 4, 4, bo))
        elif fmt == "gif":
            pos = data.find(b"\x2c", 13)  # first image descriptor, good enough for a seed
            pos = pos + 11 if pos > 0 else n
            while 0 < pos < n and data[pos]:
                out.append((pos, pos + 1 + data[pos], pos, 1, ">"))
                pos += 1 + data[pos]
    except struct.error:
        pass
    return [u for u in out if u[1] <= n]


def fix_png_crcs(data: bytes) -> bytes:
    """Recompute every PNG chunk CRC, so a mutation reaches the decoder instead of the CRC."""
    buf, pos = bytearray(data), 8
    while pos + 12 <= len(buf):
        length = struct.unpack_from(">I", buf, pos)[0]
        end = pos + 8 + length
        if end + 4 > len(buf):
            break
        struct.pack_into(">I", buf, end, zlib.crc32(bytes(buf[pos + 4 : end])))
        pos = end + 4
    return bytes(buf)


# ---------------------------------------------------------------- mutations

_SIZES = (0, 1, 2, 7, 255, 256, 4096, 20_001, 32_768, 65_535, 65_536, 2**24 - 1, 2**31, 2**32 - 1)


def _pos(rng: random.Random, data: bytes) -> int:
    # Half the edits land in the first 256 bytes, where the parsers make their decisions.
    return rng.randrange(min(len(data), 256) if rng.random() < 0.5 else len(data))


def bit_flip(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[_pos(rng, data)] ^= 1 << rng.randrange(8)
    return bytes(buf)


def byte_run(rng: random.Random, data: bytes) -> bytes:
    buf, at = bytearray(data), _pos(rng, data)
    length = rng.randint(1, 64)
    fill = rng.choice((b"\x00", b"\xff", None))
    run = fill * length if fill else rng.randbytes(length)
    buf[at : at + length] = run[: len(buf) - at]
    return bytes(buf)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def duplicate_unit(rng: random.Random, data: bytes) -> bytes:
    found = units(data)
    if found:
        start, end, *_ = rng.choice(found)
    else:
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 256))
    copies = rng.choice((1, 1, 2, 50))
    return data[:end] + data[start:end] * copies + data[end:]


def edit_length(rng: random.Random, data: bytes) -> bytes:
    found = units(data)
    if not found:
        return bit_flip(rng, data)
    _, _, at, size, bo = rng.choice(found)
    buf = bytearray(data)
    old = int.from_bytes(buf[at : at + size], "big" if bo == ">" else "little")
    top = 2 ** (8 * size)
    new = rng.choice((0, 1, old - 1, old + 1, old * 2, top - 1, rng.getrandbits(8 * size)))
    buf[at : at + size] = (new % top).to_bytes(size, "big" if bo == ">" else "little")
    return bytes(buf)


def edit_header(rng: random.Random, data: bytes) -> bytes:
    """Set a width/height (or, for TIFF, any IFD0 value) field to an extreme value."""
    fmt, buf = fmt_of(data), bytearray(data)
    value = rng.choice(_SIZES) if rng.random() < 0.8 else rng.getrandbits(16)
    if fmt == "png":
        struct.pack_into(">I", buf, rng.choice((16, 20)), value % 2**32)
    elif fmt == "jpeg":
        sof = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
        if sof > 0:
            struct.pack_into(">H", buf, sof + 5 + rng.choice((0, 2)), value % 2**16)
    elif fmt == "gif":
        struct.pack_into("<H", buf, rng.choice((6, 8)), value % 2**16)
    elif fmt == "webp":
        struct.pack_into("<H", buf, rng.choice((26, 28)) if len(buf) > 30 else 0, value % 2**16)
    elif fmt == "avif":
        at = data.find(b"ispe")
        if at > 0:
            struct.pack_into(">I", buf, at + 8 + rng.choice((0, 4)), value % 2**32)
    elif fmt == "tiff":
        found = units(data)
        if found:
            start = rng.choice(found)[0]
            bo = "<" if data[:2] == b"II" else ">"
            struct.pack_into(bo + "I", buf, start + 8, value % 2**32)
    return bytes(buf)


def append_garbage(rng: random.Random, data: bytes) -> bytes:
    tail = rng.choice(
        (
            rng.randbytes(rng.randint(1, 4096)),
            b"<html><script>alert(1)</script>",
            data,
            b"\x00" * 1000,
        )
    )
    return data + tail


STRATEGIES: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "bitflip": bit_flip,
    "byterun": byte_run,
    "truncate": truncate,
    "dupchunk": duplicate_unit,
    "length": edit_length,
    "header": edit_header,
    "append": append_garbage,
}
