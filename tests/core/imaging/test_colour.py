"""ICC profiles, CMYK, 16-bit data, alpha and every decoded mode end as 8-bit sRGB."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.imaging.colour import to_srgb
from gan_imaging.core.imaging.decode import _MODES, decode
from gan_imaging.core.testing import builders
from tests.core.imaging.helpers import save

SWATCHES = [(0, 255, 0), (40, 180, 60), (200, 150, 100), (128, 128, 128), (250, 20, 10)]


def _swatch_strip(colours, block: int = 16) -> Image.Image:
    arr = np.concatenate([np.full((block, block, 3), c, np.uint8) for c in colours], axis=1)
    return Image.fromarray(arr)


def _centres(im: Image.Image, count: int, block: int = 16) -> list[tuple[int, ...]]:
    return [im.getpixel((block * i + block // 2, block // 2)) for i in range(count)]


@pytest.mark.parametrize(
    ("profile", "colorants", "gamma"),
    [
        (builders.adobe_rgb_icc, builders.ADOBE_RGB_D50, builders.ADOBE_GAMMA),
        (builders.display_p3_icc, builders.DISPLAY_P3_D50, None),
    ],
    ids=["adobe_rgb", "display_p3"],
)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_wide_gamut_sources_convert_to_srgb(profile, colorants, gamma, fmt):
    params = {"quality": 100} if fmt in ("JPEG", "WEBP") else {}
    data = save(_swatch_strip(SWATCHES), fmt, icc_profile=profile(), **params)
    im, _ = decode(data)
    tolerance = 3 if fmt in ("PNG", "TIFF") else 8
    for got, src in zip(_centres(im, len(SWATCHES)), SWATCHES):
        want = builders.expected_srgb(src, colorants, gamma)
        assert np.abs(np.array(got) - want).max() <= tolerance, (src, got, want)
    # The saturated Adobe-RGB green (40, 180, 60) must move: sRGB cannot show it as is.
    assert _centres(im, 2)[1] != (40, 180, 60)


def test_saturated_adobe_green_lands_on_reference_value():
    data = save(_swatch_strip([(40, 180, 60)]), "PNG", icc_profile=builders.adobe_rgb_icc())
    im, _ = decode(data)
    assert np.abs(np.array(im.getpixel((8, 8))) - (0, 181, 42)).max() <= 2


def _cmyk_blocks() -> Image.Image:
    inks = [(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255), (0, 0, 0, 0)]
    arr = np.concatenate([np.full((16, 16, 4), c, np.uint8) for c in inks], axis=1)
    return Image.fromarray(arr, "CMYK")


def _ink_targets() -> list[tuple[int, int, int]]:
    ink = builders.CMYK_INKS
    return [ink["C"], ink["M"], ink["Y"], ink["K"], (255, 255, 255)]


def _strip_adobe_marker(jpeg: bytes) -> bytes:
    at = jpeg.find(b"\xff\xee")
    assert at > 0, "Pillow should write Adobe's APP14 marker for CMYK"
    length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
    return jpeg[:at] + jpeg[at + 2 + length :]


@pytest.mark.parametrize("adobe", [True, False], ids=["adobe_inverted", "plain_cmyk"])
def test_cmyk_jpeg_with_profile(adobe):
    im = _cmyk_blocks()
    if adobe:
        data = save(im, "JPEG", quality=100, icc_profile=builders.cmyk_icc())
    else:
        # Pillow always stores CMYK inverted (Adobe's convention); pre-invert and drop the
        # marker to get the plain CMYK a non-Adobe encoder writes.
        inverted = Image.eval(im, lambda v: 255 - v)
        data = _strip_adobe_marker(
            save(inverted, "JPEG", quality=100, icc_profile=builders.cmyk_icc())
        )
    out, info = decode(data)
    assert info.mode == "CMYK" and out.mode == "RGB"
    for got, want in zip(_centres(out, 5), _ink_targets()):
        assert max(abs(a - b) for a, b in zip(got, want)) <= 8, (got, want)


@pytest.mark.parametrize("adobe", [True, False], ids=["adobe_inverted", "plain_cmyk"])
def test_cmyk_jpeg_without_profile_uses_naive_conversion(adobe):
    im = _cmyk_blocks()
    data = save(im if adobe else Image.eval(im, lambda v: 255 - v), "JPEG", quality=100)
    if not adobe:
        data = _strip_adobe_marker(data)
    out, _ = decode(data)
    naive = [(0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0), (255, 255, 255)]
    for got, want in zip(_centres(out, 5), naive):
        assert max(abs(a - b) for a, b in zip(got, want)) <= 8, (got, want)


def test_cmyk_tiff_with_profile():
    data = save(_cmyk_blocks(), "TIFF", icc_profile=builders.cmyk_icc())
    out, _ = decode(data)
    for got, want in zip(_centres(out, 5), _ink_targets()):
        assert max(abs(a - b) for a, b in zip(got, want)) <= 3, (got, want)


def test_unusable_or_mismatched_profile_is_ignored():
    strip = _swatch_strip([(200, 150, 100)])
    for icc in (b"not a profile" * 10, builders.cmyk_icc()):  # garbage; CMYK on RGB pixels
        out, _ = decode(save(strip, "PNG", icc_profile=icc))
        assert out.getpixel((8, 8)) == (200, 150, 100)


RAMP16 = np.arange(65536, dtype=np.uint16).reshape(256, 256)


@pytest.mark.parametrize(
    ("colour_type", "pixels"),
    [
        (0, RAMP16),
        (2, np.stack([RAMP16, RAMP16[::-1], RAMP16], -1)),
        (4, np.stack([RAMP16, np.full_like(RAMP16, 65535)], -1)),
        (6, np.stack([RAMP16, RAMP16, RAMP16, np.full_like(RAMP16, 40000)], -1)),
    ],
    ids=["grey16", "rgb16", "grey_alpha16", "rgba16"],
)
def test_16bit_png_keeps_its_levels(colour_type, pixels):
    out, _ = decode(builders.png_bytes(pixels, colour_type=colour_type, bit_depth=16))
    red = np.asarray(out)[..., 0]
    assert len(np.unique(red)) >= 250
    assert red.min() == 0 and red.max() == 255
    assert out.mode == ("RGBA" if colour_type == 6 else "RGB")


def test_dark_16bit_png_stays_dark():
    # Data-dependent scaling (the old code) stretched 0–255 of 65535 up to full white.
    dark = np.arange(256, dtype=np.uint16).reshape(16, 16)
    out, _ = decode(builders.png_bytes(dark, colour_type=0, bit_depth=16))
    assert np.asarray(out).max() <= 1


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_16bit_tiff_keeps_its_levels(mode):
    im = Image.frombytes(
        mode, (256, 256), RAMP16.astype("<u2" if mode == "I;16" else ">u2").tobytes()
    )
    out, info = decode(save(im, "TIFF"))
    assert info.mode.startswith("I;16")
    assert len(np.unique(np.asarray(out)[..., 0])) >= 250


def test_alpha_cases():
    rgba = Image.new("RGBA", (4, 4), (10, 20, 30, 255))
    rgba.putpixel((0, 0), (10, 20, 30, 0))
    out, _ = decode(save(rgba, "PNG"))
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0 and out.getpixel((1, 1))[3] == 255

    opaque, _ = decode(save(Image.new("RGBA", (4, 4), (10, 20, 30, 255)), "PNG"))
    assert opaque.mode == "RGB"

    la = Image.new("LA", (4, 4), (77, 128))
    out, _ = decode(save(la, "PNG"))
    assert out.mode == "RGBA" and out.getpixel((2, 2)) == (77, 77, 77, 128)

    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    pal.putpixel((3, 3), 0)
    out, _ = decode(save(pal, "PNG", transparency=0))
    assert out.mode == "RGBA"
    assert out.getpixel((3, 3))[3] == 0 and out.getpixel((0, 0)) == (200, 100, 50, 255)

    grey_key, _ = decode(save(Image.new("L", (4, 4), 9), "PNG", transparency=9))
    assert grey_key.mode == "RGBA" and grey_key.getpixel((0, 0))[3] == 0


def test_one_bit_and_palette_without_alpha():
    bits = Image.new("1", (8, 8), 0)
    bits.putpixel((7, 7), 1)
    out, _ = decode(save(bits, "PNG"))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (0, 0, 0)
    assert out.getpixel((7, 7)) == (255, 255, 255)
    out, _ = decode(save(Image.new("RGB", (8, 8), (1, 2, 3)).quantize(4), "GIF"))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (1, 2, 3)


@pytest.mark.parametrize("mode", sorted(_MODES))
def test_every_decodable_mode_converts(mode):
    im = Image.new(mode, (3, 2))
    im.info["icc_profile"] = b"junk"
    out = to_srgb(im)
    assert out.mode in ("RGB", "RGBA") and out.size == (3, 2) and out.info == {}
    assert type(out) is Image.Image  # detached from any file


def test_premultiplied_grey_alpha():
    out = to_srgb(Image.new("La", (2, 2), (64, 128)))
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 128
    assert abs(out.getpixel((0, 0))[0] - 128) <= 1  # 64 premultiplied by 0.5


def test_to_srgb_does_not_touch_its_input():
    src = Image.open(io.BytesIO(save(Image.new("RGB", (2, 2)), "PNG", icc_profile=b"x" * 200)))
    src.load()
    to_srgb(src)
    assert "icc_profile" in src.info
