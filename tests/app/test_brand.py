"""Brand kits and banner copy: what a product's banner spec options are made of."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from gan_imaging.jobs.brand import banner_options
from gan_imaging.models import BannerCopy, BrandKit
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


def product(name="Desk lamp", price="49.90"):
    p = Product(name=name, price=Decimal(price))
    p.image = SimpleUploadedFile("lamp.jpg", make_photo(300, 200))
    p.save()
    return p


def test_without_a_kit_the_product_speaks_for_itself():
    assert banner_options(product()) == {"headline": "Desk lamp", "price": "49.90"}


def test_default_kit_supplies_look_and_fallback_copy():
    BrandKit.objects.create(name="Acme", default=True, primary_colour="#112233",
                            secondary_colour="#AABBCC", locale="zh-CN", currency="CNY",
                            headline="Spring sale", cta="立即购买", background="texture:brick")
    opts = banner_options(product())
    assert opts["primary"] == "#112233" and opts["secondary"] == "#aabbcc"
    assert (opts["locale"], opts["currency"], opts["background"]) == ("zh-CN", "CNY",
                                                                       "texture:brick")
    # The product's own name beats the kit's default headline; the kit fills the CTA.
    assert (opts["headline"], opts["cta"], opts["price"]) == ("Desk lamp", "立即购买", "49.90")
    assert "logo_name" not in opts


def test_banner_copy_overrides_product_and_picks_its_own_kit(media_root):
    BrandKit.objects.create(name="Default", default=True)
    other = BrandKit.objects.create(name="Outlet", currency="EUR")
    other.logo = SimpleUploadedFile("logo.png", make_photo(64, 32, fmt="PNG"))
    other.save()
    p = product()
    BannerCopy.objects.create(
        content_type=ContentType.objects.get_for_model(Product), object_id=str(p.pk),
        brand_kit=other, headline="Half price lamps", sale_price=Decimal("24.95"), subline="",
    )
    opts = banner_options(p)
    assert (opts["brand_name"], opts["currency"]) == ("Outlet", "EUR")
    assert (opts["headline"], opts["price"], opts["sale_price"]) == (
        "Half price lamps", "49.90", "24.95")
    assert "subline" not in opts  # blank overrides fall through
    assert opts["logo_name"].startswith("gan_imaging/brand/") and len(opts["logo_hash"]) == 16


def test_making_a_kit_the_default_takes_the_flag_from_the_old_one():
    a = BrandKit.objects.create(name="A", default=True)
    b = BrandKit.objects.create(name="B", default=True)
    assert list(BrandKit.objects.filter(default=True)) == [b]
    a.default = True
    a.save()
    assert list(BrandKit.objects.filter(default=True).values_list("name", flat=True)) == ["A"]
    # The database still refuses two defaults written behind the model's back.
    with pytest.raises(IntegrityError), transaction.atomic():
        BrandKit.objects.filter(name="B").update(default=True)


def test_switching_the_default_kit_in_the_admin_just_works(admin_client):
    BrandKit.objects.create(name="Old", default=True)
    form = {"name": "New", "default": "on", "locale": "en-US", "currency": "USD",
            "primary_colour": "#112233", "secondary_colour": "#445566",
            "text_colour": "#ffffff", "background": "gradient"}
    response = admin_client.post("/admin/gan_imaging/brandkit/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(BrandKit.objects.filter(default=True).values_list("name", flat=True)) == ["New"]
    page = admin_client.get(
        f"/admin/gan_imaging/brandkit/{BrandKit.objects.get(name='New').pk}/change/")
    # The help text names a placeholder the browser shows (no "<your model>" tag eaten).
    assert "texture:NAME" in page.content.decode()
