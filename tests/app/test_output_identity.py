"""Outputs are keyed by everything that made them, and each (object, field, kind) shows one
current set.

Shops reuse one photo for every variant: two products with the same photo but different
banner copy (or focal points) must never share, overwrite or delete each other's files.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gan_imaging import jobs
from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.pipelines import PIPELINES, Context
from gan_imaging.jobs.assets import context_models, job_assets
from gan_imaging.jobs.cleanup import PREVIEW_GRACE_S
from gan_imaging.jobs.sources import upload_limits
from gan_imaging.models import FocalPoint, Job, Rendition, RenditionState
from shop.catalog.models import Product
from tests.app.test_generated_kinds import packshot_photo
from tests.conftest import make_photo

pytestmark = [pytest.mark.django_db, pytest.mark.all_outputs]

BANNERS = {"banners": {"sizes": ["300x250", "320x50"]}}


def product(name: str, price: str, data: bytes) -> Product:
    p = Product(name=name, price=price)
    p.image = SimpleUploadedFile("shared.jpg", data)
    p.save()
    return p


def run_queued(callbacks_fixture) -> None:
    """Run every queued job in-process until none is left (a job whose first pass was shown
    while others waited comes back once), committing as a worker's transactions would."""
    for _round in range(5):
        queued = list(Job.objects.filter(status="queued").order_by("created_at"))
        if not queued:
            return
        for job in queued:
            with callbacks_fixture(execute=True):
                outcome = jobs.execute(job.pk, owner="w")
            assert outcome.status in ("succeeded", "deferred"), Job.objects.get(
                pk=job.pk).error_message


def files_of(obj: Product, kind: str) -> dict[str, str]:
    return {r.spec_key: r.file.name for r in obj.image.renditions.filter(kind=kind)}


def rerender(job: Job) -> dict[str, bytes]:
    """What the pure pipeline makes from this job's own photo, spec and seed."""
    pipeline = PIPELINES.get(job.kind)
    data = jobs.read_source(job.target.image)
    image, _ = decode(data, upload_limits())
    spec = pipeline.spec_type.from_dict(job.spec)
    outs = pipeline.run(image, spec, Context(seed=job.seed, models=context_models(job_assets(job))))
    return {o.key: o.data for o in outs}


def test_two_products_with_one_photo_keep_their_own_banners(
    settings, media_root, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["banners"], "SPECS": BANNERS}
    photo = packshot_photo()
    gift = product("Luma gift card", "25.00", photo)
    other = product("x", "1.00", photo)  # the reviewer's second product
    run_queued(django_capture_on_commit_callbacks)

    mine, theirs = files_of(gift, "banners"), files_of(other, "banners")
    assert set(mine) == set(theirs) == {"300x250.jpg", "320x50.jpg"}
    assert not set(mine.values()) & set(theirs.values())  # no file is shared
    for obj, names in ((gift, mine), (other, theirs)):
        job = Job.objects.get(object_id=str(obj.pk), kind="banners", status="succeeded")
        expected = rerender(job)
        for key, name in names.items():
            # Each row's file is exactly what its own copy makes, not the other product's.
            assert (Path(media_root) / name).read_bytes() == expected[key], (obj.name, key)
    gift_job = Job.objects.get(object_id=str(gift.pk), kind="banners")
    assert gift_job.spec["headline"] == "Luma gift card" and gift_job.spec["price"] == "25.00"

    kept = {n: (Path(media_root) / n).read_bytes() for n in mine.values()}
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert not Rendition.objects.filter(object_id=str(other.pk)).exists()
    assert not any((Path(media_root) / n).exists() for n in theirs.values())
    assert files_of(Product.objects.get(pk=gift.pk), "banners") == mine
    assert {n: (Path(media_root) / n).read_bytes() for n in mine.values()} == kept


