"""Caps are checked from headers, before pixels are decoded; refusals are typed and readable."""

from __future__ import annotations

import struct
import time
import tracemalloc
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.errors import (
    CorruptImageError,
    ImageTooLargeError,
    InvalidImageError,
    UnsupportedFormatError,
)
from gan_imaging.core.imaging.admission import sniff_refused
from gan_imaging.core.imaging.decode import (
    DEFAULT_FORMATS,
    Limits,
    allowed_names,
    decode,
    probe,
    read_limited,
    validate,
)
from gan_imaging.core.testing.builders import png_bytes
from gan_imaging.core.testing.hostile import gif_frames
from gan_imaging.core.testing.mutations import pattern
from tests.core.imaging.helpers import save

ZERO = np.zeros((1, 1, 3), np.uint8)


def _timed_alloc(fn):
    """Run ``fn``; return (exception, seconds, peak traced Python allocation in bytes)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        fn()
    except InvalidImageError as exc:
        error = exc
    else:
        error = None
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, seconds, peak


@pytest.mark.parametrize("step", [probe, validate, decode])
def test_100_megapixel_header_is_refused_before_decoding(step):
    data = png_bytes(ZERO, colour_type=2, size=(10000, 10000))
    error, seconds, peak = _timed_alloc(lambda: step(data))
    assert isinstance(error, ImageTooLargeError)
    assert "10000×10000" in str(error) and "50 megapixels" in str(error)
    # Generous bounds: a decode would take seconds and allocate 300 MB.
    assert seconds < 2.0 and peak < 20 * 1024 * 1024


def test_frame_bomb_gif_is_refused_quickly():
    data = gif_frames(2000, 2000, 300)
    assert len(data) < 20_000  # a tiny file that would composite 1.2 gigapixels
    error, seconds, peak = _timed_alloc(lambda: validate(data))
    assert isinstance(error, ImageTooLargeError) and "animation" in str(error)
    assert seconds < 2.0 and peak < 20 * 1024 * 1024


def test_frame_cap_counts_without_walking_the_whole_file():
    error, seconds, _ = _timed_alloc(lambda: probe(gif_frames(4, 4, 200_000)))
    assert isinstance(error, ImageTooLargeError) and "at least 1001" in str(error)
    assert seconds < 2.0


@pytest.mark.parametrize(
    ("width", "height", "accepted"),
    [(1, 1, True), (10000, 200, True), (20000, 400, True), (65535, 1, "no side may be longer"),
     (20001, 2, "no side may be longer"), (10000, 10, "far too long and thin")],
)
def test_size_edges(width, height, accepted):
    data = png_bytes(np.zeros((height, width), np.uint8), colour_type=0)
    if accepted is True:
        im, info = decode(data)
        assert im.size == (width, height) and (info.width, info.height) == (width, height)
        assert validate(data).frames == 1
    else:
        with pytest.raises(ImageTooLargeError, match=accepted):
            validate(data)


def test_animated_sources_give_the_first_frame():
    colours = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    red, green, blue = (Image.new("RGB", (8, 8), c) for c in colours)
    for fmt in ("GIF", "WEBP", "PNG"):
        # Distinct frames: Pillow merges identical neighbours when saving.
        data = save(red, fmt, save_all=True, append_images=[green, blue], lossless=True)
        im, info = decode(data)
        assert info.frames == 3, fmt
        assert im.getpixel((4, 4)) == (255, 0, 0), fmt


def test_frame_and_total_pixel_caps_are_configurable():
    turned = [pattern().transpose(Image.Transpose.ROTATE_180), pattern().convert("L")]
    data = save(pattern(), "GIF", save_all=True, append_images=turned)
    with pytest.raises(ImageTooLargeError, match="at most 2"):
        validate(data, Limits(max_frames=2))
    with pytest.raises(ImageTooLargeError, match="megapixels in total"):
        validate(data, Limits(max_total_pixels=3000))
    assert validate(data).frames == 3


def test_tiff_first_page_and_page_cap():
    pages = [Image.new("RGB", (6, 4), c) for c in ((9, 8, 7), (1, 2, 3), (4, 5, 6))]
    data = save(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    im, info = decode(data, filename="scan.tif")
    assert info.frames == 3 and im.getpixel((0, 0)) == (9, 8, 7)
    with pytest.raises(ImageTooLargeError, match="frames or pages"):
        probe(data, Limits(max_frames=2))
    big = save(pages[0], "TIFF", save_all=True, append_images=pages[1:], big_tiff=True)
    assert big[:4] == b"II+\x00" and validate(big).frames == 3


def test_tiff_needs_its_own_extension_but_web_formats_may_be_misnamed():
    tiff = save(pattern(), "TIFF")
    with pytest.raises(UnsupportedFormatError, match=r"named \.png but is really a TIFF"):
        validate(tiff, filename="photo.png")
    assert validate(tiff, filename="photo.TIFF").format == "TIFF"
    assert validate(tiff).format == "TIFF"  # no name given: content decides
    assert validate(save(pattern(), "PNG"), filename="photo.jpg").format == "PNG"


def test_tiff_compression_allow_list():
    with pytest.raises(UnsupportedFormatError, match="compression method"):
        validate(save(pattern().convert("1"), "TIFF", compression="group4"))
    assert validate(save(pattern(), "TIFF", compression="tiff_deflate")).format == "TIFF"


def test_heic_is_refused_with_a_way_out():
    heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
    for limits in (Limits(), Limits(formats=(*DEFAULT_FORMATS, "HEIF"))):  # no plugin here
        with pytest.raises(UnsupportedFormatError, match="HEIC .* export the photo as JPEG"):
            validate(heic, limits)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n", "PostScript (EPS)"),
        (b"%PDF-1.4\n", "PDF"),
        (b"8BPS\x00\x01" + b"\0" * 20, "Photoshop (PSD)"),
    ],
)
def test_refused_formats_are_named(data, named):
    assert sniff_refused(data[:64]) == named
    with pytest.raises(UnsupportedFormatError, match=rf"{named.split()[0]}.*not accepted"):
        validate(data)


def test_allow_list_is_enforced_before_parsing():
    with pytest.raises(UnsupportedFormatError, match="PNG files are not accepted.*JPEG or WebP"):
        validate(save(pattern(), "PNG"), Limits(formats=("JPEG", "WEBP")))
    assert allowed_names(Limits()) == "JPEG, PNG, WebP, GIF, AVIF or TIFF"


def test_truncated_and_empty_files():
    jpeg = save(pattern(), "JPEG")
    for cut in (len(jpeg) // 2, len(jpeg) - 10):
        with pytest.raises(CorruptImageError, match="damaged or incomplete"):
            validate(jpeg[:cut])
    with pytest.raises(InvalidImageError, match="empty"):
        validate(b"")
    with pytest.raises(InvalidImageError, match="empty"):
        read_limited(b"", Limits())
    with pytest.raises(ImageTooLargeError, match="larger than 1 MB"):
        read_limited(b"x" * (1024 * 1024 + 1), Limits(max_bytes=1024 * 1024))


def test_png_stream_check_matches_the_decoder():
    arr = (np.arange(37 * 23 * 4).reshape(23, 37, 4) % 251).astype(np.uint8)
    for interlace in (False, True):
        data = png_bytes(arr, colour_type=6, interlace=interlace)
        assert validate(data).mode == "RGBA"
        im, _ = decode(data)
        assert np.array_equal(np.asarray(im), arr)
    # A valid zlib stream that holds fewer rows than IHDR claims: Pillow would silently pad
    # with black; the upload check refuses it.
    short = png_bytes(arr, colour_type=6, size=(37, 40))
    with pytest.raises(CorruptImageError, match="incomplete"):
        validate(short)
    # An invalid filter-type byte on row 0.
    raw = bytearray(png_bytes(arr, colour_type=6))
    idat = raw.find(b"IDAT")
    body = bytearray(zlib.decompress(bytes(raw[idat + 4 : -16])))
    body[0] = 9
    bad = png_bytes(arr, colour_type=6)[: idat - 4]
    comp = zlib.compress(bytes(body))
    bad += struct.pack(">I", len(comp)) + b"IDAT" + comp
    bad += struct.pack(">I", zlib.crc32(b"IDAT" + comp)) + b"\0\0\0\0IEND\xaeB`\x82"
    with pytest.raises(CorruptImageError, match="filter type"):
        validate(bad)
    with pytest.raises(CorruptImageError):
        decode(bad)


def test_pillow_bomb_warning_is_escalated_locally_and_globals_stay():
    from PIL import ImageFile

    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    data = png_bytes(ZERO, colour_type=2, size=(10000, 10000))  # 100 MP: Pillow only warns
    with pytest.raises(ImageTooLargeError, match="at most 89 megapixels"):
        validate(data, Limits(max_pixels=200_000_000))
    assert before[:2] == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    assert before[1] is False and list(warnings.filters) == before[2]


def test_memory_shortage_is_typed_and_retryable(monkeypatch):
    def starved(self):
        raise MemoryError

    data = save(pattern(), "PNG")
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", starved)
    with pytest.raises(ImageTooLargeError, match="not enough memory") as info:
        decode(data)
    assert info.value.retryable is True
