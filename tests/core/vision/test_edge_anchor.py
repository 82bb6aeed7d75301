"""Edge-aware placement: a product cut by its photo's frame is anchored to the output's frame.

Synthetic "people" (a head and a body in a saturated blue) cut by the photo's bottom or left
edge, placed in scenes and banners; checked on the output pixels.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_imaging.core.pipelines import Context
from gan_imaging.core.pipelines.banners import IAB_SIZES, SOCIAL_SIZES, BannerSpec
from gan_imaging.core.pipelines.banners import run as run_banners
from gan_imaging.core.pipelines.renders import RenderSpec
from gan_imaging.core.pipelines.renders import run as run_renders
from gan_imaging.core.vision.banner import BannerCopy, BannerStyle, render_banner
from gan_imaging.core.vision.compose import render_scene
from gan_imaging.core.vision.cutout import Matte
from gan_imaging.core.vision.packshot import cut_edges, extract_product

BLUE = (20, 40, 220)
BACKDROP = (120, 160, 120)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def person(size=(120, 160), mode="RGBA"):
    """A person cut at the bottom of the photo: head, and a body down to the last row."""
    w, h = size
    im = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.ellipse((w // 2 - 15, 10, w // 2 + 15, 40), fill=BLUE)
    d.rectangle((w // 2 - 30, 40, w // 2 + 30, h - 1), fill=BLUE)
    return im


def lying(size=(160, 120)):
    """A product cut at the photo's left edge (a bar entering from the left)."""
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((0, 40, 110, 79), fill=BLUE)
    return im


def blue(px: np.ndarray) -> np.ndarray:
    """Where the product (blue, harmonised by at most ±12 %) shows."""
    px = px.astype(int)
    return (px[..., 2] > 150) & (px[..., 0] < 80) & (px[..., 1] < 100)


def trimmed(im):
    return im.crop(im.getchannel("A").getbbox())


def flat(w=256, h=144):
    return Image.new("RGB", (w, h), BACKDROP)


def test_cut_edges_need_a_run_not_stray_pixels():
    alpha = np.zeros((100, 200), np.uint8)
    alpha[40:, 80:120] = 255  # a body through the bottom edge: 40 px of 200
    alpha[0, 10:13] = 255  # 3 stray px on the top edge
    alpha[50:52, 0] = 255  # 2 on the left
    assert cut_edges(alpha) == ("bottom",)
    alpha[:, 199] = 255
    assert cut_edges(alpha) == ("right", "bottom")
    photo = person(mode="RGB")
    a = np.where(blue(np.asarray(photo)), 255, 0).astype(np.uint8)
    product = extract_product(photo, Matte(Image.fromarray(a, "L"), "plain", None, 1.0))
    assert product.touches_edge and product.edges == ("bottom",)


def test_scene_stands_a_bottom_cut_on_the_frame_without_shadow():
    cut = trimmed(person())
    scene, meta = render_scene(cut, flat(), edges=("bottom",))
    px = np.asarray(scene)
    assert meta["anchored"] == ["bottom"] and meta["shadow"] is False
    body = blue(px[-1])  # the cut row lies on the last row, its full width
    assert body.sum() == pytest.approx(61 * meta["scale"], abs=2)
    rows = np.flatnonzero(blue(px).any(axis=1))
    assert rows[-1] == px.shape[0] - 1 and rows[0] <= 0.2 * px.shape[0]  # tall, not floating
    # No shadow anywhere: the same scene with shadows disallowed is the same pixels.
    plain, _ = render_scene(cut, flat(), edges=("bottom",), shadow=False)
    assert np.array_equal(px, np.asarray(plain))


def test_uncut_product_is_centred_on_the_floor_with_a_shadow():
    body = Image.new("RGBA", (60, 120), (*BLUE, 255))
    scene, meta = render_scene(body, flat(), edges=())
    px = np.asarray(scene).astype(int)
    cols, rows = np.flatnonzero(blue(px).any(axis=0)), np.flatnonzero(blue(px).any(axis=1))
    assert abs((cols[0] + cols[-1]) / 2 - 128) <= 1 and rows[-1] + 1 == round(0.88 * 144)
    assert meta == {"anchored": [], "cropped": [], "shadow": True, "scale": meta["scale"],
                    "box": [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]}  # fmt: skip
    plain = np.asarray(render_scene(body, flat(), shadow=False)[0]).astype(int)
    below = rows[-1] + 2
    assert (plain[below, 128] - px[below, 128]).min() > 20  # darker under the base


def test_scene_puts_a_left_cut_flush_left_and_fills_opposite_cuts():
    cut = trimmed(lying())
    scene, meta = render_scene(cut, flat(), edges=("left",))
    px = np.asarray(scene)
    assert meta["anchored"] == ["left"] and blue(px[:, 0]).sum() >= 0.9 * 40 * meta["scale"]
    both, meta2 = render_scene(trimmed(person()), flat(), edges=("top", "bottom"))
    px2 = blue(np.asarray(both))
    assert px2.any(axis=1).all() and not meta2["shadow"]  # head on row 0, body on the last