def test_focal_points_name_the_crops_and_identical_recipes_share_a_file(
    settings, media_root, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"],
                            "SPECS": {"thumbnails": {"widths": [160], "formats": ["jpeg"],
                                                     "fill": ["1:1"], "quality": "fixed"}}}
    photo = make_photo(640, 320)
    a, b = product("A", "1", photo), product("B", "1", photo)
    run_queued(django_capture_on_commit_callbacks)
    assert files_of(a, "thumbnails") == files_of(b, "thumbnails")  # same inputs, one file

    from django.contrib.contenttypes.models import ContentType

    FocalPoint.objects.create(content_type=ContentType.objects.get_for_model(b),
                              object_id=str(b.pk), field_name="image", x=0.95, y=0.5)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.request(b, "image", ["thumbnails"])
    run_queued(django_capture_on_commit_callbacks)
    fa = files_of(a, "thumbnails")

    def square(obj: Product) -> Path:
        (row,) = [r for r in obj.image.renditions.filter(kind="thumbnails")
                  if (r.meta or {}).get("aspect") == "1:1"]
        return Path(media_root) / row.file.name

    assert square(a) != square(b)
    assert square(a).read_bytes() != square(b).read_bytes()
    # The fit rendition's recipe changed too (the spec holds the focal point), but A's file is
    # untouched and still there.
    assert all((Path(media_root) / n).exists() for n in fa.values())


def test_regenerating_leaves_one_current_set_and_no_stale_rows_files_or_jobs(
    settings, media_root, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["banners"], "SPECS": BANNERS}
    p = product("Kettle", "30.00", packshot_photo(420, 310))
    run_queued(django_capture_on_commit_callbacks)
    first = set(files_of(p, "banners").values())
    source = Job.objects.get(kind="banners").source_hash
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.request(p, "image", ["banners"], force=True, new_seed=True)
        run_queued(django_capture_on_commit_callbacks)
    p = Product.objects.get(pk=p.pk)
    shown = list(p.image.renditions.filter(kind="banners"))
    assert sorted(r.spec_key for r in shown) == ["300x250.jpg", "320x50.jpg"]
    assert len({r.seed for r in shown}) == 1 and shown[0].seed != 0
    assert Rendition.objects.filter(kind="banners").count() == 2  # the rest is gone
    assert not any((Path(media_root) / n).exists() for n in first)
    on_disk = {str(f.relative_to(media_root)) for f in Path(media_root).rglob("*")
               if f.is_file() and f"/banners/{source[:2]}/{source[2:4]}/{source}/" in str(f)}
    assert on_disk == {r.file.name for r in shown}
    assert list(Job.objects.filter(kind="banners").values_list("status", flat=True)) == [
        "succeeded"]


def test_keep_superseded_keeps_history_off_the_page(
    settings, media_root, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["banners"], "SPECS": BANNERS,
                            "KEEP_SUPERSEDED": 1}
    p = product("Kettle", "30.00", packshot_photo())
    run_queued(django_capture_on_commit_callbacks)
    sets = [set(files_of(p, "banners").values())]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.request(p, "image", ["banners"], force=True, new_seed=True)
        run_queued(django_capture_on_commit_callbacks)
        sets.append(set(files_of(Product.objects.get(pk=p.pk), "banners").values()))
    states = {r.file.name: r.state for r in Rendition.objects.filter(kind="banners")}
    assert {n for n, s in states.items() if s == RenditionState.CURRENT} == sets[2]
    assert {n for n, s in states.items() if s == RenditionState.SUPERSEDED} == sets[1]
    assert all((Path(media_root) / n).exists() for n in sets[1] | sets[2])
    assert not any((Path(media_root) / n).exists() for n in sets[0])
    # Asking again for the superseded recipe makes it current again, not "already done".
    assert Job.objects.filter(kind="banners").count() == 3


def test_a_late_older_run_does_not_replace_the_newer_set(
    settings, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["banners"], "SPECS": BANNERS}
    p = product("Kettle", "30.00", packshot_photo())
    older = Job.objects.get(kind="banners")
    with django_capture_on_commit_callbacks(execute=True):
        newer = jobs.request(p, "image", ["banners"], force=True, new_seed=True)[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(newer.pk, owner="w").status == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(older.pk, owner="w").status == "succeeded"
    shown = Product.objects.get(pk=p.pk).image.renditions.filter(kind="banners")
    assert {r.seed for r in shown} == {newer.seed}
    assert Rendition.objects.filter(kind="banners").count() == 2


def test_rows_of_an_unfinished_run_are_not_shown(settings, monkeypatch):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"], "UPSCALE": "never",
                            "SPECS": {"thumbnails": {"widths": [160], "formats": ["jpeg"],
                                                     "quality": "fixed"}}}
    p = product("Lamp", "9", make_photo(400, 300))
    from gan_imaging.jobs import outputs

    seen = []
    real = outputs.save_all

    def save_then_look(*args, **kwargs):
        rows = real(*args, **kwargs)
        seen.append(list(Product.objects.get(pk=p.pk).image.renditions.filter(
            kind="thumbnails")))
        return rows

    monkeypatch.setattr(outputs, "save_all", save_then_look)
    job = Job.objects.get()
    assert jobs.execute(job.pk, owner="w").status == "succeeded"
    assert seen == [[]]  # written but not shown until the job succeeded
    assert Product.objects.get(pk=p.pk).image.renditions.filter(kind="thumbnails").count() == 1


