"""BlurHash (known answers, format, round trip of the mean colour) and the inline LQIP."""

from __future__ import annotations

import base64
import io
import math

import pytest
from PIL import Image

from gan_imaging.core.imaging.placeholder import base83, blurhash, make_placeholder
from gan_imaging.core.pipelines.thumbnails import placeholder
from tests.core.thumbnails.conftest import textured

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
CHARS = set(ALPHABET)


def test_blurhash_known_answer_one_red_pixel_two_components():
    # Worked by hand from the reference algorithm: for a 1×1 image every basis value is 1, so
    # DC = linear(255, 0, 0) = (1, 0, 0) → sRGB 0xFF0000 = 16711680 → base83 "TI:j";
    # AC(1, 0) = 2·(1, 0, 0); max |AC| = 2 → quantised max min(82, ⌊2·166 − 0.5⌋) = 82 → "~",
    # so maximum = 83/166 = 0.5; AC/0.5 = (4, 0, 0) → √ → ⌊(2, 0, 0)·9 + 9.5⌋ clamped to 18:
    # (18, 9, 9) → 18·361 + 9·19 + 9 = 6678 → "|c"; size flag (2−1) + (1−1)·9 = 1 → "1".
    assert blurhash(Image.new("RGB", (1, 1), (255, 0, 0)), 2, 1) == "1~TI:j|c"


def test_blurhash_known_answer_dc_only():
    # 1×1 components: size flag "0", quantised max "0", then DC grey 128 → 0x808080 = 8421504.
    assert blurhash(Image.new("RGB", (7, 5), (128, 128, 128)), 1, 1) == "00" + base83(8421504, 4)


@pytest.mark.parametrize("xc,yc", [(4, 3), (3, 4), (1, 1), (9, 9)])
def test_blurhash_length_and_charset(xc, yc):
    h = blurhash(textured(40, 30), xc, yc)
    assert len(h) == 4 + 2 * xc * yc and set(h) <= CHARS
    assert h[0] == base83((xc - 1) + (yc - 1) * 9, 1)


def _decode_dc(h: str) -> tuple[int, int, int]:
    value = 0
    for c in h[2:6]:
        value = value * 83 + ALPHABET.index(c)
    return value >> 16, (value >> 8) & 255, value & 255


def test_blurhash_average_colour_decodes_back():
    im = Image.new("RGB", (30, 20), (30, 160, 90))
    im.paste((30, 160, 90), (0, 0, 15, 20))
    assert _decode_dc(blurhash(im)) == (30, 160, 90)
    ph = placeholder(textured(300, 200))
    # The DC term is the linear-light mean: close to the image's mean in sRGB terms.
    assert all(0 <= v <= 255 for v in _decode_dc(ph.blurhash))


def test_lqip_is_a_small_webp_data_uri_of_the_right_aspect():
    ph = placeholder(textured(600, 400))
    assert ph.data_uri.startswith("data:image/webp;base64,")
    assert len(ph.data_uri) < 1024
    data = base64.b64decode(ph.data_uri.split(",", 1)[1])
    assert data == ph.webp
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "WEBP" and max(im.size) <= 32
        assert math.isclose(im.width / im.height, 600 / 400, rel_tol=0.05)
    assert (ph.width, ph.height) == (600, 400)


def test_lqip_keeps_alpha_and_blurhash_sees_the_background():
    im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ph = make_placeholder(im, (255, 255, 255))
    assert _decode_dc(ph.blurhash) == (255, 255, 255)
    with Image.open(io.BytesIO(ph.webp)) as lq:
        assert lq.mode == "RGBA"


def test_placeholder_is_deterministic():
    a, b = placeholder(textured(120, 90)), placeholder(textured(120, 90))
    assert a == b
