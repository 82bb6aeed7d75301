"""The product-integrity check on tiny synthetic products: whole mattes pass, damaged ones fail
with the right reason, and the packshot's compliance report never ticks a damaged product."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from scipy import ndimage

from gan_imaging.core.imaging.encode import encode
from gan_imaging.core.pipelines import Context
from gan_imaging.core.pipelines.renders import RenderSpec, run
from gan_imaging.core.vision import compliance, integrity
from gan_imaging.core.vision.integrity import check_integrity
from gan_imaging.core.vision.segnet import SegModel

WHITE = (255, 255, 255)
NO_NET: Any = object()  # not a model: the check goes on without the net's opinion


class SaturatedOnly(torch.nn.Module):
    """A broken segmentation net: it finds saturated colours only (the card's stripe and
    logo), never the grey body."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = x.max(dim=1, keepdim=True).values - x.min(dim=1, keepdim=True).values
        return (spread - 0.3) * 40


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def card(body=(150, 152, 156)):
    """A grey gift card with a yellow stripe and a dark logo on white; photo and true matte."""
    im = Image.new("RGB", (240, 180), WHITE)
    matte = Image.new("L", im.size, 0)
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((40, 40, 200, 140), 8, fill=body)
    ImageDraw.Draw(matte).rounded_rectangle((40, 40, 200, 140), 8, fill=255)
    draw.rectangle((40, 62, 200, 80), fill=(240, 200, 30))
    draw.ellipse((150, 100, 180, 130), fill=(30, 40, 90))
    return im, np.asarray(matte).copy()


def cup():
    """A red cup with a ring handle (its hole shows the white backdrop); photo and matte."""
    im = Image.new("RGB", (240, 180), WHITE)
    matte = Image.new("L", im.size, 0)
    for draw, fill, hole in ((ImageDraw.Draw(im), (180, 60, 40), WHITE),
                             (ImageDraw.Draw(matte), 255, 0)):  # fmt: skip
        draw.ellipse((150, 60, 200, 120), fill=fill)
        draw.ellipse((162, 74, 188, 106), fill=hole)
        draw.rectangle((60, 40, 170, 150), fill=fill)
    return im, np.asarray(matte).copy()


def templates(report):
    return {r["template"] for r in report.reasons}


def test_whole_products_pass():
    for im, matte in (card(), cup()):
        report = check_integrity(im, matte, method="plain")
        assert report.ok and report.reasons == [], report.measurements
        assert report.measurements["plain"] and report.measurements["ragged"] < 1.1


def test_stripe_and_logo_only_is_reported_as_a_lost_body():
    im, matte = card()
    px = np.asarray(im).astype(int)
    stripe = (np.abs(px - (240, 200, 30)).max(axis=2) < 20) | (
        np.abs(px - (30, 40, 90)).max(axis=2) < 20)
    report = check_integrity(im, np.where(stripe, 255, 0).astype(np.uint8), method="plain")
    assert not report.ok
    assert templates(report) & {integrity.LOST, integrity.FRAGMENT}
    assert report.measurements["lost_colour"] > 1.0  # the body is larger than what was kept


def test_half_removed_product_fails():
    im, matte = card()
    matte[:, 120:] = 0
    report = check_integrity(im, matte, method="plain")
    assert not report.ok and templates(report) & {integrity.LOST, integrity.FRAGMENT}


def test_dropped_handle_is_a_lost_part_but_the_real_handle_hole_is_not_a_hole():
    im, matte = cup()
    whole = check_integrity(im, matte, method="plain")
    assert whole.ok and whole.measurements["holes_colour"] == 0  # the hole shows the backdrop
    matte[:, 171:] = 0
    report = check_integrity(im, matte, method="plain")
    assert templates(report) == {integrity.LOST}
    assert 0.04 <= report.measurements["lost_colour"] <= 0.15


def test_a_model_cut_by_the_frame_that_lost_its_pale_trousers_fails():
    """A studio model shot cut at the thighs (the trousers reach the photo's bottom edge, so
    the border is not backdrop all round); the cutout kept the top and dropped the light grey
    trousers: still a studio shot, and a lost part, even without the net."""
    im = Image.new("RGB", (240, 180), WHITE)
    draw = ImageDraw.Draw(im)
    draw.rectangle((60, 20, 180, 109), fill=(30, 40, 150))
    draw.rectangle((70, 110, 170, 179), fill=(200, 200, 204))
    whole = np.zeros((180, 240), np.uint8)
    whole[20:180, 60:181] = 255
    whole[110:, 60:70], whole[110:, 171:] = 0, 0
    assert check_integrity(im, whole, method="plain", model=NO_NET).ok
    top = whole.copy()
    top[110:] = 0
    report = check_integrity(im, top, method="plain", model=NO_NET)
    assert templates(report) == {integrity.LOST}, report.measurements
    m = report.measurements
    assert m["plainness"] < integrity.STUDIO <= m["frame_rest"]


