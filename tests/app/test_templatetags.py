"""Template tags read rows only; a pending image shows a placeholder."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from gan_imaging import jobs
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


def render(source: str, **ctx) -> str:
    return Template("{% load gan_imaging %}" + source).render(Context(ctx))


@pytest.fixture
def product():
    p = Product(name="Teapot", price="20.00")
    p.image = SimpleUploadedFile("teapot.jpg", make_photo(1000, 750))
    p.save()
    return Product.objects.get(pk=p.pk)


def test_pending_picture_shows_the_uploads_lqip(product):
    html = render('{% picture p.image alt="Teapot" %}', p=product)
    assert 'data-gan-pending="1"' in html and 'alt="Teapot"' in html
    assert 'src="data:image/webp;base64,' in html and 'width="32" height="24"' in html
    assert "placeholder.svg" in render("{% thumbnail_url p.image 640 %}", p=product)


def test_pending_picture_without_lqip_is_the_static_placeholder(product):
    Rendition.objects.filter(kind="placeholder").delete()
    product = Product.objects.get(pk=product.pk)
    html = render('{% picture p.image alt="Teapot" %}', p=product)
    assert 'data-gan-pending="1"' in html and "placeholder.svg" in html


def test_ready_picture_has_sources_srcsets_and_dimensions(product):
    jobs.execute(Job.objects.get().pk, owner="w")
    product = Product.objects.get(pk=product.pk)
    html = render('{% picture p.image sizes="50vw" alt="Teapot" class="hero" %}', p=product)
    assert html.startswith("<picture><source type=\"image/webp\"")
    # A 1000 px source: 640 and 320 (1280 would be an upscale).
    assert html.count(" 320w") == 2 and html.count(" 640w") == 2 and "1280w" not in html
    assert 'width="640" height="480"' in html
    assert 'loading="lazy"' in html and 'decoding="async"' in html and 'class="hero"' in html
    assert 'sizes="50vw"' in html
    assert 'style="background:url(data:image/webp;base64,' in html  # LQIP behind the image
    url = render('{% thumbnail_url p.image 600 "jpeg" %}', p=product)
    assert re.search(r"/640w\.auto\d+\.jpg$", url), url
    square = render('{% picture p.image aspect="1:1" %}', p=product)
    assert 'width="640" height="640"' in square and "1x1" in square


def test_tags_touch_no_storage_and_query_once_per_image(product, monkeypatch):
    jobs.execute(Job.objects.get().pk, owner="w")
    product = Product.objects.get(pk=product.pk)

    def forbidden(*a, **k):
        raise AssertionError("a template asked the storage")

    from django.core.files.storage import FileSystemStorage

    monkeypatch.setattr(FileSystemStorage, "exists", forbidden)
    monkeypatch.setattr(FileSystemStorage, "open", forbidden)
    with CaptureQueriesContext(connection) as queries:
        render('{% picture p.image %}{% thumbnail_url p.image 320 %}{% picture p.image %}',
               p=product)
    assert len([q for q in queries if "gan_imaging_rendition" in q["sql"]]) == 1
