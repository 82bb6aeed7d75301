"""Fill crops: exact aspect, focal point honoured, product kept in frame."""

from __future__ import annotations

import pytest
from PIL import Image

from gan_imaging.core.imaging.crop import fill_box, find_subject
from tests.core.thumbnails.conftest import packshot, textured


def _contains(box, rect):
    left, top, right, bottom = box
    return left <= rect[0] and top <= rect[1] and right >= rect[2] and bottom >= rect[3]


@pytest.mark.parametrize("size", [(400, 200), (200, 400), (300, 300)])
@pytest.mark.parametrize("aspect", [(1, 1), (4, 5), (16, 9)])
def test_fill_box_is_the_largest_window_of_the_exact_aspect(size, aspect):
    left, top, right, bottom = fill_box(size, aspect)
    w, h = right - left, bottom - top
    assert w / h == pytest.approx(aspect[0] / aspect[1])
    assert left >= 0 and top >= 0 and right <= size[0] + 1e-9 and bottom <= size[1] + 1e-9
    assert w == pytest.approx(size[0]) or h == pytest.approx(size[1])


def test_focal_point_near_a_corner_stays_in_frame():
    # A red marker at the top-right corner of a wide photo; a centred square would miss it.
    box = fill_box((400, 200), (1, 1), centre=(0.95, 0.06))
    assert _contains(box, (370, 5, 390, 20))
    assert box == (200.0, 0.0, 400.0, 200.0)
    # And bottom-left on a tall photo.
    box = fill_box((200, 400), (1, 1), centre=(0.05, 0.97))
    assert _contains(box, (5, 380, 20, 395))


def test_small_dark_product_on_white_is_found_and_kept_in_a_square_crop():
    product = (330, 60, 380, 130)
    im = packshot(400, 200, product)
    subject = find_subject(im)
    assert subject.method == "backdrop"
    box = fill_box(im.size, (1, 1), subject.centre, subject.box)
    assert _contains(box, product)
    assert not _contains(fill_box(im.size, (1, 1)), product)  # the centre crop would cut it


def test_transparent_cutout_uses_alpha():
    im = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    im.paste((200, 30, 30, 255), (10, 20, 60, 100))
    subject = find_subject(im)
    assert subject.method == "alpha"
    assert _contains(fill_box(im.size, (1, 1), subject.centre, subject.box), (10, 20, 60, 100))


def test_busy_background_falls_back_to_saliency_and_keeps_a_distinct_object():
    im = textured(320, 160, seed=5).resize((80, 40)).resize((320, 160))  # soft, busy backdrop
    im.paste((250, 250, 20), (250, 50, 290, 100))  # a bright, sharp-edged product at the right
    subject = find_subject(im)
    assert subject.method == "saliency"
    assert _contains(fill_box(im.size, (1, 1), subject.centre, subject.box), (250, 50, 290, 100))


def test_plain_image_has_no_subject_and_crops_centred():
    subject = find_subject(Image.new("RGB", (300, 100), (240, 240, 240)))
    assert subject.method in ("none", "saliency")
    assert fill_box((300, 100), (1, 1), (0.5, 0.5)) == (100.0, 0.0, 200.0, 100.0)
