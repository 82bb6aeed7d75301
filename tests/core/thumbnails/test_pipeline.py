"""The thumbnail pipeline end to end on tiny images: sizes, modes, keys, meta, determinism."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gan_imaging.core.errors import SpecError
from gan_imaging.core.imaging.quality import SsimReference, luma
from gan_imaging.core.pipelines import PIPELINES, Context
from gan_imaging.core.pipelines.thumbnail_plan import decode_hint, plan_widths
from gan_imaging.core.pipelines.thumbnails import VERSION, run
from gan_imaging.core.specs import ThumbnailSpec
from tests.core.thumbnails.conftest import packshot, textured


def renditions(outs):
    return [o for o in outs if o.key != "lqip"]


def test_pipeline_is_registered_with_the_new_version():
    p = PIPELINES.get("thumbnails")
    assert p.version == VERSION == "thumbnails-7" and p.device == "cpu"
    assert p.spec_type is ThumbnailSpec


def test_fit_and_fill_ladders_have_exact_sizes():
    spec = ThumbnailSpec(
        widths=(200, 120, 64), formats=("jpeg",), fill=("1:1", "4:5"), quality="fixed"
    )
    outs = renditions(run(textured(240, 180), spec, Context()))
    got = [(o.meta["mode"], o.meta["aspect"], o.width, o.height) for o in outs]
    assert got == [
        ("fit", None, 200, 150), ("fit", None, 120, 90), ("fit", None, 64, 48),
        # A 180 px tall photo gives a 180 px square, so 200 would be an upscale.
        ("fill", "1:1", 120, 120), ("fill", "1:1", 64, 64),
        ("fill", "4:5", 120, 150), ("fill", "4:5", 64, 80),
    ]  # fmt: skip
    for o in outs:
        with Image.open(io.BytesIO(o.data)) as im:
            assert im.size == (o.width, o.height) and im.format == "JPEG"


def test_never_upscales_and_a_small_source_gets_one_rendition_at_its_width():
    assert plan_widths(ThumbnailSpec(widths=(320, 640)), 500) == [320]
    outs = renditions(
        run(textured(100, 60), ThumbnailSpec(widths=(320, 640), formats=("webp",)), Context())
    )
    assert [(o.width, o.height) for o in outs] == [(100, 60)]
    assert max(o.width for o in outs) <= 100


def test_every_output_has_a_unique_key_and_the_required_meta():
    spec = ThumbnailSpec(widths=(160, 80), formats=("avif", "webp", "jpeg"), fill=("1:1",))
    outs = run(textured(240, 180), spec, Context())
    keys = [o.key for o in outs]
    assert len(keys) == len(set(keys)) == 2 * 2 * 3 + 1
    for o in renditions(outs):
        assert ".auto970." in o.key and o.key.startswith(f"{o.width}w.")
        assert isinstance(o.meta["quality"], int) and 1 <= o.meta["quality"] <= 100
        assert o.meta["ssim"] >= 0.97 and o.meta["mode"] in ("fit", "fill")
        assert o.meta["aspect"] in (None, "1:1")
    lqip = outs[-1]
    assert lqip.key == "lqip" and lqip.format == "webp" and lqip.meta["placeholder"] is True
    assert lqip.meta["data_uri"].startswith("data:image/webp;base64,")
    assert len(lqip.meta["blurhash"]) == 28


def test_keys_name_every_parameter_that_changes_bytes():
    base = dict(widths=(64,), formats=("jpeg",), fill=("1:1",))
    im = textured(120, 90)

    def keys(**kw):
        return {o.key for o in renditions(run(im, ThumbnailSpec(**{**base, **kw}), Context()))}

    assert keys() == {"64w.auto970.jpg", "64w.1x1.auto970.jpg"}
    assert keys(quality="fixed", jpeg_quality=70) == {"64w.q70.jpg", "64w.1x1.q70.jpg"}
    assert keys(ssim_floor=0.955) == {"64w.auto955.jpg", "64w.1x1.auto955.jpg"}
    assert "64w.1x1-f250-750.auto970.jpg" in keys(focal_point=(0.25, 0.75))
    assert "64w.auto970.bg00ff00.jpg" in keys(background="#00FF00")


def test_auto_quality_meets_the_floor_and_stores_what_it_measured():
    im = textured(200, 150)
    spec = ThumbnailSpec(widths=(160, 96), formats=("jpeg", "webp"), ssim_floor=0.97)
    for o in renditions(run(im, spec, Context())):
        ref = SsimReference(luma(im.resize((o.width, o.height), Image.Resampling.LANCZOS)))
        with Image.open(io.BytesIO(o.data)) as dec:
            measured = ref.score_iw(luma(dec))
        assert o.meta["ssim"] >= 0.97
        # Independent check against a direct (non-cascaded) resize agrees closely.
        assert measured == pytest.approx(o.meta["ssim"], abs=0.01)


def test_auto_quality_is_lower_for_a_flat_packshot_than_for_a_busy_photo():
    spec = ThumbnailSpec(widths=(160,), formats=("jpeg",))
    flat = renditions(run(packshot(200, 200, (60, 60, 140, 140)), spec, Context()))[0]
    busy = renditions(run(textured(200, 200), spec, Context()))[0]
    assert flat.meta["quality"] < busy.meta["quality"]


@pytest.mark.parametrize("search", ["predict", "exact"])
def test_auto_quality_bytes_do_not_depend_on_how_many_threads_encode(monkeypatch, search):
    # One worker runs each chain strictly in order; eight let neighbours of a chain and the
    # formats' chains overlap. Each rendition learns only from those finished before it starts.
    spec = ThumbnailSpec(widths=(192, 160, 128, 96, 64, 48), formats=("avif", "webp", "jpeg"),
                         fill=("1:1",), quality_search=search)
    got = []
    for workers in (1, 8):
        monkeypatch.setattr("gan_imaging.core.pipelines.thumbnails.os.cpu_count",
                            lambda n=workers: n)
        got.append([(o.key, o.data, o.meta) for o in run(textured(200, 150, 3), spec, Context())])
    assert got[0] == got[1] and len(got[0]) == 6 * 3 + 4 * 3 + 1  # the square: 150 px and under


def test_same_input_gives_same_bytes():
    spec = ThumbnailSpec(widths=(160, 80), formats=("avif", "webp", "jpeg"), fill=("4:5",))
    a = run(textured(200, 150, seed=7), spec, Context())
    b = run(textured(200, 150, seed=7), spec, Context())
    assert [(o.key, o.data, o.meta) for o in a] == [(o.key, o.data, o.meta) for o in b]


def test_focal_point_keeps_a_corner_marker_in_every_fill_rendition():
    im = Image.new("RGB", (300, 150), (120, 120, 120))
    im.paste((255, 0, 0), (280, 5, 295, 20))
    spec = ThumbnailSpec(
        widths=(100,), formats=("png",), fit=False, fill=("1:1",), focal_point=(0.95, 0.08)
    )
    (out,) = renditions(run(im, spec, Context()))
    with Image.open(io.BytesIO(out.data)) as crop:
        reds = [p for p in crop.convert("RGB").get_flattened_data() if p[0] > 200 and p[1] < 60]
    assert reds and out.meta["mode"] == "fill"


def test_alpha_is_kept_for_webp_and_flattened_for_jpeg():
    im = Image.new("RGBA", (64, 64), (0, 0, 255, 0))
    im.paste((255, 0, 0, 255), (0, 0, 32, 64))
    spec = ThumbnailSpec(widths=(64,), formats=("jpeg", "webp"), background="#00ff00")
    outs = {o.format: o for o in renditions(run(im, spec, Context()))}
    with Image.open(io.BytesIO(outs["jpeg"].data)) as jpeg:
        r, g, b = jpeg.convert("RGB").getpixel((60, 32))
    assert g > 200 and r < 60 and b < 60
    with Image.open(io.BytesIO(outs["webp"].data)) as webp:
        assert webp.mode == "RGBA" and webp.getpixel((60, 32))[3] == 0


def test_decode_hint_is_the_smallest_size_that_loses_no_rendition_pixels():
    spec = ThumbnailSpec(widths=(640, 320))
    assert decode_hint(spec, 4000, 3000) == (640, 480)
    assert decode_hint(spec, 1000, 800) is None  # 640/1000 > 1/2: no JPEG scale helps
    square = ThumbnailSpec(widths=(640, 320), fit=False, fill=("1:1",))
    assert decode_hint(square, 4000, 2000) == (1280, 640)  # the 2000 px square must stay ≥ 640


def test_progress_is_reported_and_ends_at_one():
    seen = []
    run(textured(100, 80), ThumbnailSpec(widths=(64, 32), formats=("jpeg",)),
        Context(progress=seen.append))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.parametrize(
    "bad",
    [
        {"quality": "best"}, {"ssim_floor": 0.5}, {"ssim_floor": 1.0}, {"ssim_floor": "high"},
        {"fill": ("square",)}, {"fill": ("0:1",)}, {"fill": ("1:20",)}, {"fill": "1:1"},
        {"fit": False}, {"focal_point": (1.5, 0.5)}, {"focal_point": (0.5,)},
        {"widths": (True,)}, {"avif_quality": 101},
    ],
)  # fmt: skip
def test_invalid_specs_are_refused_with_a_message(bad):
    with pytest.raises(SpecError) as err:
        ThumbnailSpec(**bad)
    assert str(err.value).endswith(".")


def test_spec_round_trips_through_json_form():
    spec = ThumbnailSpec(fill=("1:1", "4:5"), focal_point=(0.25, 0.75), quality="fixed")
    again = ThumbnailSpec.from_dict(spec.to_dict())
    assert again == spec and again.focal_point == (0.25, 0.75)
    assert spec.to_dict()["fill"] == ["1:1", "4:5"]


@pytest.mark.parametrize("size", [(1, 1), (1, 60), (60, 1), (2, 2), (3, 200), (200, 3), (17, 9)])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_tiny_and_extreme_images_give_valid_outputs(size, mode):
    im = textured(max(size[0], 8), max(size[1], 8)).resize(size).convert(mode)
    spec = ThumbnailSpec(widths=(64, 16), formats=("avif", "webp", "jpeg"), fill=("1:1", "4:5"))
    for quality in ("auto", "fixed"):
        outs = run(im, ThumbnailSpec(**{**spec.to_dict(), "quality": quality}), Context())
        assert outs[-1].key == "lqip"
        for o in renditions(outs):
            with Image.open(io.BytesIO(o.data)) as dec:
                assert dec.size == (o.width, o.height) and o.width >= 1 and o.height >= 1
            assert o.width <= max(size[0], 16)


def test_preview_is_one_fast_format_at_fixed_quality_without_upscaling():
    from gan_imaging.core.pipelines.thumbnails import preview_spec

    full = ThumbnailSpec(widths=(200, 64), fill=("1:1",), max_upscale=2)
    preview = preview_spec(full)
    assert preview is not None
    assert (preview.formats, preview.quality, preview.max_upscale) == (("jpeg",), "fixed", 1)
    assert (preview.widths, preview.fill) == (full.widths, full.fill)
    assert preview_spec(ThumbnailSpec(formats=("avif", "webp"))).formats == ("webp",)
    assert preview_spec(ThumbnailSpec(formats=("jpeg",), quality="fixed")) is None
    outs = renditions(run(textured(240, 180), preview, Context()))
    assert {o.format for o in outs} == {"jpeg"}
    # The 180 px square covers only 64 px; nothing is upscaled.
    assert sorted((o.meta["mode"], o.width) for o in outs) == [
        ("fill", 64), ("fit", 64), ("fit", 200)]