def test_a_dropped_pale_bar_is_lost_even_when_its_colour_is_nowhere_else_in_the_product():
    """A dark product with a light grey chrome bar (about a tenth of it; the push-up bars of
    the corpus): a cutout that drops the bar keeps a clean product, and the bar's colour is in
    neither the product nor the backdrop; only its crisp outline says it was product."""
    im = Image.new("RGB", (240, 180), WHITE)
    draw = ImageDraw.Draw(im)
    draw.rectangle((60, 60, 180, 150), fill=(30, 40, 90))
    draw.rectangle((100, 44, 140, 59), fill=(214, 214, 220))
    matte = np.zeros((180, 240), np.uint8)
    matte[60:151, 60:181] = 255
    whole = matte.copy()
    whole[44:60, 100:141] = 255
    assert check_integrity(im, whole, method="plain", model=NO_NET).ok
    report = check_integrity(im, matte, method="plain", model=NO_NET)
    assert templates(report) == {integrity.LOST}, report.measurements
    assert 0.03 < report.measurements["lost_sharp"] < 0.25


def test_punched_holes_are_holes():
    im, matte = card()
    matte[95:125, 60:100] = 0
    report = check_integrity(im, matte, method="plain")
    assert templates(report) == {integrity.HOLES}
    share = report.reasons[0]["params"]["share"]
    assert share == f"{report.measurements['holes_colour']:.0%}" and share != "0%"


def test_a_see_through_product_fails():
    im, matte = card()
    matte[85:135, 50:190] = 100  # 39 % alpha over half the card
    report = check_integrity(im, matte, method="plain")
    assert integrity.SEE_THROUGH in templates(report)
    assert report.measurements["semi"] >= 0.3


def test_blotchy_edges_fail():
    im, matte = card()
    on = matte >= 128
    sdf = ndimage.distance_transform_edt(on) - ndimage.distance_transform_edt(~on)
    noise = ndimage.gaussian_filter(np.random.default_rng(3).normal(size=on.shape), 2.0)
    blotchy = ((sdf + 6 * noise / noise.std()) > 0).astype(np.uint8) * 255
    report = check_integrity(im, blotchy, method="plain")
    assert integrity.RAGGED_EDGES in templates(report), report.measurements
    assert report.measurements["ragged"] >= integrity.RAGGED


def test_on_a_busy_backdrop_without_the_net_colours_and_edges_still_judge():
    rng = np.random.default_rng(5)
    noise = ndimage.zoom(rng.integers(0, 256, (18, 24, 3)), (10, 10, 1), order=1)
    noise[..., 2] = 0  # reds, greens and browns: none of the card's colours
    im, matte = card()
    photo = Image.fromarray(np.where(matte[..., None] >= 128, np.asarray(im), noise)
                            .astype(np.uint8))  # fmt: skip
    whole = check_integrity(photo, matte, method="network", model=NO_NET)
    assert not whole.measurements["plain"] and "net_iou" not in whole.measurements
    assert whole.ok, whole.measurements
    matte[:, 120:] = 0
    half = check_integrity(photo, matte, method="network", model=NO_NET)
    assert templates(half) & {integrity.CUT_THROUGH, integrity.DISAGREE}, half.measurements
    assert half.measurements["weak_run"] >= integrity.CUT_RUN  # the cut down the middle


def busy_card():
    """The grey card on a busy backdrop of reds, greens and browns; photo and true matte."""
    rng = np.random.default_rng(5)
    noise = ndimage.zoom(rng.integers(0, 256, (18, 24, 3)), (10, 10, 1), order=1)
    noise[..., 2] = 0
    im, matte = card()
    photo = np.where(matte[..., None] >= 128, np.asarray(im), noise).astype(np.uint8)
    return photo, matte


def test_a_net_made_matte_fading_out_over_a_solid_product_fails():
    # A t-shirt on a wooden floor whose matte dissolves towards the hem: the net's own soft
    # edge cannot vouch for itself; the photo shows solid grey cloth there, not the floor.
    photo, matte = busy_card()
    faded = matte.copy()
    faded[124:141] = (faded[124:141] * 0.45).astype(np.uint8)
    report = check_integrity(Image.fromarray(photo), faded, method="network", model=NO_NET)
    assert integrity.SEE_THROUGH in templates(report), report.measurements
    assert integrity.SEE_THROUGH_NET <= report.measurements["semi"] < integrity.SEE_THROUGH_SHARE


