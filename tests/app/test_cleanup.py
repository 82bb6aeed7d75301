"""Outputs of a replaced photo or a deleted item are removed after commit, never before,
and a file another item still uses is kept."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gan_imaging import jobs
from gan_imaging.models import Job, Rendition
from shop.catalog.models import Product
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db


def product_with_renditions(data: bytes, name: str = "Kettle") -> Product:
    p = Product(name=name, price="1.00")
    p.image = SimpleUploadedFile("k.jpg", data)
    p.save()
    for job in Job.objects.filter(object_id=str(p.pk), status="queued"):
        jobs.execute(job.pk, owner="w")
    return Product.objects.get(pk=p.pk)


def existing(media_root, names) -> list[str]:
    return [n for n in names if (Path(media_root) / n).exists()]


def test_replacing_the_photo_removes_old_outputs_only_after_commit(
    media_root, django_capture_on_commit_callbacks
):
    product = product_with_renditions(make_photo(700, 500))
    old_hash = Job.objects.get().source_hash
    old = list(Rendition.objects.exclude(file="").values_list("file", flat=True))
    original = Path(media_root) / product.image.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        product.image = SimpleUploadedFile("k2.jpg", make_photo(400, 400))
        product.save()
    # Before commit nothing is gone.
    assert len(existing(media_root, old)) == len(old) > 0
    assert Rendition.objects.filter(source_hash=old_hash).count() == len(old) + 1  # + LQIP
    for callback in callbacks:
        callback()
    assert not Rendition.objects.filter(source_hash=old_hash).exists()
    assert existing(media_root, old) == []
    assert original.exists()  # the merchant's upload itself is never deleted
    new_job = Job.objects.get(status="queued")
    jobs.execute(new_job.pk, owner="w")
    rows = Product.objects.get().image.renditions
    assert {r.width for r in rows.exclude(kind="placeholder")} == {320}
    assert rows.filter(kind="placeholder").count() == 1


def test_deleting_an_item_removes_its_outputs_but_keeps_files_shared_with_another(
    media_root, django_capture_on_commit_callbacks
):
    data = make_photo(700, 500)
    a = product_with_renditions(data, "A")
    b = product_with_renditions(data, "B")
    def files(p):
        rows = Rendition.objects.filter(object_id=str(p.pk)).exclude(file="")
        return set(rows.values_list("file", flat=True))

    shared = files(a)
    assert shared == files(b)
    with django_capture_on_commit_callbacks(execute=True):
        a.delete()
    assert not Rendition.objects.filter(object_id=str(a.pk)).exists()
    assert len(existing(media_root, shared)) == len(shared)  # B still uses them
    with django_capture_on_commit_callbacks(execute=True):
        b.delete()
    assert Rendition.objects.count() == 0 and existing(media_root, shared) == []


def test_deleting_an_item_cancels_its_queued_jobs(django_capture_on_commit_callbacks):
    p = Product(name="C", price="1.00")
    p.image = SimpleUploadedFile("c.jpg", make_photo())
    p.save()
    with django_capture_on_commit_callbacks(execute=True):
        p.delete()
    job = Job.objects.get()
    assert job.status == "cancelled" and "deleted" in job.error_message


def test_a_photo_replaced_while_the_job_runs_leaves_no_outputs(media_root, monkeypatch):
    product = Product(name="D", price="1.00")
    product.image = SimpleUploadedFile("d.jpg", make_photo(811, 599))
    product.save()
    job = Job.objects.get()
    from gan_imaging.jobs import outputs

    real_save_all = outputs.save_all

    def replace_during_run(*args, **kwargs):
        rows = real_save_all(*args, **kwargs)
        Product.objects.filter(pk=product.pk).update(image="products/other.jpg")
        return rows

    monkeypatch.setattr(outputs, "save_all", replace_during_run)
    assert jobs.execute(job.pk, owner="w").status == "cancelled"
    assert Rendition.objects.count() == 0
    folders = list((Path(media_root) / "gan_imaging").rglob(job.source_hash))
    assert folders and not [p for f in folders for p in f.rglob("*") if p.is_file()]
