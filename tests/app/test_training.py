"""Training GANs on the catalog: admin action, worker/command runner, progress, cancel,
checkpoint files, admin page with loss curve and samples."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from gan_imaging import jobs
from gan_imaging.models import GanModel, Job
from shop.catalog.models import Product
from tests.app.conftest import wait_for_jobs
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db

TINY = {
    "steps": 3, "batch_size": 2, "crop": 32, "log_every": 1,
    "arch_kwargs": {"channels": 3, "z_dim": 4, "n_periodic": 2, "g_width": 4,
                    "g_max_width": 8, "n_up": 4, "d_width": 4},
}


@pytest.fixture(autouse=True)
def tiny_training(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRAINING": {"texture": TINY},
                            "DEVICE": "cpu"}


def products(n: int = 2) -> list[Product]:
    out = []
    for i in range(n):
        p = Product(name=f"Rug {i}", price="9.00")
        p.image = SimpleUploadedFile(f"rug{i}.jpg", make_photo(200 + i, 160))
        p.save()
        out.append(p)
    return out


def train_job(model: GanModel) -> Job:
    return Job.objects.get(kind=jobs.TRAIN_KIND, object_id=str(model.pk))


def test_training_in_process_stores_a_loadable_checkpoint_and_samples(media_root):
    from gan_imaging.core.gan import load

    model = jobs.training.request_training(products(), "image", name="rugs")
    job = train_job(model)
    assert job.status == "queued" and job.spec["config"]["steps"] == 3
    seen = []
    assert jobs.execute(job.pk, owner="w", on_progress=seen.append).status == "succeeded"
    model.refresh_from_db()
    job.refresh_from_db()
    assert model.status == "ready" and model.active and model.version.startswith("texture-rugs-")
    assert [h["step"] for h in model.history] == [1, 2, 3] and seen[-1] == 1.0
    assert model.metrics["photos"] == 2 and job.model_version == model.version
    ckpt = load(media_root / model.checkpoint.name)
    assert ckpt.model_version == model.version
    with Image.open(media_root / model.samples.name) as grid:
        assert grid.format == "PNG" and grid.width > 256


def test_a_second_model_of_the_same_name_is_not_activated_automatically(media_root):
    first = jobs.training.request_training(products(1), "image", name="rugs")
    jobs.execute(train_job(first).pk, owner="w")
    second = jobs.training.request_training(Product.objects.all(), "image", name="rugs")
    jobs.execute(train_job(second).pk, owner="w")
    assert GanModel.objects.get(pk=first.pk).active
    assert not GanModel.objects.get(pk=second.pk).active


def test_cancelling_a_running_training_keeps_what_was_trained(media_root):
    model = jobs.training.request_training(products(1), "image", name="rugs")
    Job.objects.filter(pk=train_job(model).pk).update(cancel_requested=True)
    assert jobs.execute(train_job(model).pk, owner="w").status == "cancelled"
    model.refresh_from_db()
    assert model.status == "cancelled" and not model.active and model.checkpoint
    assert "cancelled" in train_job(model).error_message


def test_cancelling_queued_training_stops_it_before_it_starts():
    model = jobs.training.request_training(products(1), "image", name="rugs")
    assert jobs.training.cancel_training(model) == 1
    assert train_job(model).status == "cancelled"
    assert jobs.execute(train_job(model).pk, owner="w").status == "skipped"


def test_training_needs_photos_and_a_known_arch():
    from gan_imaging.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="photo"):
        jobs.training.request_training([], "image")
    with pytest.raises(ConfigurationError, match="Cannot train"):
        jobs.training.request_training(products(1), "image", arch="stylegan9")


def test_admin_action_needs_the_training_permission(client):
    items = products()
    user = User.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_product",
                                                                      "change_product"]))
    client.force_login(user)
    assert "gan_train" not in client.get("/admin/catalog/product/").content.decode()
    client.post("/admin/catalog/product/", {"action": "gan_train",
                                             "_selected_action": [p.pk for p in items]})
    assert GanModel.objects.count() == 0
    user.user_permissions.add(Permission.objects.get(codename="train_models"))
    response = client.post("/admin/catalog/product/", {
        "action": "gan_train", "_selected_action": [p.pk for p in items]}, follow=True)
    assert "was queued" in response.content.decode()
    model = GanModel.objects.get()
    assert train_job(model).requested_by == user and jobs.queue_for(jobs.TRAIN_KIND) == (
        "gan_imaging.gpu")


def test_model_admin_page_shows_loss_curve_and_samples(admin_client, media_root):
    model = jobs.training.request_training(products(), "image", name="rugs")
    jobs.execute(train_job(model).pk, owner="w")
    page = admin_client.get(f"/admin/gan_imaging/ganmodel/{model.pk}/change/").content.decode()
    assert 'class="gan-loss-curve"' in page and page.count("<polyline") == 2
    assert 'class="gan-samples"' in page and GanModel.objects.get().samples.url in page
    assert admin_client.get("/admin/gan_imaging/ganmodel/").status_code == 200


def test_gan_train_command_runs_here_with_a_progress_bar(media_root, capsys):
    products()
    call_command("gan_train", "catalog.Product", "--name", "cli", "--steps", "2")
    out = capsys.readouterr().out
    assert "100.0 %" in out and "succeeded: texture-cli-" in out
    model = GanModel.objects.get()
    assert model.status == "ready" and model.metrics["steps"] == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_training_from_the_admin_runs_on_a_real_worker(celery_worker, admin_client, media_root):
    items = products()
    response = admin_client.post("/admin/catalog/product/", {
        "action": "gan_train", "_selected_action": [p.pk for p in items]})
    assert response.status_code == 302
    (job,) = wait_for_jobs(Job.objects.filter(kind=jobs.TRAIN_KIND), timeout=120)
    assert job.status == "succeeded", job.error_message
    model = GanModel.objects.get()
    assert model.status == "ready" and len(model.history) == 3
    with Image.open(io.BytesIO((media_root / model.samples.name).read_bytes())) as grid:
        assert grid.size[0] > 0
    # The products' own upload jobs (thumbnails, renders, banners) run on the same
    # session-wide worker: let them finish, or the test database's flush races their writes
    # (PostgreSQL: "deadlock detected" at teardown).
    wait_for_jobs(Job.objects.all(), timeout=300)


def test_inference_uses_the_active_trained_model_or_a_bundled_style(media_root):
    from gan_imaging.jobs import assets as inference

    model = jobs.training.request_training(products(), "image", name="rugs")
    jobs.execute(train_job(model).pk, owner="w")
    model.refresh_from_db()
    assert inference.texture_model("rugs").model_version == model.version
    image = inference.backdrop("rugs", 33, 17, seed=3)
    assert image.size == (33, 17) and image.mode == "RGB"
    assert inference.backdrop("rugs", 33, 17, seed=3).tobytes() == image.tobytes()
    assert image.info["model_version"] == model.version
    bundled = inference.backdrop("brick", 728, 90)
    assert bundled.size == (728, 90)
    # The bundled styles are grey; pipelines colour them with the brand's palette.
    assert bundled.mode == "L" and bundled.info["model_version"].startswith("texture-brick-")


def test_upscaler_fine_tunes_on_the_catalog_and_replaces_the_bundled_one(settings, media_root):
    from gan_imaging.conf import DEFAULTS
    from gan_imaging.jobs import assets as inference

    sr = {**DEFAULTS["TRAINING"]["sr"], "steps": 2, "batch_size": 2, "log_every": 1}
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "TRAINING": {"sr": sr}}
    bundled = inference.model_version("sr", "x2")
    model = jobs.training.request_training(products(), "image", arch="sr", name="ignored")
    assert model.name == "x2"  # upscalers are found by scale
    assert jobs.execute(train_job(model).pk, owner="w").status == "succeeded"
    model.refresh_from_db()
    assert model.status == "ready" and model.active and model.version.startswith("sr-x2-")
    assert inference.model_version("sr", "x2") == model.version != bundled
    with Image.open(media_root / model.samples.name) as grid:  # bicubic | model, per patch
        assert grid.format == "PNG" and grid.width == 2 * sr["crop"]
    out = inference.upscale(Image.new("RGB", (20, 10), (200, 30, 30)), 2)
    assert out.size == (40, 20) and out.info["model_version"] == model.version