def test_renders_pipeline_scenes_record_the_anchor():
    spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1", "16:9"), scene_styles=("t",),
                      scene_long_side=256, scene_format="jpeg", jpeg_quality=95)  # fmt: skip
    models = {"backdrop": lambda style, w, h, seed: Image.new("RGB", (w, h), BACKDROP)}
    for out in run_renders(person(mode="RGB"), spec, Context(models=models)):
        px = np.asarray(Image.open(io.BytesIO(out.data)).convert("RGB"))
        assert out.meta["cut_edges"] == ["bottom"]
        assert out.meta["placement"]["anchored"] == ["bottom"]
        assert not out.meta["placement"]["shadow"]
        assert blue(px[-1]).sum() >= 0.9 * 61 * out.meta["placement"]["scale"], out.key


@pytest.mark.parametrize("size", [(300, 250), (728, 90), (160, 600), (1200, 628)])
def test_banner_stands_a_bottom_cut_on_the_frame(size):
    w, h = size
    r = render_banner(w, h, person(), BannerStyle(), BannerCopy("New in", "Soft", "Shop", "12"),
                      edges=("bottom",))  # fmt: skip
    px = np.asarray(r.image)
    box, placed = r.meta["boxes"]["product"], r.meta["placed"]["product"]
    assert box[3] == h and placed[3] == h and r.meta["product_anchor"]["anchored"] == ["bottom"]
    assert blue(px[-1]).sum() >= 0.9 * 61 * (placed[3] - placed[1]) / 160
    assert not r.meta["product_anchor"]["shadow"]
    for name, t in r.meta["text"].items():  # text is still placed, legible, off the product
        if not t.get("dropped"):
            b = t["box"]
            assert b[2] <= box[0] or box[2] <= b[0] or b[3] <= box[1] or box[3] <= b[1], name
            assert t["contrast_ok"] and not t["overflow"], name


def cut_by(edges, size=(160, 120)):
    """A blue shape touching exactly ``edges`` of its photo (and a round end inside it)."""
    w, h = size
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    if edges == ("top",):  # trousers cut at the waist: legs down to the feet
        d.rectangle((55, 0, 105, h - 30), fill=BLUE)
        d.ellipse((50, h - 45, 110, h - 15), fill=BLUE)
    else:  # ("left", "bottom"): a body entering from the left, resting on the bottom edge
        d.rectangle((0, 50, 100, h - 1), fill=BLUE)
        d.ellipse((80, 30, 130, 80), fill=BLUE)
    return im


@pytest.mark.parametrize("size", IAB_SIZES + SOCIAL_SIZES)
@pytest.mark.parametrize("edges", [("top",), ("left", "bottom")])
def test_every_size_keeps_cut_sides_on_the_frame_and_text_clear(size, edges):
    w, h = (int(v) for v in size.split("x"))
    logo = Image.new("RGBA", (40, 20), (250, 200, 0, 255))
    words = BannerCopy("New in", "Soft", "Shop", "12")
    r = render_banner(w, h, cut_by(edges), BannerStyle(), words, edges=edges, logo=logo)
    px = blue(np.asarray(r.image))
    lines = {"left": px[:, 0], "top": px[0], "right": px[:, -1], "bottom": px[-1]}
    assert all(lines[s].any() for s in edges)
    assert r.meta["product_anchor"]["anchored"] == list(edges)
    box = r.meta["boxes"]["product"]
    for name, t in r.meta["text"].items():
        if not t.get("dropped"):
            b = t["box"]
            assert b[2] <= box[0] or box[2] <= b[0] or b[3] <= box[1] or box[3] <= b[1], name
            assert t["contrast_ok"] and not t["overflow"], name


def test_banner_puts_a_left_cut_flush_left_and_keeps_uncut_products_inset():
    copy = BannerCopy("New in", "", "Shop", "12")
    r = render_banner(1200, 628, lying(), BannerStyle(), copy, edges=("left",))
    px = np.asarray(r.image)
    assert r.meta["placed"]["product"][0] == 0 and blue(px[:, 0]).sum() > 100
    inset = render_banner(1200, 628, lying(), BannerStyle(), copy)
    placed = inset.meta["placed"]["product"]
    assert placed[0] > 0 and placed[2] < 1200 and inset.meta["product_anchor"]["anchored"] == []


def test_banners_pipeline_finds_the_cut():
    spec = BannerSpec(sizes=("300x250",), headline="New in", cta="Shop")
    (out,) = run_banners(person(size=(240, 320), mode="RGB"), spec, Context())
    px = np.asarray(Image.open(io.BytesIO(out.data)).convert("RGB"))
    assert out.meta["cut_edges"] == ["bottom"] and out.meta["placed"]["product"][3] == 250
    assert blue(px[-1]).sum() > 20


def test_banner_bleeds_a_product_cut_all_round_behind_legible_text():
    fabric = Image.new("RGBA", (90, 60), (*BLUE, 255))
    sides = ("left", "top", "right", "bottom")
    r = render_banner(300, 250, fabric, BannerStyle(), BannerCopy("New in", cta="Shop"),
                      edges=sides)  # fmt: skip
    px = blue(np.asarray(r.image))
    assert px[0].all() and px[-1].all() and px[:, 0].all() and px[:, -1].all()
    assert r.meta["boxes"]["product"] == [0, 0, 300, 250] and r.meta["contrast_ok"]
