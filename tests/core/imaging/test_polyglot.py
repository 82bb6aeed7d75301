"""GIF/JavaScript polyglots and absurd shapes: the logical screen must fit the frames, and no
upload may be far longer than it is wide (or the other way round)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from gan_imaging.core.errors import CorruptImageError, ImageTooLargeError
from gan_imaging.core.imaging.decode import Limits, decode, probe, validate
from tests.core.imaging.helpers import save

PALETTE = bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])  # black, red, green, blue


def _frame(width: int, height: int, colour: int) -> bytes:
    """An image descriptor at (0, 0) and its LZW data, as Pillow writes them: ``width`` ×
    ``height`` px of palette index ``colour``."""
    im = Image.new("P", (width, height), colour)
    im.putpalette(PALETTE)
    data = save(im, "GIF", optimize=False)  # keep our palette indices
    gct = 3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0
    pos = 13 + gct
    while data[pos] == 0x21:  # skip extensions before the descriptor
        pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
    assert data[pos] == 0x2C and data[-1] == 0x3B
    return data[pos:-1]


def gif(screen: bytes, frames: list[tuple[int, int, int, int, int]], trailer: bytes = b"") -> bytes:
    """A GIF89a with ``screen`` as its 4 logical-screen bytes, a 4-colour global table and
    ``frames`` of (x, y, width, height, colour), each drawn with a 10 ms delay."""
    head = b"GIF89a" + screen + b"\x81\x00\x00" + PALETTE
    body = b""
    for x, y, w, h, colour in frames:
        frame = bytearray(_frame(w, h, colour))
        struct.pack_into("<HH", frame, 1, x, y)
        body += b"\x21\xf9\x04\x04\x01\x00\x00\x00" + bytes(frame)
    return head + body + b"\x3b" + trailer


def polyglot(height: int = 1) -> bytes:
    """``GIF89a/*…*/=alert(1);`` is valid JavaScript: the width bytes open a comment, the
    text after the trailer closes it. The real image is 1 × 1 px."""
    return gif(b"/*" + struct.pack("<H", height), [(0, 0, 1, 1, 1)], b"*/=alert(1);")


def test_the_polyglot_really_is_one():
    data = polyglot()
    assert data.startswith(b"GIF89a/*") and data.endswith(b"*/=alert(1);")
    with Image.open(io.BytesIO(data)) as im:  # Pillow alone takes it for a 10799 × 1 image
        assert im.size == (10799, 1)


@pytest.mark.parametrize("step", [probe, validate, decode])
def test_gif_javascript_polyglot_is_refused_as_too_long_and_thin(step):
    with pytest.raises(ImageTooLargeError) as info:
        step(polyglot(), filename="cat.gif")
    assert str(info.value) == (
        "The image is 10799×1 pixels, far too long and thin for a product photo (at most "
        "50:1). Please upload the photo itself."
    )
    assert info.value.params == {"width": 10799, "height": 1, "max_aspect": "50"}


@pytest.mark.parametrize("step", [probe, validate, decode])
def test_polyglot_screen_of_a_plausible_shape_is_refused_as_odd(step):
    # 10799 × 300 is only 36:1, but the one frame draws a single pixel of it.
    with pytest.raises(CorruptImageError) as info:
        step(polyglot(height=300), filename="cat.gif")
    assert "cannot be read safely" in str(info.value)
    assert "10799×300 px screen is far larger than the 1×1 px its frames draw" in str(info.value)


def test_normal_animation_with_frames_smaller_than_the_screen_passes():
    # Three 120 × 90 frames walking across a 320 × 240 screen; none covers it alone.
    frames = [(0, 0, 120, 90, 1), (100, 75, 120, 90, 2), (200, 150, 120, 90, 3)]
    data = gif(struct.pack("<HH", 320, 240), frames)
    im, info = decode(data, filename="walk.gif")
    assert (info.format, info.width, info.height, info.frames) == ("GIF", 320, 240, 3)
    assert im.size == (320, 240)
    assert im.convert("RGB").getpixel((60, 45)) == (255, 0, 0)  # the first frame's pixels


def test_small_sticker_centred_on_a_bigger_screen_passes():
    # One 80 × 60 frame in the middle of a 320 × 240 screen: 4 times smaller, still plausible.
    data = gif(struct.pack("<HH", 320, 240), [(120, 90, 80, 60, 2)] * 3)
    info = validate(data, filename="sticker.gif")
    assert (info.width, info.height, info.frames) == (320, 240, 3)


def test_pillow_animations_pass():
    # Pillow writes later frames as patches (only what changed): screen > frames, legitimately.
    frames = [Image.new("RGB", (400, 300), (250, 250, 250)) for _ in range(3)]
    for i, im in enumerate(frames):
        im.paste((200, 30, 30), (40 * i, 40, 40 * i + 60, 100))
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert validate(data, filename="spin.gif").frames == 3


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "TIFF"])
@pytest.mark.parametrize(
    ("size", "accepted"),
    [((5000, 100), True), ((100, 5000), True), ((5001, 100), False), ((100, 5001), False),
     ((3000, 2), False)],
)
def test_aspect_ratio_cap_applies_to_every_format(fmt, size, accepted):
    data = save(Image.new("RGB", size, (90, 120, 150)), fmt)
    name = f"strip.{fmt.lower()}"
    if accepted:
        info = validate(data, filename=name)
        assert (info.format, info.width, info.height) == (fmt, *size)
        return
    with pytest.raises(ImageTooLargeError, match=r"far too long and thin .*\(at most 50:1\)"):
        validate(data, filename=name)
    # The cap is a setting: a looser one lets the same file through.
    assert validate(data, Limits(max_aspect=2000), filename=name).width == size[0]
