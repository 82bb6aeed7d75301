"""Hard cutouts on tiny synthetic studio shots: a grey gift card, a mug's handle hole, a white
card with a thin outline, all on white with a vignette, a soft shadow and JPEG noise."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from gan_imaging.core.vision import plainmatte, synth_hard
from gan_imaging.core.vision.cutout import cutout


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def studio_shot(draw, size=(400, 300), vignette=20.0, shadow=0.25, seed=0):
    """A product drawn by ``draw(ImageDraw, scale)`` on a white backdrop that darkens by
    ``vignette`` levels to the corners, with a soft drop shadow, noise σ 2 and JPEG q85.
    Returns (RGB image, truth mask bool)."""
    w, h = size
    big = Image.new("L", (w * 4, h * 4), 0)
    draw(ImageDraw.Draw(big), 4)
    truth_im = big.resize(size, Image.Resampling.BOX)
    colour = Image.new("RGB", (w * 4, h * 4), 0)
    draw(ImageDraw.Draw(colour), 4, paint=True)
    fg = np.asarray(colour.resize(size, Image.Resampling.BOX), np.float32)
    a = np.asarray(truth_im, np.float32)[..., None] / 255
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    bg = np.repeat((255 - vignette * r2)[..., None], 3, axis=2)
    blur = truth_im.transform(size, Image.Transform.AFFINE, (1, 0, -6, 0, 1, -8))
    s = np.asarray(blur.filter(ImageFilter.GaussianBlur(8)), np.float32)[..., None] / 255
    bg = bg * (1 - shadow * s)
    rgb = fg * a + bg * (1 - a) + np.random.default_rng(seed).normal(0, 2, bg.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.asarray(truth_im) >= 128


def gift_card(body):
    def draw(d, k, paint=False):
        box = (75 * k, 75 * k, 325 * k, 225 * k)
        d.rounded_rectangle(box, 12 * k, fill=body if paint else 255)
        if paint:
            d.rectangle((75 * k, 180 * k, 325 * k, 200 * k), fill=(250, 200, 20))  # stripe
            d.ellipse((100 * k, 100 * k, 145 * k, 145 * k), fill=(200, 30, 40))  # logo
            d.rectangle((160 * k, 115 * k, 260 * k, 121 * k), fill=(40, 40, 40))  # text

    return draw


def mug(colour=(60, 70, 160)):
    def draw(d, k, paint=False):
        fill = colour if paint else 255
        d.ellipse((210 * k, 95 * k, 300 * k, 195 * k), outline=fill, width=16 * k)  # handle
        d.rounded_rectangle((110 * k, 60 * k, 240 * k, 250 * k), 14 * k, fill=fill)  # body

    return draw


def outlined_white_card(d, k, paint=False):
    box = (60 * k, 70 * k, 340 * k, 240 * k)
    if paint:
        d.rounded_rectangle(box, 10 * k, fill=(252, 252, 252), outline=(150, 150, 150),
                            width=2 * k)  # fmt: skip
    else:
        d.rounded_rectangle(box, 10 * k, fill=255)


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("body", [(178, 178, 180), (206, 206, 208), (226, 226, 228)])
def test_grey_gift_card_on_white_keeps_its_whole_body(body):
    im, truth = studio_shot(gift_card(body))
    m = cutout(im)
    found = np.asarray(m.alpha) >= 128
    assert m.method == "plain"
    body_px = truth.copy()
    body_px[180:201] = False  # the stripe alone is not enough: the card's grey body counts
    assert found[body_px].mean() > 0.97
    assert iou(found, truth) > 0.95


def test_mug_handle_hole_on_white_is_removed():
    im, truth = studio_shot(mug())
    m = cutout(im)
    found = np.asarray(m.alpha) >= 128
    hole = synth_hard.enclosed(truth.astype(np.uint8) * 255)
    assert hole.sum() > 500  # the test draws a real hole
    assert (~found[hole]).mean() > 0.9
    assert found[truth].mean() > 0.97


def test_white_card_with_thin_grey_outline_on_white_is_found():
    im, truth = studio_shot(outlined_white_card, shadow=0.15)
    found = np.asarray(cutout(im).alpha) >= 128
    assert iou(found, truth) > 0.95


def test_colour_model_removes_enclosed_backdrop_but_keeps_other_light_parts():
    """Without the network, an enclosed region of the backdrop's colour is a hole; an enclosed
    light part that differs from the backdrop by more than the noise stays opaque."""
    rgb = np.full((120, 160, 3), 255, np.uint8)
    rgb[20:100, 20:140] = (40, 40, 40)
    rgb[40:80, 35:65] = 255  # a window showing the backdrop
    rgb[40:80, 95:125] = 225  # a light-grey label
    alpha = plainmatte.plain_matte(rgb, (255, 255, 255), 0.0)
    assert alpha[45:75, 40:60].max() == 0
    assert alpha[45:75, 100:120].min() == 255
    assert alpha[25:35, 25:135].min() == 255


def test_edge_stops_the_flood_at_a_light_products_outline():
    """A light-grey box (12 levels darker than a vignetted backdrop) inside a sharp outline:
    the flood from the border stops at the step, so the body is not backdrop."""
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = 20 * ((((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2)
    d[30:90, 40:120] = 25.0  # within the tolerance (hi = 30 + 24), but behind a step
    backdrop = plainmatte.backdrop_mask(d.astype(np.float32), 6.0, 30.0, network=None)
    assert not backdrop[40:80, 50:110].any()
    assert backdrop[:10].all()


def test_hard_cases_are_deterministic_and_cover_every_category():
    a = list(synth_hard.hard_set([], [], 1, sizes=[(96, 80)]))
    b = list(synth_hard.hard_set([], [], 1, sizes=[(96, 80)]))
    assert [c for c, _r, _t in a] == list(synth_hard.CATEGORIES)
    for (_c, r1, t1), (_c2, r2, t2) in zip(a, b, strict=True):
        assert r1.shape == (80, 96, 3) and t1.shape == (80, 96)
        assert np.array_equal(r1, r2) and np.array_equal(t1, t2)
        assert (t1 >= 128).any() and (t1 < 128).any()


def test_hard_case_products_have_the_promised_alpha():
    rng = np.random.default_rng(3)
    glass = synth_hard.product("glass", [], rng)
    body = glass[..., 3][glass[..., 3] > 0.3]
    assert 0.5 < np.median(body) < 0.9  # translucent, but alpha ≥ 0.5 over the silhouette
    holes = [synth_hard.product("holes", [], rng) for _ in range(6)]
    enclosed = [synth_hard.enclosed((p[..., 3] * 255).astype(np.uint8)).sum() for p in holes]
    assert sum(e > 50 for e in enclosed) >= 4


def test_cutout_is_deterministic():
    im, _ = studio_shot(mug())
    a = np.asarray(cutout(im).alpha)
    assert np.array_equal(a, np.asarray(cutout(im).alpha))


@pytest.mark.parametrize("bottom", [100, 120])
def test_grey_body_the_network_missed_is_not_taken_for_a_shadow(bottom):
    """A grey box (a shadow's colour on white) that the network calls background stays
    product, enclosed by its outline (bottom 100) or cut by the frame (bottom 120): the flood
    never starts from shadow-coloured frame pixels, and an enclosed shadow-coloured region
    that is most of the product is no hole. A soft cast shadow beside it is still removed."""
    rgb = np.full((120, 160, 3), 250, np.uint8)
    rgb[30:90, 120:150] = 215  # a soft cast shadow on the backdrop (no outline)
    rgb = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(4))).copy()
    rgb[20:bottom, 30:110] = 180
    net = np.zeros((120, 160), np.uint8)
    alpha = plainmatte.plain_matte(rgb, (250, 250, 250), 1.0, net)
    assert alpha[25:bottom - 5, 35:105].min() == 255
    assert alpha[40:80, 128:142].max() == 0


@pytest.mark.parametrize("seed", [8, 33])
def test_light_product_the_network_confirms_is_kept_not_refused(seed):
    """Light products on white (procedural hard cases) whose colour contrast with their
    surround is too low for the salient check: it refuses the plain path's matte ("nothing
    stands out"), but the network sees the same object, so the cutout keeps it."""
    from gan_imaging.core.vision import salient
    from gan_imaging.core.vision.cutout import fill_low_contrast, network_matte
    from gan_imaging.core.vision.plainmatte import border_colour, plain_matte
    from gan_imaging.core.vision.segnet import get_model

    rgb, truth = synth_hard.hard_composite("light_on_white", [], [], (256, 256),
                                           np.random.default_rng(seed))  # fmt: skip
    image = Image.fromarray(rgb)
    m = cutout(image)
    assert m.method == "plain"
    assert iou(np.asarray(m.alpha) >= 128, truth >= 128) >= 0.8
    # Without the network's confirmation the salient check would have refused it.
    colour, _share, dist = border_colour(rgb)
    net = network_matte(image, get_model())
    noise = float(np.percentile(dist[dist <= 24], 95))
    fused = fill_low_contrast(plain_matte(rgb, colour, noise, net), net)
    assert salient.fallback(image, fused, "plain")[1] == "none"


def test_network_confirms_only_a_decisive_matte_of_the_same_object():
    from gan_imaging.core.vision.cutout import confirmed

    yy, xx = np.mgrid[0:200, 0:200]
    disc = ((yy - 100) ** 2 + (xx - 100) ** 2 < 60**2).astype(np.uint8) * 255
    image = Image.fromarray(np.full((200, 200, 3), 250, np.uint8))
    bigger = ((yy - 100) ** 2 + (xx - 100) ** 2 < 64**2).astype(np.uint8) * 255
    assert confirmed(image, disc, bigger)
    elsewhere = np.roll(disc, 90, axis=1)
    assert not confirmed(image, disc, elsewhere)  # another object
    assert not confirmed(image, disc, np.where(bigger > 0, 150, 100).astype(np.uint8))  # hesitant
    assert not confirmed(image, disc, np.zeros_like(disc))  # the network sees nothing
    specks = np.zeros_like(disc)
    specks[::20, ::20] = 255
    assert not confirmed(image, specks, specks)  # scattered, not one object
