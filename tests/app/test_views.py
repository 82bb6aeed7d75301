"""The job-status endpoint and preview fragment: staff with permission only."""

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from gan_imaging import jobs
from gan_imaging.models import Job
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    p = Product(name="Bowl", price="2.00")
    p.image = SimpleUploadedFile("bowl.jpg", make_photo(500, 400))
    p.save()
    return p


def status_url(*ids) -> str:
    return "/gan-imaging/jobs/status/?ids=" + ",".join(str(i) for i in ids)


def test_staff_with_view_permission_gets_progress(client, product):
    job = Job.objects.get()
    user = User.objects.create_user("s", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(user)
    data = client.get(status_url(job.pk, "not-a-uuid")).json()
    assert data == {"active": 1, "jobs": [{
        "id": str(job.pk), "kind": "thumbnails", "kind_label": "Thumbnails", "status": "queued",
        "status_label": "Queued", "progress": 0.0, "attempts": 0, "max_attempts": 3,
        "error": "", "shown": 0}]}
    jobs.execute(job.pk, owner="w")
    data = client.get(status_url(job.pk)).json()
    assert data["active"] == 0 and data["jobs"][0]["progress"] == 1.0


def test_anonymous_and_non_staff_are_refused(client, product):
    job = Job.objects.get()
    response = client.get(status_url(job.pk))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(User.objects.create_user("shopper", password="x"))
    assert client.get(status_url(job.pk)).status_code == 302
    client.force_login(User.objects.create_user("clerk", password="x", is_staff=True))
    assert client.get(status_url(job.pk)).status_code == 403


def test_preview_fragment_and_change_page_wire_live_updates(admin_client, product):
    jobs.execute(Job.objects.get().pk, owner="w")
    ct = ContentType.objects.get_for_model(Product)
    html = admin_client.get(f"/gan-imaging/previews/{ct.pk}/{product.pk}/").content.decode()
    # A 500×400 photo: 320 px fit and 320 px square crops, in WebP and JPEG.
    assert html.count('class="gan-rendition"') == 4 and "gan-status-ready" in html
    page = admin_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert 'data-status-url="/gan-imaging/jobs/status/"' in page
    assert "gan_imaging/admin-progress.js" in page
