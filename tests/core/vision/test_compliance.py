"""The marketplace compliance checker on synthetic packshots."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from gan_imaging.core.imaging.encode import encode
from gan_imaging.core.vision.compliance import check


def packshot(side=1000, fill=0.86, bg=(255, 255, 255), fmt="jpeg", mode="RGB"):
    im = Image.new(mode, (side, side), bg if mode == "RGB" else (*bg, 255))
    w = round(side * fill)
    h = round(w * 0.6)
    x, y = (side - w) // 2, (side - h) // 2
    ImageDraw.Draw(im).rectangle((x, y, x + w - 1, y + h - 1), fill=(30, 60, 120))
    if mode == "RGBA":
        ImageDraw.Draw(im).rectangle((0, 0, 20, 20), fill=(0, 0, 0, 0))
    return encode(im, fmt, quality=90)


def rules(report, market):
    return {r["rule"]: r["pass"] for r in report[market]["rules"]}


def test_a_clean_white_packshot_passes_both_marketplaces():
    r = check(packshot())
    assert r["amazon_main"]["pass"] and r["google_merchant"]["pass"]
    assert r["background"] == [255, 255, 255] and r["purity"] >= 0.995
    assert abs(r["fill"] - 0.86) < 0.01 and r["warnings"] == []
    assert (r["format"], r["width"], r["height"]) == ("JPEG", 1000, 1000)


def test_off_white_background_fails_with_a_reason():
    r = check(packshot(bg=(245, 245, 245)))
    assert not r["amazon_main"]["pass"]
    assert rules(r, "amazon_main") == {"white_background": False, "fill": True, "size": True,
                                       "file_size": True, "format": True,
                                       "colour_space": True}  # fmt: skip
    assert any("not pure white" in w["template"] % w["params"] for w in r["warnings"])
    assert r["background"] == [245, 245, 245]


def test_seventy_percent_fill_fails():
    r = check(packshot(fill=0.70))
    assert abs(r["fill"] - 0.70) < 0.01
    assert not rules(r, "amazon_main")["fill"]
    assert not rules(r, "google_merchant")["fill"]
    assert rules(r, "amazon_main")["white_background"]


def test_small_image_fails_amazon_zoom_but_not_google():
    r = check(packshot(side=600))
    assert not rules(r, "amazon_main")["size"] and rules(r, "google_merchant")["size"]


def test_webp_and_transparency_are_not_amazon_main_images():
    webp = check(packshot(fmt="webp"))
    assert not rules(webp, "amazon_main")["format"] and rules(webp, "google_merchant")["format"]
    png = check(packshot(fmt="png", mode="RGBA"))
    assert png["format"] == "PNG" and not rules(png, "amazon_main")["format"]


def test_embedded_profile_is_flagged():
    im = Image.open(io.BytesIO(packshot()))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, icc_profile=b"\0" * 200)
    r = check(buf.getvalue())
    assert r["icc"] and not rules(r, "amazon_main")["colour_space"]
