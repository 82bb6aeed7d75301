"""Renders, banners and super-resolution through the job service (in-process execute):
rows, files, recorded model versions, brand kits and "regenerate with a new seed"."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging import jobs
from gan_imaging.core.pipelines import PIPELINES
from gan_imaging.jobs.assets import effective_version, model_version
from gan_imaging.models import BannerCopy, BrandKit, GanModel, Job, Rendition
from shop.catalog.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.all_outputs]


def packshot_photo(width=400, height=300) -> bytes:
    """A dark product on a white studio backdrop."""
    im = Image.new("RGB", (width, height), (255, 255, 255))
    im.paste((40, 60, 140), (width // 4, height // 5, width * 3 // 4, height * 4 // 5))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95)
    return buf.getvalue()


def make(settings, kinds, name="Blue box", **extra):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": kinds, **extra}
    product = Product(name=name, price="19.99")
    product.image = SimpleUploadedFile("box.jpg", packshot_photo())
    product.save()
    return product


def run_all():
    for job in Job.objects.filter(status="queued"):
        assert jobs.execute(job.pk, owner="w").status == "succeeded", job.error_message


def test_small_source_gets_upscaled_thumbnails_recording_the_model(settings, media_root):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"thumbnails": {"widths": [800, 320], "formats": ["jpeg"]}}}
    make(settings, ["thumbnails"], UPSCALE="when_needed")
    job = Job.objects.get()
    assert "+" in job.model_version  # the SR models' versions are part of it
    run_all()
    rows = {r.width: r for r in Rendition.objects.filter(kind="thumbnails", format="jpeg",
                                                         state="current")}
    assert set(rows) == {800, 320}
    assert rows[800].meta["upscaled"] == {"scale": 2, "model": model_version("sr", "x2")}
    assert "upscaled" not in rows[320].meta
    with Image.open(media_root / rows[800].file.name) as im:
        assert im.size == (800, 600)


def test_never_upscale_skips_wider_widths(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"thumbnails": {"widths": [800, 320], "formats": ["jpeg"]}}}
    make(settings, ["thumbnails"], UPSCALE="never")
    run_all()
    assert sorted(Rendition.objects.filter(kind="thumbnails", state="current")
                  .values_list("width", flat=True)
                  ) == [320]


def test_renders_make_a_compliant_packshot_cutout_and_scenes(settings, media_root):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"renders": {"scene_aspects": ["1:1"],
                                                  "scene_styles": ["brick"]}}}
    make(settings, ["renders"])
    run_all()
    rows = {r.spec_key: r for r in Rendition.objects.filter(kind="renders")}
    assert set(rows) == {"packshot.jpg", "cutout.png", "cutout.webp", "scene-1x1-brick-0.webp"}
    packshot = rows["packshot.jpg"]
    assert max(packshot.width, packshot.height) >= 1000
    assert packshot.meta["compliance"]["amazon_main"]["pass"] is True
    # A 200 px wide product reaches the 1000 px minimum through the bundled upscaler.
    assert packshot.meta["upscaler"] == "model"
    assert packshot.meta["upscale_model"] == model_version("sr", "x4")
    with Image.open(media_root / packshot.file.name) as im:
        assert im.convert("RGB").getpixel((3, 3)) == (255, 255, 255)
    with Image.open(media_root / rows["cutout.png"].file.name) as im:
        assert im.mode == "RGBA" and im.getchannel("A").getextrema() == (0, 255)
    scene = rows["scene-1x1-brick-0.webp"]
    assert scene.meta["backdrop_model"] == model_version("texture", "brick")


def test_regenerate_draws_a_new_seed_for_renders_only(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"renders": {"outputs": ["scenes"], "scene_aspects": ["1:1"],
                                                  "scene_styles": ["gravel"],
                                                  "scene_long_side": 256}}}
    product = make(settings, ["renders"])
    run_all()
    first = Rendition.objects.get(kind="renders")
    created = jobs.request(product, "image", ["renders"], force=True, new_seed=True)
    run_all()
    assert created and created[0].seed != 0
    shown = Product.objects.get(pk=product.pk).image.renditions.filter(kind="renders")
    assert {r.seed for r in shown} == {created[0].seed}  # the new set replaces the old one
    newest = shown.get()
    assert newest.file.name != first.file.name


def test_banners_follow_the_brand_kit_and_copy(settings, media_root):
    kit = BrandKit.objects.create(name="Acme", default=True, primary_colour="#102040",
                                  locale="zh-CN", currency="CNY", cta="立即购买")
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"banners": {"sizes": ["300x250", "728x90"]}}}
    product = make(settings, ["banners"])
    job = Job.objects.get(kind="banners")
    assert (job.spec["locale"], job.spec["currency"], job.spec["headline"]) == (
        "zh-CN", "CNY", "Blue box")
    run_all()
    rows = {r.spec_key: r for r in Rendition.objects.filter(kind="banners")}
    assert set(rows) == {"300x250.jpg", "728x90.jpg"}
    for r in rows.values():
        assert r.meta["budget_met"] and r.meta["contrast_ok"] and r.bytes <= r.meta["budget"]
        with Image.open(media_root / r.file.name) as im:
            assert im.size == (r.width, r.height)
    # The merchant's copy changes the spec, so "Generate" makes new banners.
    BannerCopy.objects.create(content_type=ContentType.objects.get_for_model(Product),
                              object_id=str(product.pk), brand_kit=kit, headline="春季特卖")
    again = jobs.request(product, "image", ["banners"])
    assert again and again[0].spec["headline"] == "春季特卖"


def test_activating_a_trained_model_changes_the_effective_version(settings):
    pipeline = PIPELINES.get("renders")
    spec = pipeline.spec_type.from_dict({"scene_styles": ["brick"]})
    before = effective_version(pipeline, spec)
    assert before.startswith(pipeline.version + "+")
    GanModel.objects.create(name="brick", arch="texture", status="ready", active=True,
                            version="texture-brick-shop0001")
    assert model_version("texture", "brick") == "texture-brick-shop0001"
    assert effective_version(pipeline, spec) != before


def test_a_photo_without_a_product_fails_its_renders_job_with_a_reason(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["renders", "thumbnails"]}
    product = Product(name="Blank", price="1.00")
    blank = io.BytesIO()
    Image.new("RGB", (300, 200), (255, 255, 255)).save(blank, "JPEG")
    product.image = SimpleUploadedFile("blank.jpg", blank.getvalue())
    product.save()
    for job in Job.objects.all():
        jobs.execute(job.pk, owner="w")
    renders = Job.objects.get(kind="renders")
    assert (renders.status, renders.error_code) == ("failed", "invalid_image")
    assert "No product could be found" in renders.error_message
    # The other kinds of the same photo are unaffected, and nothing half-made is left.
    assert Job.objects.get(kind="thumbnails").status == "succeeded"
    assert not Rendition.objects.filter(kind="renders").exists()


def test_the_brand_kits_logo_is_placed_on_the_banners(settings, media_root):
    kit = BrandKit.objects.create(name="Logo Co", default=True)
    logo = io.BytesIO()
    Image.new("RGBA", (120, 40), (230, 40, 40, 255)).save(logo, "PNG")
    kit.logo = SimpleUploadedFile("logo.png", logo.getvalue())
    kit.save()
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"banners": {"sizes": ["1200x628"]}}}
    make(settings, ["banners"])
    job = Job.objects.get(kind="banners")
    assert job.spec["logo_name"] == kit.logo.name and job.spec["logo_hash"]
    run_all()
    banner = Rendition.objects.get(kind="banners")
    assert "logo" in banner.meta["placed"]


def test_a_kit_naming_a_missing_texture_fails_the_job_not_the_upload(settings):
    BrandKit.objects.create(name="Odd", default=True, background="texture:velvet")
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"banners": {"sizes": ["300x250"]}}}
    product = make(settings, ["banners", "thumbnails"])
    assert Product.objects.filter(pk=product.pk).exists()
    for job in Job.objects.all():
        jobs.execute(job.pk, owner="w")
    banners = Job.objects.get(kind="banners")
    assert banners.status == "failed" and "velvet" in banners.error_message
    assert Job.objects.get(kind="thumbnails").status == "succeeded"


def test_a_product_its_banner_spec_cannot_describe_is_saved_with_a_failed_job(settings):
    settings.GAN_IMAGING = {**settings.GAN_IMAGING,
                            "SPECS": {"banners": {"sizes": ["300x250"]}}}
    product = make(settings, ["thumbnails", "banners"], name=" ")  # no headline, no kit
    assert Product.objects.filter(pk=product.pk).exists()
    refused = Job.objects.get(kind="banners")
    assert (refused.status, refused.error_code) == ("failed", "invalid_spec")
    assert "headline" in refused.error_message
    assert Job.objects.get(kind="thumbnails").status == "queued"
    # Asking again does not pile up failed rows.
    jobs.request(product, "image", ["banners"])
    assert Job.objects.filter(kind="banners").count() == 1


def test_the_gan_sharpened_upscalers_can_be_chosen(settings):
    psnr = model_version("sr", "x2")
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "UPSCALE_VARIANT": "gan"}
    assert model_version("sr", "x2").startswith("sr-x2-gan-") and model_version("sr", "x2") != psnr
    from gan_imaging.jobs import assets as inference

    out = inference.upscale(Image.new("RGB", (16, 12), (20, 120, 200)), 4)
    assert out.size == (64, 48) and out.info["model_version"].startswith("sr-x4-gan-")
