"""The admin shows generated images and job state; actions are permission-gated."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gan_imaging import jobs
from gan_imaging.jobs.runners import DEFER_LIMIT_S
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/catalog/product/"


def make_product(name="Vase") -> Product:
    product = Product(name=name, price="3.00")
    product.image = SimpleUploadedFile("vase.jpg", make_photo(700, 700))
    product.save()
    return product


def staff(client, *perms: str) -> User:
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    codenames = ["view_product", "change_product", *perms]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_change_page_shows_previews_and_job_status(admin_client):
    product = make_product()
    page = admin_client.get(f"{LIST_URL}{product.pk}/change/").content.decode()
    assert "Generated images" in page and "gan-status-pending" in page
    jobs.execute(Job.objects.get().pk, owner="w")
    page = admin_client.get(f"{LIST_URL}{product.pk}/change/").content.decode()
    assert "gan-status-ready" in page
    for r in Rendition.objects.filter(state="current").exclude(file=""):
        assert r.file.url in page
    assert "640×640 webp" in page and "640×640" in page


def test_failure_reason_is_shown_in_words(admin_client):
    product = make_product()
    Job.objects.update(status="failed", error_message="The image file is damaged.")
    page = admin_client.get(f"{LIST_URL}{product.pk}/change/").content.decode()
    assert "The image file is damaged." in page and "gan-status-failed" in page


def test_list_shows_status_column(admin_client):
    make_product()
    page = admin_client.get(LIST_URL).content.decode()
    assert "gan-status-pending" in page


def test_actions_need_the_custom_permission(client):
    product = make_product()
    jobs.execute(Job.objects.get().pk, owner="w")
    staff(client)
    page = client.get(LIST_URL).content.decode()
    assert "gan_regenerate" not in page and "gan_make_renders" not in page
    client.post(LIST_URL, {"action": "gan_regenerate", "_selected_action": [product.pk]})
    assert Job.objects.count() == 1


def test_regenerate_with_permission_queues_a_new_job(client):
    product = make_product()
    jobs.execute(Job.objects.get().pk, owner="w")
    user = staff(client, "generate_renditions")
    assert "gan_regenerate" in client.get(LIST_URL).content.decode()
    response = client.post(
        LIST_URL, {"action": "gan_regenerate", "_selected_action": [product.pk]}, follow=True
    )
    assert "Queued 1 job." in response.content.decode()
    newest = Job.objects.order_by("-created_at").first()
    assert newest.status == "queued" and newest.requested_by == user
    # "Generate" only fills gaps: everything is already queued or done.
    response = client.post(
        LIST_URL, {"action": "gan_generate", "_selected_action": [product.pk]}, follow=True
    )
    assert "Queued 0 jobs." in response.content.decode()


def test_selection_cap(admin_client, settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ADMIN_MAX_SELECTION": 1}
    a, b = make_product("A"), make_product("B")
    response = admin_client.post(
        LIST_URL, {"action": "gan_regenerate", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "Select at most 1 items" in response.content.decode()
    assert Job.objects.count() == 2


def test_retry_failed_jobs_action(admin_client):
    make_product()
    Job.objects.update(status="failed", attempts=3)
    response = admin_client.post(
        "/admin/gan_imaging/job/",
        {"action": "retry_failed",
         "_selected_action": list(Job.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert "Requeued 1 job." in response.content.decode()
    assert Job.objects.get().status == "queued"


def test_job_and_rendition_admins_render(admin_client):
    make_product()
    jobs.execute(Job.objects.get().pk, owner="w")
    assert admin_client.get("/admin/gan_imaging/job/").status_code == 200
    assert admin_client.get("/admin/gan_imaging/rendition/").status_code == 200


def test_list_filter_by_generation_status(admin_client):
    ready, _pending, failed = make_product("Ready"), make_product("Pending"), make_product("Bad")
    ready_job = Job.objects.get(object_id=str(ready.pk)).pk
    # Its first pass is shown, then it gives way to Pending's (a fresh upload) until
    # DEFER_LIMIT_S has passed.
    assert jobs.execute(ready_job, owner="w").status == "deferred"
    assert jobs.execute(ready_job, owner="w").status == "deferred"
    Job.objects.filter(pk=ready_job).update(
        created_at=timezone.now() - timedelta(seconds=DEFER_LIMIT_S + 1))
    assert jobs.execute(ready_job, owner="w").status == "succeeded"
    Job.objects.filter(object_id=str(failed.pk)).update(status="failed", error_message="x")
    no_jobs = make_product("Never")
    Job.objects.filter(object_id=str(no_jobs.pk)).delete()

    def names(status):
        page = admin_client.get(f"{LIST_URL}?gan_status={status}")
        return sorted(str(p) for p in page.context["cl"].result_list)

    assert names("ready") == ["Ready"]
    assert names("pending") == ["Pending"]
    assert names("failed") == ["Bad"]
    assert names("none") == ["Never"]


def test_kind_actions_make_renders_and_banners_even_when_not_made_on_upload(client):
    product = make_product()  # ON_UPLOAD is thumbnails only in these tests
    staff(client, "generate_renditions")
    page = client.get(LIST_URL).content.decode()
    assert "gan_make_renders" in page and "gan_make_banners" in page
    for _ in range(2):  # each run is a new seed: a remake, not a no-op
        client.post(LIST_URL, {"action": "gan_make_renders", "_selected_action": [product.pk]})
    renders = Job.objects.filter(kind="renders")
    assert renders.count() == 2 and len({j.seed for j in renders}) == 2
    client.post(LIST_URL, {"action": "gan_make_banners", "_selected_action": [product.pk]})
    banner = Job.objects.get(kind="banners")
    assert banner.spec["headline"] == "Vase"