def test_glass_that_shows_the_backdrop_through_it_is_not_see_through_damage():
    # The same soft area over pixels that show the backdrop (glass): no solid body there.
    photo, matte = busy_card()
    glass = matte.copy()
    glass[110:141] = (glass[110:141] * 0.45).astype(np.uint8)
    rng = np.random.default_rng(5)
    noise = ndimage.zoom(rng.integers(0, 256, (18, 24, 3)), (10, 10, 1), order=1)
    noise[..., 2] = 0
    photo[110:141] = np.where(matte[110:141, :, None] >= 128,
                              (0.8 * noise[110:141] + 0.2 * 200).astype(np.uint8),
                              photo[110:141])  # fmt: skip
    report = check_integrity(Image.fromarray(photo), glass, method="network", model=NO_NET)
    assert integrity.SEE_THROUGH not in templates(report), report.measurements
    assert report.measurements["semi_solid"] < integrity.SEE_SOLID * report.measurements["semi"]


def test_an_uploaded_cutout_is_trusted_but_parts_dropped_from_it_count():
    im, matte = card()
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.fromarray(matte))
    assert check_integrity(rgba, matte, method="alpha").ok
    dropped = matte.copy()
    dropped[:, :100] = 0
    report = check_integrity(rgba, dropped, method="alpha")
    assert templates(report) == {integrity.LOST} and report.measurements["lost_own"] > 0.3


def test_odd_inputs_never_raise():
    im, matte = card()
    empty = check_integrity(im, np.zeros_like(matte), method="plain")
    assert not empty.ok and templates(empty) == {integrity.EMPTY}
    assert check_integrity(Image.new("RGB", (1, 1)), np.zeros((1, 1), np.uint8),
                           method="plain").ok  # fmt: skip
    # A matte of another size is resized; a broken model only removes the net's evidence.
    small = check_integrity(im, matte[::2, ::2], method="plain", model=NO_NET)
    assert small.ok and "net_kept" not in small.measurements
    json.dumps(small.as_dict())  # JSON-able for the rendition's meta


def test_merge_withholds_every_marketplace_pass_when_review_is_needed():
    shot = Image.new("RGB", (1000, 1000), WHITE)
    ImageDraw.Draw(shot).rectangle((75, 200, 924, 800), fill=(30, 60, 120))
    report = compliance.check(encode(shot, "jpeg", quality=90, full_chroma=True))
    assert report["amazon_main"]["pass"] and report["google_merchant"]["pass"]
    bad = {"ok": False, "reasons": [{"template": integrity.HOLES, "params": {"share": "7%"}}]}
    merged = compliance.add_integrity(report, bad)
    assert merged["review_needed"] is True and merged["integrity"]["ok"] is False
    assert not merged["amazon_main"]["pass"] and not merged["google_merchant"]["pass"]
    first = merged["warnings"][0]
    assert first["about"] == "integrity" and first["template"] % first["params"] == (
        "the cutout has holes (7% of the product's area) where the photo shows the product")
    again = compliance.add_integrity(merged, {"ok": True, "reasons": []})
    assert again["amazon_main"]["pass"] and again["review_needed"] is False


def test_renders_reports_review_needed_when_the_cutout_loses_the_cards_body():
    """The gift card of the issue: a net that sees only the stripe and the logo cuts them out
    alone; the packshot is pure white and well filled, yet must say review needed, not ✓."""
    im, _ = card()
    blind = SegModel("stub", {}, SaturatedOnly(), 160)
    spec = RenderSpec(outputs=("packshot",), cutout_method="network")
    (shot,) = run(im, spec, Context(models={"cutout": blind}))
    report = shot.meta["compliance"]
    assert report["review_needed"] is True and not report["integrity"]["ok"]
    assert not report["amazon_main"]["pass"] and not report["google_merchant"]["pass"]
    assert {r["template"] for r in report["integrity"]["reasons"]} == {integrity.LOST}
    rules = {r["rule"]: r["pass"] for r in report["amazon_main"]["rules"]}
    assert rules["white_background"] and rules["fill"] and not rules["product_intact"]
    assert report["warnings"][0]["about"] == "integrity"
    (good,) = run(im, RenderSpec(outputs=("packshot",)), Context())
    assert good.meta["compliance"]["review_needed"] is False
    assert good.meta["compliance"]["amazon_main"]["pass"]


def test_a_stored_report_rescores_to_the_same_verdict():
    """``verdict`` on a report's JSON-stored measurements gives its reasons (what the
    benchmark's ``--rescore`` relies on), for a whole product, a damaged one and an upload's
    own cutout that lost a part."""
    im, matte = card()
    holed = matte.copy()
    holed[95:125, 60:100] = 0
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.fromarray(matte))
    dropped = matte.copy()
    dropped[:, :100] = 0
    reports = [check_integrity(im, matte, method="plain"),
               check_integrity(im, holed, method="plain"),
               check_integrity(rgba, dropped, method="alpha")]  # fmt: skip
    assert [r.ok for r in reports] == [True, False, False]
    for report in reports:
        stored = json.loads(json.dumps(report.measurements))
        assert integrity.verdict(stored) == report.reasons
