"""The renders pipeline end to end on tiny synthetic photos: sizes, purity, seeds, models."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_imaging.core.errors import InvalidImageError, SpecError
from gan_imaging.core.pipelines import PIPELINES, Context
from gan_imaging.core.pipelines.render_scenes import scene_size
from gan_imaging.core.pipelines.renders import PIPELINE, RenderSpec, run


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def photo(size=(160, 120), bg=(255, 255, 255), box=(50, 20, 110, 100)):
    im = Image.new("RGB", size, bg)
    ImageDraw.Draw(im).rectangle(box, fill=(40, 90, 160))
    return im


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))


def by_key(outputs):
    return {o.key: o for o in outputs}


def test_registered_as_a_seeded_gpu_kind():
    assert PIPELINES.get("renders") is PIPELINE
    assert PIPELINE.seeded and PIPELINE.device == "gpu" and PIPELINE.spec_type is RenderSpec


@pytest.mark.parametrize(
    "bad",
    [{"fill": 0.3}, {"outputs": ("poster",)}, {"cutout_formats": ("jpeg",)},
     {"scene_aspects": ("2:0",)}, {"variants": 0}, {"min_long_side": 3000},
     {"background": "white"}, {"scene_format": "gif"}],
)  # fmt: skip
def test_bad_specs_are_refused(bad):
    with pytest.raises(SpecError):
        RenderSpec(**bad)


def test_spec_round_trips_through_json():
    spec = RenderSpec(scene_aspects=("4:5",), variants=2)
    assert RenderSpec.from_dict(spec.to_dict()) == spec
    assert spec.digest() != RenderSpec().digest()


def test_packshot_is_large_centred_and_pure_white():
    out = by_key(run(photo(), RenderSpec(outputs=("packshot",)), Context()))
    shot = out["packshot.jpg"]
    px = pixels(shot.data)
    assert (shot.format, shot.width, shot.height) == ("jpeg", 1000, 1000)
    assert px.shape == (1000, 1000, 3)
    assert (px[:40] == 255).all() and (px[:, :40] == 255).all()  # untouched white margins
    report = shot.meta["compliance"]
    assert report["amazon_main"]["pass"] and report["google_merchant"]["pass"], report
    assert 0.85 <= round(report["fill"], 2) <= 0.86
    assert shot.meta["upscaler"] == "lanczos" and shot.meta["cutout"]["method"] == "plain"


def test_injected_upscaler_is_used_and_recorded():
    def nearest(im, scale):
        return im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)

    nearest.model_version = "sr-test-1"
    im = photo()
    draw = ImageDraw.Draw(im)
    for x in range(52, 110, 4):  # stripes: Lanczos and nearest-neighbour enlarge them apart
        draw.line((x, 22, x, 98), fill=(230, 200, 40))
    spec = RenderSpec(outputs=("packshot",))
    plain = by_key(run(im, spec, Context()))["packshot.jpg"]
    shot = by_key(run(im, spec, Context(models={"upscale": nearest})))["packshot.jpg"]
    assert shot.meta["upscaler"] == "model" and shot.meta["upscale_model"] == "sr-test-1"
    assert shot.data != plain.data


def test_shadow_makes_the_background_impure_and_the_report_says_so():
    shot = by_key(run(photo(), RenderSpec(outputs=("packshot",), shadow=True), Context()))
    report = shot["packshot.jpg"].meta["compliance"]
    assert not report["amazon_main"]["pass"]
    assert any("not pure white" in w["template"] % w["params"] for w in report["warnings"])


def test_rgba_upload_keeps_product_pixels_in_the_cutout():
    im = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((10, 8, 41, 39), fill=(200, 30, 90, 255))
    out = by_key(run(im, RenderSpec(outputs=("cutout",)), Context()))
    assert set(out) == {"cutout.png", "cutout.webp"}
    png = pixels(out["cutout.png"].data)
    assert png.shape == (32, 32, 4)  # cropped to the product
    assert (png[..., 3] == 255).all() and (png[..., :3] == (200, 30, 90)).all()
    assert out["cutout.png"].meta["cutout"]["method"] == "alpha"


def test_tiny_inputs_are_enlarged_and_blank_ones_refused():
    im = Image.new("RGB", (6, 6), (255, 255, 255))
    im.putpixel((2, 3), (0, 0, 0))
    im.putpixel((3, 3), (0, 0, 0))
    shot = by_key(run(im, RenderSpec(outputs=("packshot",)), Context()))["packshot.jpg"]
    assert (shot.width, shot.height) == (1000, 1000)
    with pytest.raises(InvalidImageError):
        run(Image.new("RGB", (6, 6), (255, 255, 255)), RenderSpec(outputs=("packshot",)),
            Context())  # fmt: skip


SCENES = RenderSpec(outputs=("scenes",), scene_aspects=("1:1", "16:9"), scene_styles=("brick",),
                    variants=2, scene_long_side=256)  # fmt: skip


def test_scenes_have_their_sizes_keys_and_seeds():
    out = run(photo(), SCENES, Context(seed=7))
    assert [o.key for o in out] == [
        "scene-1x1-brick-0.webp", "scene-1x1-brick-1.webp",
        "scene-16x9-brick-0.webp", "scene-16x9-brick-1.webp",
    ]  # fmt: skip
    assert [(o.width, o.height) for o in out] == [(256, 256)] * 2 + [(256, 144)] * 2
    assert [o.meta["seed"] for o in out] == [7, 8, 7, 8]
    assert out[0].meta["backdrop_model"].startswith("texture-brick-")
    assert pixels(out[2].data).shape == (144, 256, 3)
    assert scene_size("4:5", 1000) == (800, 1000)


def test_same_seed_same_bytes_new_seed_new_backdrop():
    a = [o.data for o in run(photo(), SCENES, Context(seed=3))]
    b = [o.data for o in run(photo(), SCENES, Context(seed=3))]
    c = [o.data for o in run(photo(), SCENES, Context(seed=4))]
    assert a == b
    assert a[0] != c[0]


def test_injected_backdrop_is_used_and_recorded():
    def flat(style, width, height, seed):
        return Image.new("RGB", (width, height), (10, 150, 60))

    flat.model_version = "shop-7-abc"
    spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",), scene_styles=("mine",),
                      scene_long_side=256)  # fmt: skip
    (out,) = run(photo(), spec, Context(models={"backdrop": flat}))
    assert out.key == "scene-1x1-mine-0.webp" and out.meta["backdrop_model"] == "shop-7-abc"
    top = pixels(out.data)[5, 128].astype(int)
    assert np.abs(top - (10, 150, 60)).max() <= 30  # the backdrop, lightly vignetted


def test_progress_is_reported_up_to_one():
    seen: list[float] = []
    run(photo(), RenderSpec(outputs=("packshot", "cutout")), Context(progress=seen.append))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3


def test_harmonisation_is_a_small_bounded_tint():
    from gan_imaging.core.vision.compose import harmonise

    product = Image.new("RGBA", (20, 20), (128, 128, 128, 255))
    product.putpixel((0, 0), (128, 128, 128, 0))
    out = np.asarray(harmonise(product, Image.new("RGB", (40, 40), (200, 60, 40)), 0.5))
    r, g, b = (int(v) for v in out[10, 10, :3])
    assert r >= g >= b and r - b > 5  # warmer, as the red backdrop's light would make it
    assert min(r, g, b) >= 128 * 0.88 - 1 and max(r, g, b) <= 128 * 1.12 + 1  # bounded gains
    assert abs(0.299 * r + 0.587 * g + 0.114 * b - 128) <= 4  # about the same brightness
    assert out[0, 0, 3] == 0 and out[10, 10, 3] == 255  # alpha untouched


def test_contact_shadow_sits_under_the_product():
    from gan_imaging.core.vision.shadow import contact_shadow

    alpha = Image.new("L", (80, 120), 255)
    s = np.asarray(contact_shadow(alpha, (400, 400), (160, 100)))
    assert s.shape == (400, 400)
    assert s[215:230, 200].max() > 60  # at the base (y = 100 + 120)
    assert s[:80].max() == 0 and s[:, :100].max() == 0  # nothing above or far beside it
