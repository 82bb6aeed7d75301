"""strip_private_metadata: GPS, identity tags, XMP and IPTC go; pixels and the rest stay."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from gan_imaging.core.imaging.privacy import private_metadata, strip_private_metadata
from gan_imaging.core.testing.builders import adobe_rgb_icc
from tests.core.imaging.helpers import quadrant_card, save

SECRETS = (b"SN-0042", b"LENS-77", b"Jane Doe", b"VENDORBLOB", b"LeakCity", b"Paris")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
    b' photoshop:City="LeakCity"/></rdf:RDF></x:xmpmeta>'
)
PRIVATE = {0xA431, 0xA435, 0x927C}
EVERYTHING = ("gps", "owner", "serial_numbers", "maker_note", "xmp")


def _exif(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112], exif[0x010F], exif[0x0110] = orientation, "PhoneCo", "Pocket 9"
    exif[0x013B] = "Jane Doe"  # Artist, in IFD0
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    exif.get_ifd(0x8769).update(
        {
            0x9003: "2024:05:01 10:00:00",  # DateTimeOriginal
            0x829A: (1, 125),  # ExposureTime
            0xA431: "SN-0042",
            0xA435: "LENS-77",
            0x927C: b"VENDORBLOB" * 8,
        }
    )
    return exif.tobytes()


def _photo() -> Image.Image:
    return Image.fromarray(quadrant_card(48, 32))


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _check_stripped(data: bytes, expected: tuple[str, ...]) -> bytes:
    """Strip ``data``; check what was found/removed, the bytes, the pixels and idempotence."""
    assert [s for s in SECRETS if s in data]  # the source really carries secrets
    assert private_metadata(data) == expected
    result = strip_private_metadata(data)
    assert result.removed == expected
    out = result.data
    assert [s for s in SECRETS if s in out] == []
    assert private_metadata(out) == ()
    again = strip_private_metadata(out)
    assert again.data is out and again.removed == ()
    assert np.array_equal(_pixels(out), _pixels(data))
    return out


def _check_exif(out: bytes, source: bytes) -> None:
    """No GPS, blank identity tags; every other tag as in ``source``."""
    with Image.open(io.BytesIO(out)) as im, Image.open(io.BytesIO(source)) as before:
        exif, original = im.getexif(), before.getexif()
    assert dict(exif.get_ifd(0x8825)) == {} and dict(original.get_ifd(0x8825)) != {}
    assert (exif[0x010F], exif[0x0110]) == ("PhoneCo", "Pocket 9")
    assert exif.get(0x0112) == original.get(0x0112)
    assert exif.get(0x013B, "").strip("\0") == "" and original[0x013B] == "Jane Doe"
    sub, original_sub = exif.get_ifd(0x8769), original.get_ifd(0x8769)
    assert {t: v for t, v in sub.items() if t not in PRIVATE} == {
        t: v for t, v in original_sub.items() if t not in PRIVATE
    }
    assert sub[0x9003] == "2024:05:01 10:00:00"
    assert sub.get(0xA431, "").strip("\0") == sub.get(0xA435, "").strip("\0") == ""
    assert set(sub.get(0x927C, b"")) <= {0}


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _sos(data: bytes) -> int:
    """Offset of the SOS marker, found by walking the segments."""
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos


def _tagged_jpeg() -> bytes:
    data = save(_photo(), "JPEG", exif=_exif(), xmp=XMP, icc_profile=adobe_rgb_icc(),
                comment=b"kept comment", quality=90)
    iptc = b"\x1c\x02\x5a\x00\x05Paris"  # IPTC City
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\0"
    return data[:2] + _segment(0xED, b"Photoshop 3.0\0" + irb) + data[2:]


def test_jpeg_keeps_entropy_coded_data_icc_comment_and_ordinary_exif():
    data = _tagged_jpeg()
    out = _check_stripped(data, (*EVERYTHING, "iptc"))
    assert out[_sos(out) :] == data[_sos(data) :]  # SOS to EOI, byte for byte
    _check_exif(out, data)
    with Image.open(io.BytesIO(out)) as im, Image.open(io.BytesIO(data)) as before:
        assert im.info["icc_profile"] == before.info["icc_profile"] == adobe_rgb_icc()
        assert im.info["comment"] == b"kept comment" and "xmp" not in im.info
        assert im.info["jfif"] == before.info["jfif"]
    # The EXIF segment kept its length: only the XMP and Photoshop segments were dropped.
    assert b"Exif\0\0" in out and b"http://ns.adobe.com/xap" not in out
    assert b"Photoshop 3.0" not in out


def test_jpeg_extended_xmp_segment_is_dropped():
    data = save(_photo(), "JPEG", quality=90)
    ext = _segment(0xE1, b"http://ns.adobe.com/xmp/extension/\0" + b"0" * 40 + b"Paris")
    tagged = data[:2] + ext + data[2:]
    result = strip_private_metadata(tagged)
    assert result.removed == ("xmp",) and result.data == data


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        chunks.append((kind, body, int.from_bytes(data[pos + 8 + length : pos + 12 + length])))
        pos += 12 + length
    return chunks


def test_png_exif_cleaned_with_valid_crc_and_xmp_text_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Raw profile type exif", "\nexif\n      6\n457869660000\n")
    info.add_text("Comment", "kept")
    data = save(_photo(), "PNG", exif=_exif(), pnginfo=info, icc_profile=adobe_rgb_icc())
    out = _check_stripped(data, (*EVERYTHING, "exif_profile"))
    _check_exif(out, data)
    chunks = _png_chunks(out)
    assert all(zlib.crc32(kind + body) == crc for kind, body, crc in chunks)
    kinds = [kind for kind, _, _ in chunks]
    assert kinds.count(b"eXIf") == 1 and kinds.count(b"iTXt") == 0
    assert kinds.count(b"tEXt") == 1 and kinds.count(b"iCCP") == 1
    before = {kind: body for kind, body, _ in _png_chunks(data)}
    after = {kind: body for kind, body, _ in chunks}
    assert len(after[b"eXIf"]) == len(before[b"eXIf"])  # blanked in place
    assert (after[b"IDAT"], after[b"iCCP"]) == (before[b"IDAT"], before[b"iCCP"])


def test_webp_exif_cleaned_xmp_dropped_and_header_fixed():
    data = save(_photo(), "WEBP", exif=_exif(), xmp=XMP, icc_profile=adobe_rgb_icc())
    assert data[20] & 0x0C == 0x0C  # VP8X says: EXIF and XMP
    out = _check_stripped(data, EVERYTHING)
    _check_exif(out, data)
    assert b"XMP " not in out and int.from_bytes(out[4:8], "little") == len(out) - 8
    assert out[20] == data[20] & ~0x04  # XMP flag cleared; ICC, EXIF flags kept
    with Image.open(io.BytesIO(out)) as im:
        assert im.info["icc_profile"] == adobe_rgb_icc() and "xmp" not in im.info


def test_tiff_blanked_in_place():
    exif = Image.Exif()
    exif.load(_exif())
    exif[700] = XMP  # TIFF files keep XMP in IFD0
    data = save(_photo(), "TIFF", exif=exif.tobytes())
    out = _check_stripped(data, EVERYTHING)
    assert len(out) == len(data)
    _check_exif(out, data)
    with Image.open(io.BytesIO(out)) as im:
        assert set(im.info["xmp"]) == {0} and len(im.info["xmp"]) == len(XMP)


def test_avif_exif_item_blanked_and_xmp_overwritten():
    data = save(_photo(), "AVIF", exif=_exif(), xmp=XMP, quality=90)
    out = _check_stripped(data, EVERYTHING)
    assert len(out) == len(data)
    _check_exif(out, data)
    with Image.open(io.BytesIO(out)) as im:
        assert im.info["xmp"].strip() == b"" and len(im.info["xmp"]) == len(XMP)


def _gif_with_xmp() -> tuple[bytes, bytes]:
    data = save(_photo().convert("P"), "GIF")
    at = 13 + 3 * 2 ** ((data[10] & 7) + 1) * (data[10] >> 7)
    magic = bytes([1, *range(255, -1, -1), 0])  # XMP's trailer: sub-blocks end right after
    return data[:at] + b"\x21\xff\x0bXMP DataXMP" + XMP + magic + data[at:], data


def test_gif_xmp_application_extension_dropped():
    tagged, plain = _gif_with_xmp()
    with Image.open(io.BytesIO(tagged)) as im:
        assert im.info["extension"][0].startswith(b"XMP DataXMP")
    out = _check_stripped(tagged, ("xmp",))
    assert out == plain
    with Image.open(io.BytesIO(out)) as im:
        assert "extension" not in im.info


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "AVIF"])
def test_clean_file_is_returned_as_is(fmt):
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 3, "PhoneCo"
    im = _photo().convert("P") if fmt == "GIF" else _photo()
    data = save(im, fmt) if fmt == "GIF" else save(im, fmt, exif=exif.tobytes())
    result = strip_private_metadata(data)
    assert result.data is data and result.removed == ()
    assert private_metadata(data) == ()


def _exif_jpeg(tiff: bytes) -> bytes:
    data = save(_photo(), "JPEG")
    return data[:2] + _segment(0xE1, b"Exif\0\0" + tiff) + data[2:]


def _ifd(bo: str, entries: list[tuple[int, int, int, int]], next_ifd: int = 0) -> bytes:
    rows = b"".join(struct.pack(bo + "HHII", *e) for e in entries)
    return struct.pack(bo + "H", len(entries)) + rows + struct.pack(bo + "I", next_ifd)


HOSTILE_EXIF = {
    "garbage": b"\x00\x13\x37garbage" * 5,
    "header only": b"MM\x00*",
    "ifd0 past the end": b"II*\x00" + struct.pack("<I", 10_000),
    "huge entry count": b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 40,
    "ifd0 loops": b"II*\x00\x08\x00\x00\x00" + _ifd("<", [(0x010F, 2, 3, 0x41)], next_ifd=8),
    "gps is ifd0": b"II*\x00\x08\x00\x00\x00" + _ifd("<", [(0x8825, 4, 1, 8)]),
    "serial points past the end": b"MM\x00*\x00\x00\x00\x08"
    + _ifd(">", [(0xA431, 2, 50, 0xFFFF_FFF0)]),
    "serial points at its ifd": b"MM\x00*\x00\x00\x00\x08" + _ifd(">", [(0xA431, 2, 12, 8)]),
}


@pytest.mark.parametrize("tiff", HOSTILE_EXIF.values(), ids=HOSTILE_EXIF.keys())
def test_odd_exif_is_left_alone(tiff):
    data = _exif_jpeg(tiff)
    result = strip_private_metadata(data)
    assert result.data is data and result.removed == ()


def test_inline_serial_is_blanked_and_gps_values_zeroed():
    gps_at = 8 + 2 + 2 * 12 + 4
    ifd0 = _ifd("<", [(0xA431, 2, 4, 0x313353), (0x8825, 4, 1, gps_at)])  # serial "SS1"
    tiff = b"II*\x00\x08\x00\x00\x00" + ifd0
    tiff += _ifd("<", [(2, 5, 3, gps_at + 18)]) + struct.pack("<6I", 48, 1, 51, 1, 24, 1)
    out = strip_private_metadata(_exif_jpeg(tiff))
    assert out.removed == ("gps", "serial_numbers")
    body = out.data[out.data.index(b"Exif\0\0") + 6 :][: len(tiff)]
    assert body[:18] == tiff[:18] and body[18:22] == bytes(4)  # the inline value only
    assert body[gps_at:] == bytes(len(tiff) - gps_at)  # GPS entries and values all zero


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "AVIF"])
def test_truncated_and_flipped_files_do_not_raise(fmt):
    tagged = {
        "JPEG": _tagged_jpeg,
        "GIF": lambda: _gif_with_xmp()[0],
    }.get(fmt, lambda: save(_photo(), fmt, exif=_exif(), xmp=XMP))()
    rng = np.random.default_rng(7)
    for cut in range(0, len(tagged), 7):
        assert isinstance(strip_private_metadata(tagged[:cut]).data, bytes)
    for _ in range(300):
        flipped = bytearray(tagged)
        for at in rng.integers(0, min(len(tagged), 700), 3):
            flipped[at] = int(rng.integers(0, 256))
        result = strip_private_metadata(bytes(flipped))
        assert len(result.data) <= len(flipped)  # blanked in place or dropped, never grown
