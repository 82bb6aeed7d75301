"""The merchant sees the product-integrity verdict: a packshot whose cutout lost the product's
body says "Review needed" with the reason on the admin change page, and no marketplace ✓."""

import re

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from gan_imaging import jobs
from gan_imaging.core.pipelines import Context
from gan_imaging.core.pipelines.renders import RenderSpec, run
from gan_imaging.core.vision.segnet import SegModel
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


class SaturatedOnly(torch.nn.Module):
    """A broken segmentation net: it sees saturated colours only (the card's stripe and logo),
    never the grey body: the failure of the issue's gift card."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = x.max(dim=1, keepdim=True).values - x.min(dim=1, keepdim=True).values
        return (spread - 0.3) * 40


def card() -> Image.Image:
    """A grey gift card with a yellow stripe and a dark logo on white."""
    im = Image.new("RGB", (240, 180), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((40, 40, 200, 140), 8, fill=(150, 152, 156))
    draw.rectangle((40, 62, 200, 80), fill=(240, 200, 30))
    draw.ellipse((150, 100, 180, 130), fill=(30, 40, 90))
    return im


def packshot_meta(model: SegModel | None, output: str = "packshot") -> dict:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        spec = RenderSpec(outputs=(output,), cutout_method="network" if model else "auto",
                          scene_aspects=("1:1",), scene_styles=("paper-sweep",),
                          scene_long_side=256)  # fmt: skip
        (shot, *_rest) = run(card(), spec, Context(models={"cutout": model} if model else {}))
    finally:
        torch.set_num_threads(threads)
    return shot.meta


def compliance_html(admin_client, meta: dict) -> str:
    """The change page's compliance block of a rendition carrying ``meta``."""
    product = Product(name="Gift card", price="3.00")
    product.image = SimpleUploadedFile("card.jpg", make_photo(320, 240))
    product.save()
    jobs.execute(Job.objects.get(object_id=str(product.pk)).pk, owner="w")
    # One of the photo's JPEG renditions stands in for the packshot row the renders job writes.
    row = Rendition.objects.filter(object_id=str(product.pk), kind="thumbnails", format="jpeg",
                                   state="current").exclude(file="").first()  # fmt: skip
    Rendition.objects.filter(pk=row.pk).update(kind="renders", meta=meta)
    page = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    found = re.findall(r'<div class="gan-compliance".*?</div>\s*</figure>', page, re.S)
    assert len(found) == 1 and 'data-kind="renders"' in page
    return found[0]


def test_a_packshot_that_lost_the_cards_body_says_review_needed_with_the_reason(admin_client):
    meta = packshot_meta(SegModel("stub", {}, SaturatedOnly(), 160))
    report = meta["compliance"]
    # The marketplace rules alone would tick it: white, well filled.
    rules = {r["rule"]: r["pass"] for r in report["amazon_main"]["rules"]}
    assert rules["white_background"] and rules["fill"] and not rules["product_intact"]
    html = compliance_html(admin_client, meta)
    assert 'data-review-needed="1"' in html
    assert "Review needed: part of the product is missing from the cutout" in html
    assert "✓" not in html and "⚠" in html


def test_a_whole_card_keeps_its_marketplace_ticks(admin_client):
    html = compliance_html(admin_client, packshot_meta(None))
    assert "Review needed" not in html and "data-review-needed" not in html
    assert html.count("✓") == 2


@pytest.mark.parametrize("output", ["scenes", "cutout"])
def test_scenes_and_cutouts_of_a_damaged_product_say_review_needed_too(admin_client, output):
    # Not only the packshot: a scene made from the card's stripe and logo is as unpublishable.
    meta = packshot_meta(SegModel("stub", {}, SaturatedOnly(), 160), output)
    assert "compliance" not in meta and not meta["cutout"]["integrity"]["ok"]
    html = compliance_html(admin_client, meta)
    assert 'data-review-needed="1"' in html
    assert "Review needed: part of the product is missing from the cutout" in html
    assert packshot_meta(None, output)["cutout"]["integrity"] == {"ok": True, "reasons": []}
