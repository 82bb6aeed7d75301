"""Byte-level builders for test images Pillow cannot write: 16-bit and crafted PNGs, and ICC
profiles (Adobe RGB, Display P3, a CMYK press-like profile) that LittleCMS reads.

Pillow's ``ImageCms.createProfile`` only makes sRGB, LAB and XYZ, and no ICC file ships in the
environment, so the profiles are assembled here from the published primaries: a v2
matrix/TRC profile for RGB spaces and a ``lut16`` A2B0 table for CMYK.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

# D50-adapted (Bradford) colorants, the values an ICC v2 matrix/TRC profile stores.
ADOBE_RGB_D50 = (
    (0.60974, 0.31111, 0.01947),
    (0.20528, 0.62567, 0.06087),
    (0.14919, 0.06322, 0.74457),
)
DISPLAY_P3_D50 = (
    (0.515102, 0.241182, -0.001050),
    (0.291965, 0.692236, 0.041882),
    (0.157153, 0.066582, 0.784378),
)
SRGB_D50 = (
    (0.436066, 0.222488, 0.013916),
    (0.385147, 0.716873, 0.097076),
    (0.143066, 0.060608, 0.714096),
)
ADOBE_GAMMA = 563 / 256  # Adobe RGB (1998) stores its 2.2 gamma as u8Fixed8 0x0233
_D50 = (0.9642, 1.0, 0.8249)

#: Ink colours (sRGB) of the synthetic CMYK profile: deliberately unlike Pillow's naive
#: conversion (pure cyan → (0, 255, 255)), so a test can tell the profile was used.
CMYK_INKS = {"C": (0, 160, 230), "M": (230, 0, 126), "Y": (255, 237, 0), "K": (35, 31, 32)}


# ---------------------------------------------------------------- PNG

# The same Adam7 pass table the upload check reads interlaced PNGs with.
from gan_imaging.core.imaging.pngcheck import _ADAM7  # noqa: E402


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC-32 over type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(
    pixels: np.ndarray,
    *,
    colour_type: int,
    bit_depth: int = 8,
    before_idat: Sequence[bytes] = (),
    size: tuple[int, int] | None = None,
    interlace: bool = False,
    level: int = 9,
) -> bytes:
    """A PNG of ``pixels`` (H×W or H×W×C; uint8, or uint16 for ``bit_depth=16``).

    Samples are 8 or 16 bits (no sub-byte packing). ``before_idat``: extra ready-made chunks
    (``png_chunk``) between IHDR and IDAT. ``size`` (width, height px) overrides the header's
    size, to craft lying headers. ``interlace`` writes Adam7 passes; ``level`` is zlib's 0–9.
    """
    arr = np.asarray(pixels)
    height, width = arr.shape[:2]
    w, h = size or (width, height)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, int(interlace))
    passes = [(0, 0, 1, 1)] if not interlace else _ADAM7
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = arr[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        if bit_depth == 16:
            rows = sub.astype(">u2").reshape(sub.shape[0], -1).view(np.uint8)
        else:
            rows = sub.astype(np.uint8).reshape(sub.shape[0], -1)
        raw += np.hstack([np.zeros((sub.shape[0], 1), np.uint8), rows]).tobytes()  # filter 0
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(before_idat)
        + png_chunk(b"IDAT", zlib.compress(raw, level))
        + png_chunk(b"IEND", b"")
    )


def png_iccp(icc: bytes) -> bytes:
    """An ``iCCP`` chunk embedding ``icc``."""
    return png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(icc))


# ---------------------------------------------------------------- ICC


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    body = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
    return body + b"\0" * 8 + b"\0\0\0" + b"\0" * 67  # empty Unicode and ScriptCode parts


def _assemble(device_class: bytes, space: bytes, pcs: bytes, tags: list[tuple]) -> bytes:
    """An ICC v2.1 profile from (signature, body) tags; deterministic (fixed date)."""
    table, blobs, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(blobs), len(body))
        blobs += body
    size = offset + len(blobs)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + b"\x02\x10\x00\x00"
        + device_class
        + space
        + pcs
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _s15(_D50[0])
        + _s15(_D50[1])
        + _s15(_D50[2])
    )
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + blobs


def icc_rgb(name: str, colorants: Sequence[Sequence[float]], *, gamma: float | None) -> bytes:
    """A matrix/TRC RGB display profile; ``gamma=None`` uses the sRGB tone curve."""
    if gamma is None:  # parametric type 3: the sRGB curve
        params = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
        trc = b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in params)
    else:
        trc = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    tags = [
        (b"desc", _desc(name)),
        (b"cprt", b"text\0\0\0\0public domain\0"),
        (b"wtpt", _xyz(*_D50)),
    ]
    tags += [(sig, _xyz(*c)) for sig, c in zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants)]
    tags += [(b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    return _assemble(b"mntr", b"RGB ", b"XYZ ", tags)


def adobe_rgb_icc() -> bytes:
    return icc_rgb("Adobe RGB (1998) test", ADOBE_RGB_D50, gamma=ADOBE_GAMMA)


def display_p3_icc() -> bytes:
    return icc_rgb("Display P3 test", DISPLAY_P3_D50, gamma=None)


def srgb_decode(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded 0–1 → linear 0–1."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    """Linear 0–1 → sRGB-encoded 0–1 (clipped)."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def _xyz_to_lab(xyz: np.ndarray) -> np.ndarray:
    t = xyz / np.array(_D50)
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def cmyk_model(cmyk: np.ndarray) -> np.ndarray:
    """The synthetic press: CMYK 0–1 (…×4) → sRGB 0–1 by multiplying ink transmittances."""
    linear = np.ones(cmyk.shape[:-1] + (3,))
    for i, ink in enumerate("CMYK"):
        ink_lin = srgb_decode(np.array(CMYK_INKS[ink]) / 255.0)
        linear = linear * (1 - cmyk[..., i : i + 1] * (1 - ink_lin))
    return srgb_encode(linear)


