"""Every default size × Latin/Chinese × short/very long copy: geometry, contrast, budget.

Checked on real outputs: the boxes of the layout, the ink of the drawn text, the rendered
background pixels behind each text (WCAG worst-pixel contrast recomputed here), and the
encoded file's length against its budget.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.pipelines.banners import DEFAULT_BUDGETS_KB, IAB_SIZES, SOCIAL_SIZES
from gan_imaging.core.vision.banner import BannerCopy, BannerStyle, render_banner
from gan_imaging.core.vision.budget import encode_to_budget
from gan_imaging.core.vision.layout import legibility_min

SIZES = IAB_SIZES + SOCIAL_SIZES
COPY = {
    ("en", "short"): BannerCopy("New in", "", "Buy", "12", None),
    ("en", "long"): BannerCopy(
        "Ultra-lightweight wireless over-ear headphones with adaptive noise cancelling "
        "and a forty-hour battery, now in six colours " * 2,
        "Free shipping and free returns within thirty days on every order, worldwide " * 2,
        "Discover the collection now",
        "1299.99",
        "999.49",
    ),  # fmt: skip
    ("zh", "short"): BannerCopy("新品", "", "购买", "99", None),
    ("zh", "long"): BannerCopy(
        "超轻无线头戴式降噪耳机，四十小时续航，六种颜色任你挑选（限时特惠）" * 2,
        "全场包邮，三十天无理由退货，「会员」再享九折优惠！" * 2,
        "立即抢购限量版",
        "1299",
        "999",
    ),  # fmt: skip
}
STYLE = {
    "en": BannerStyle((20, 40, 90), (240, 160, 32), (255, 255, 255), "en-US", "USD"),
    # A light brand with a light text colour: the renderer must pick another colour or a scrim.
    "zh": BannerStyle((235, 225, 200), (200, 30, 40), (250, 250, 240), "zh-CN", "CNY"),
}


def _luminance(px: np.ndarray) -> np.ndarray:
    c = px.astype(np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def _worst(colour: str, pixels: np.ndarray) -> float:
    lt = float(_luminance(np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])))
    lum = _luminance(pixels.reshape(-1, 3))
    ratios = (np.maximum(lum, lt) + 0.05) / (np.minimum(lum, lt) + 0.05)
    return float(ratios.min())


def _disjoint(a: list[int], b: list[int]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


@pytest.mark.parametrize(
    ("size", "lang", "length"), list(itertools.product(SIZES, ("en", "zh"), ("short", "long")))
)
def test_banner(size: str, lang: str, length: str, product: Image.Image) -> None:
    w, h = (int(v) for v in size.split("x"))
    r = render_banner(w, h, product, STYLE[lang], COPY[lang, length], seed=1)
    meta = r.meta
    assert r.image.size == (w, h) and r.image.mode == "RGB"
    canvas = [0, 0, w, h]
    product_box = meta["boxes"]["product"]
    placed = meta["placed"]["product"]
    assert all(placed[i] >= product_box[i] for i in (0, 1)) and all(
        placed[i] <= product_box[i] for i in (2, 3))  # fmt: skip
    texts = {k: v for k, v in meta["text"].items() if not v.get("dropped")}
    assert "headline" in texts and ("cta" in texts)
    boxes = {k: v["box"] for k, v in texts.items()}
    if "logo" in meta["boxes"]:
        boxes["logo"] = meta["boxes"]["logo"]
    for name, box in boxes.items():
        assert _disjoint(box, product_box), (name, box, product_box)
        assert 0 <= box[0] < box[2] <= w and 0 <= box[1] < box[3] <= h, (name, box, canvas)
    for a, b in itertools.combinations(boxes, 2):
        assert _disjoint(boxes[a], boxes[b]), (a, b)
    image = np.asarray(r.image)
    background = np.asarray(r.background)
    min_px = legibility_min(w, h, cjk=lang == "zh")
    for name, t in texts.items():
        ink = t["ink"]
        assert ink is not None, name
        box = t["box"]
        assert box[0] <= ink[0] and box[1] <= ink[1] and ink[2] <= box[2] and ink[3] <= box[3]
        assert t["font_px"] >= min_px
        # Contrast, recomputed on the rendered background behind the text.
        x0, y0, x1, y1 = t["measured_area"]
        assert x0 <= ink[0] and y0 <= ink[1] and ink[2] <= x1 and ink[3] <= y1
        ratio = _worst(t["colour"], background[y0:y1, x0:x1])
        assert ratio >= t["threshold"] >= 3.0, (name, ratio)
        assert t["threshold"] == (3.0 if t["font_px"] >= (18.66 if t["bold"] else 24) else 4.5)
        # The shipped pixels: the background layer, with the glyphs on top in that colour.
        diff = np.any(image[y0:y1, x0:x1] != background[y0:y1, x0:x1], axis=-1)
        assert diff.any()
        # Every changed pixel moved towards the text colour (anti-aliased glyph edges blend).
        colour = np.array([int(t["colour"][i : i + 2], 16) for i in (1, 3, 5)])
        before = np.abs(background[y0:y1, x0:x1][diff].astype(int) - colour).sum(axis=-1)
        after = np.abs(image[y0:y1, x0:x1][diff].astype(int) - colour).sum(axis=-1)
        assert np.all(after < before)
    if length == "long":
        assert texts["headline"]["truncated"] or len(texts["headline"]["lines"]) > 1
    assert meta["overflow"] == 0 and meta["contrast_ok"]
    got = encode_to_budget(r.image, "jpeg", DEFAULT_BUDGETS_KB[size] * 1000)
    assert got.met and len(got.data) <= DEFAULT_BUDGETS_KB[size] * 1000
