"""The merchant's focal point: set from the admin, carried into the spec, crops regenerated,
older crops dropped."""

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from gan_imaging import jobs
from gan_imaging.models import FocalPoint, Job
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    p = Product(name="Chair", price="5.00")
    p.image = SimpleUploadedFile("chair.jpg", make_photo(900, 500))
    p.save()
    jobs.execute(Job.objects.get().pk, owner="w")
    return p


def url(p) -> str:
    ct = ContentType.objects.get_for_model(Product)
    return f"/gan-imaging/focal-point/{ct.pk}/{p.pk}/image/"


def square_keys(p) -> set[str]:
    """The square crops pages show (the current set)."""
    return {r.spec_key for r in Product.objects.get(pk=p.pk).image.renditions
            if (r.meta or {}).get("aspect") == "1:1"}


def test_setting_the_focal_point_regenerates_square_crops_around_it(admin_client, product):
    before = square_keys(product)
    assert before and not any("-f" in k for k in before)
    response = admin_client.post(url(product), {"x": "0.1", "y": "0.2"})
    assert response.json() == {"x": 0.1, "y": 0.2, "queued": 1}
    assert FocalPoint.objects.get().x == 0.1
    job = Job.objects.filter(status="queued").get()
    assert job.spec["focal_point"] == [0.1, 0.2]
    jobs.execute(job.pk, owner="w")
    after = square_keys(product)
    assert after and all("1x1-f100-200" in k for k in after)
    assert not (after & before)  # the subject-centred crops are gone, files too
    page = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert 'class="gan-focal"' in page and "left:10.00%" in page


@pytest.mark.parametrize("data", [{"x": "2", "y": "0.5"}, {"x": "a", "y": "1"}, {"x": "0.5"}])
def test_out_of_range_or_missing_coordinates_are_refused(admin_client, product, data):
    assert admin_client.post(url(product), data).status_code == 400
    assert not FocalPoint.objects.exists()


def test_focal_point_needs_the_generate_permission_and_a_post(client, product):
    client.force_login(User.objects.create_user("clerk", password="x", is_staff=True))
    assert client.post(url(product), {"x": "0.5", "y": "0.5"}).status_code == 403
    client.force_login(User.objects.create_superuser("boss", password="x"))
    assert client.get(url(product)).status_code == 405
    assert not FocalPoint.objects.exists()