def cmyk_icc(grid: int = 9) -> bytes:
    """A CMYK output-class profile whose A2B0 ``lut16`` samples :func:`cmyk_model` to Lab."""
    axis = np.linspace(0.0, 1.0, grid)
    cmyk = np.stack(np.meshgrid(axis, axis, axis, axis, indexing="ij"), -1).reshape(-1, 4)
    rgb_lin = srgb_decode(cmyk_model(cmyk))
    xyz = rgb_lin @ np.array(SRGB_D50)
    lab = _xyz_to_lab(xyz)
    # ICC v2 Lab encoding in lut16: L 0–100 → 0–0xFF00, a/b −128–127.996 → 0–0xFFFF.
    enc = np.stack([lab[:, 0] * 652.80, (lab[:, 1] + 128) * 256, (lab[:, 2] + 128) * 256], -1)
    clut = np.clip(np.rint(enc), 0, 65535).astype(">u2").tobytes()
    identity = struct.pack(">HH", 0, 65535)
    body = (
        b"mft2\0\0\0\0"
        + struct.pack(">BBBB", 4, 3, grid, 0)
        + b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
        + struct.pack(">HH", 2, 2)
        + identity * 4
        + clut
        + identity * 3
    )
    tags = [(b"desc", _desc("Synthetic press CMYK test")), (b"wtpt", _xyz(*_D50)), (b"A2B0", body)]
    return _assemble(b"prtr", b"CMYK", b"Lab ", tags)


def expected_srgb(
    rgb: Sequence[int], colorants: Sequence[Sequence[float]], gamma: float | None
) -> np.ndarray:
    """Reference conversion of 8-bit ``rgb`` in a matrix/TRC space to sRGB 0–255 floats.

    Independent of LittleCMS: tone curve → colorant matrix (XYZ D50) → inverse sRGB matrix →
    sRGB curve, with clipping, as relative colorimetric intent does.
    """
    v = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = srgb_decode(v) if gamma is None else v**gamma
    xyz = linear @ np.array(colorants)
    srgb_lin = xyz @ np.linalg.inv(np.array(SRGB_D50))
    return srgb_encode(srgb_lin) * 255.0
