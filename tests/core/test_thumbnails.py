import io

import pytest
from PIL import Image

from gan_imaging.core.errors import SpecError
from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.pipelines import PIPELINES, Context
from gan_imaging.core.pipelines.thumbnail_plan import plan_widths
from gan_imaging.core.registry import Registry
from gan_imaging.core.specs import ThumbnailSpec
from tests.conftest import make_photo


def run(data: bytes, **spec):
    """The renditions (the trailing LQIP placeholder output is left out)."""
    image, _ = decode(data)
    pipeline = PIPELINES.get("thumbnails")
    outs = pipeline.run(image, ThumbnailSpec(**spec), Context())
    return [o for o in outs if o.key != "lqip"]


def test_every_width_in_every_format_with_aspect_kept():
    outs = run(make_photo(1000, 500), widths=(640, 320), formats=("webp", "jpeg"))
    got = sorted((o.width, o.height, o.format) for o in outs)
    assert got == [(320, 160, "jpeg"), (320, 160, "webp"), (640, 320, "jpeg"), (640, 320, "webp")]
    for o in outs:
        im = Image.open(io.BytesIO(o.data))
        assert im.format == {"webp": "WEBP", "jpeg": "JPEG"}[o.format]
        assert im.size == (o.width, o.height)


def test_exif_orientation_is_applied_before_resizing():
    im = Image.new("RGB", (400, 200), (200, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    (out,) = run(buf.getvalue(), widths=(100,), formats=("jpeg",))
    assert (out.width, out.height) == (100, 200)


def test_never_upscales_and_small_sources_get_one_rendition_at_their_width():
    assert plan_widths(ThumbnailSpec(widths=(320, 640)), 500) == [320]
    outs = run(make_photo(200, 100), widths=(320, 640), formats=("jpeg",))
    assert [(o.width, o.height) for o in outs] == [(200, 100)]


def test_same_input_gives_same_bytes():
    data = make_photo(640, 480)
    a = [o.data for o in run(data, widths=(320,), formats=("webp", "jpeg", "avif"))]
    b = [o.data for o in run(data, widths=(320,), formats=("webp", "jpeg", "avif"))]
    assert a == b


def test_alpha_is_flattened_on_background_for_jpeg_and_kept_for_webp():
    im = Image.new("RGBA", (64, 64), (0, 0, 255, 0))
    im.paste((255, 0, 0, 255), (0, 0, 32, 64))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    outs = {o.format: o for o in run(buf.getvalue(), widths=(64,), formats=("jpeg", "webp"),
                                     background="#00ff00")}
    jpeg = Image.open(io.BytesIO(outs["jpeg"].data)).convert("RGB")
    r, g, b = jpeg.getpixel((60, 32))
    assert g > 200 and r < 60 and b < 60
    webp = Image.open(io.BytesIO(outs["webp"].data))
    assert webp.mode == "RGBA" and webp.getpixel((60, 32))[3] == 0


def test_outputs_carry_no_metadata():
    im = Image.new("RGB", (300, 200), (10, 100, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes(), comment=b"private note")
    for out in run(buf.getvalue(), widths=(100,), formats=("jpeg", "webp")):
        assert b"SecretCam" not in out.data and b"private note" not in out.data
        assert not Image.open(io.BytesIO(out.data)).getexif()


@pytest.mark.parametrize(
    "bad",
    [{"widths": ()}, {"widths": (0,)}, {"widths": (10_000,)}, {"formats": ("bmp",)},
     {"jpeg_quality": 0}, {"background": "red"}],
)
def test_invalid_specs_are_refused(bad):
    with pytest.raises(SpecError):
        ThumbnailSpec(**bad)


def test_spec_round_trip_and_unknown_option():
    spec = ThumbnailSpec(widths=(320, 640), formats=("webp",))
    assert ThumbnailSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["widths"] == [640, 320]
    with pytest.raises(SpecError, match="Unknown"):
        ThumbnailSpec.from_dict({"width": 3})


def test_registry_refuses_duplicates_and_names_known_entries():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError):
        reg.add("a", 2)
    with pytest.raises(KeyError, match="known: a"):
        reg.get("b")