def test_the_sweeper_removes_rows_left_pending_by_a_failed_run(settings, media_root):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"], "SPECS": {
        "thumbnails": {"widths": [160], "formats": ["jpeg"], "quality": "fixed"}}}
    product("Lamp", "9", make_photo(400, 300))
    job = Job.objects.get()
    from gan_imaging.core.pipelines import Output
    from gan_imaging.jobs import outputs

    out = Output("160w.jpg", make_photo(160, 120), "jpeg", 160, 120, {})
    (row,) = outputs.save_all(job, [out], "v1")
    assert row.state == RenditionState.PENDING
    Job.objects.filter(pk=job.pk).update(status="failed")
    assert jobs.sweep().tidied == 1
    assert not Rendition.objects.filter(pk=row.pk).exists()
    assert not (Path(media_root) / row.file.name).exists()


def test_thumbnails_show_a_fixed_quality_preview_first_then_the_final_set(
    settings, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"], "UPSCALE": 2,
                            "SPECS": {"thumbnails": {"widths": [320, 800], "formats": ["webp"]}}}
    p = product("Lamp", "9", make_photo(400, 300))
    from gan_imaging.jobs import outputs

    seen: list[list[tuple[int, object, object]]] = []
    real = outputs.save_all

    def save_then_look(*args, **kwargs):
        rows = real(*args, **kwargs)
        seen.append([(r.width, r.quality, (r.meta or {}).get("stage")) for r in Product.objects
                     .get(pk=p.pk).image.renditions.filter(kind="thumbnails")])
        return rows

    monkeypatch.setattr(outputs, "save_all", save_then_look)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(Job.objects.get().pk, owner="w").status == "succeeded"
    # First pass: fixed quality, only the width the photo covers; shown while the full run
    # (per-image quality, the 800 px width by super-resolution) is made.
    assert seen[0] == []
    assert seen[1] == [(320, 80, "preview")]
    final = list(Product.objects.get(pk=p.pk).image.renditions.filter(kind="thumbnails"))
    assert sorted(r.width for r in final) == [320, 800]
    assert all("stage" not in r.meta and r.meta.get("ssim") for r in final)
    assert any(r.meta.get("upscaled") for r in final)
    # The preview's file stays a grace period for pages rendered a moment ago, then goes.
    (old,) = Rendition.objects.filter(state=RenditionState.SUPERSEDED)
    assert (Path(media_root) / old.file.name).exists()
    assert jobs.tidy() == 0
    Rendition.objects.filter(pk=old.pk).update(superseded_at=timezone.now() - timedelta(
        seconds=PREVIEW_GRACE_S + 1))
    assert jobs.tidy() == 1
    assert not (Path(media_root) / old.file.name).exists()


def test_first_passes_of_waiting_uploads_go_before_the_full_passes(
    settings, django_capture_on_commit_callbacks
):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"],
                            "SPECS": {"thumbnails": {"widths": [320], "formats": ["webp"]}}}
    a = product("A", "1", make_photo(400, 300))
    b = product("B", "1", make_photo(420, 300))
    job_a, job_b = (Job.objects.get(object_id=str(p.pk)) for p in (a, b))

    def shown(p: Product) -> list:
        return [(r.meta or {}).get("stage") for r in Product.objects.get(pk=p.pk)
                .image.renditions.filter(kind="thumbnails")]

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(job_a.pk, owner="w").status == "deferred"  # B waits for a preview
    job_a.refresh_from_db()
    assert (job_a.status, job_a.attempts) == ("queued", 0) and shown(a) == ["preview"]
    rows = Rendition.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(job_a.pk, owner="w").status == "deferred"  # B still waits
    assert Rendition.objects.count() == rows and shown(a) == ["preview"]
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(job_b.pk, owner="w").status == "succeeded"  # nobody left waiting
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.execute(job_a.pk, owner="w").status == "succeeded"  # straight to full
    assert shown(a) == [None] and shown(b) == [None]
