"""Widths above the source: skipped by default, made by the given upscaler when allowed."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gan_imaging.core.errors import SpecError
from gan_imaging.core.pipelines.base import Context
from gan_imaging.core.pipelines.thumbnail_plan import decode_hint
from gan_imaging.core.pipelines.thumbnails import PIPELINE, run
from gan_imaging.core.specs import ThumbnailSpec
from tests.core.thumbnails.conftest import textured


class Doubler:
    """A deterministic stand-in for the SR model: box-exact nearest-neighbour upscaling that
    records every call and tags its output with a model version, like the real provider."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, int], int]] = []

    def __call__(self, image: Image.Image, scale: int) -> Image.Image:
        self.calls.append((image.size, scale))
        out = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
        out.info["model_version"] = f"sr-x{scale}-test"
        return out


def widths(outputs, fmt="jpeg"):
    return sorted(o.width for o in outputs if o.format == fmt and o.key != "lqip")


def spec(**kw):
    return ThumbnailSpec(widths=(480, 320, 160), formats=("jpeg",), quality="fixed", **kw)


def test_without_permission_or_model_wider_widths_are_skipped():
    image = textured(200, 150)
    assert widths(run(image, spec(), Context())) == [160]
    # Allowed but no model given (e.g. a pure caller): still never plain-resampled upwards.
    assert widths(run(image, spec(max_upscale=4), Context())) == [160]


def test_upscaler_makes_the_missing_widths_and_outputs_record_it():
    image = textured(200, 150)
    up = Doubler()
    outs = run(image, spec(max_upscale=2), Context(models={"upscale": up}))
    assert widths(outs) == [160, 320]  # 480 needs ×2.4: beyond the allowed ×2
    assert up.calls == [((200, 150), 2)]
    by_width = {o.width: o for o in outs if o.key != "lqip"}
    assert by_width[320].meta["upscaled"] == {"scale": 2, "model": "sr-x2-test"}
    assert by_width[320].height == 240
    assert "upscaled" not in by_width[160].meta
    with Image.open(io.BytesIO(by_width[320].data)) as im:
        assert im.size == (320, 240)


def test_factor_four_when_needed_and_fill_crops_scale_their_box():
    image = textured(200, 150)
    up = Doubler()
    outs = run(image, spec(max_upscale=4, fit=False, fill=("1:1",)),
               Context(models={"upscale": up}))
    assert up.calls == [((200, 150), 4)]
    assert widths(outs) == [160, 320, 480]
    assert all(o.width == o.height for o in outs if o.key != "lqip")


def test_source_covering_every_width_is_never_upscaled():
    up = Doubler()
    outs = run(textured(600, 400), spec(max_upscale=4), Context(models={"upscale": up}))
    assert up.calls == [] and widths(outs) == [160, 320, 480]


def test_upscaling_disables_decode_reduction_and_names_its_models():
    # A square crop of a 4000x300 banner-shaped photo is 300 px: its 480 px width needs
    # super-resolution, which wants every source pixel.
    def narrow(up: int) -> ThumbnailSpec:
        return ThumbnailSpec(widths=(480, 100), fill=("1:1",), max_upscale=up)

    assert decode_hint(narrow(2), 4000, 300) is None
    assert decode_hint(narrow(1), 4000, 300) is not None
    # A source covering every width is never upscaled, so it may be decoded down.
    assert decode_hint(spec(max_upscale=4), 4000, 3000) == decode_hint(spec(), 4000, 3000)
    assert decode_hint(spec(), 4000, 3000) is not None
    assert PIPELINE.models is not None
    assert PIPELINE.models(spec()) == []
    assert PIPELINE.models(spec(max_upscale=4)) == [("sr", "x2"), ("sr", "x4")]


@pytest.mark.parametrize("bad", [0, 3, 8, True])
def test_max_upscale_must_be_1_2_or_4(bad):
    with pytest.raises(SpecError, match="max_upscale"):
        spec(max_upscale=bad)
