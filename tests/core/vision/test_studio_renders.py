"""Studio scenes through the renders pipeline: spec fields, keys, meta and camera heights."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_imaging.core.errors import SpecError
from gan_imaging.core.gan.harmonise import HarmoniserModel, HarmoniserNet
from gan_imaging.core.pipelines import Context
from gan_imaging.core.pipelines.renders import PIPELINE, RenderSpec, run


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def flat(style, width, height, seed):
    im = Image.new("L", (width, height), 255)
    im.info["model_version"] = f"flat-{style}"
    return im


MODELS = {"backdrop": flat, "harmoniser": HarmoniserModel(HarmoniserNet(width=4), 4)}


def photo():
    im = Image.new("RGB", (200, 240), (255, 255, 255))
    ImageDraw.Draw(im).rectangle((60, 40, 140, 200), fill=(30, 90, 200))
    return im


def test_studio_scenes_keys_cameras_and_meta():
    spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1", "4:5", "16:9"),
                      scene_styles=("oak-floor",), scene_long_side=256)  # fmt: skip
    out = run(photo(), spec, Context(seed=2, models=MODELS))
    assert [o.key for o in out] == ["scene-1x1-oak-floor-0.webp", "scene-4x5-oak-floor-0.webp",
                                    "scene-16x9-oak-floor-0.webp"]  # fmt: skip
    assert [o.meta["camera"] for o in out] == ["eye", "high", "low"]  # "auto": one per aspect
    rows = [o.meta["placement"]["horizon_row"] for o in out]
    assert rows == [round(0.4 * 256), round(0.2 * 256), round(0.58 * 144)]
    m = out[0].meta
    assert m["backdrop_model"] == "concrete=flat-concrete,oak=flat-oak"
    assert m["light"] == "left" and m["harmoniser"].startswith("harmoniser-")
    img = np.asarray(Image.open(io.BytesIO(out[0].data)).convert("RGB"), np.int32)
    assert img[250, 5, 0] - img[250, 5, 2] > 40  # oak floor at the bottom
    assert abs(img[5, 5, 0] - img[5, 5, 2]) < 20  # concrete wall at the top


def test_explicit_cameras_multiply_and_name_the_scenes():
    spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",), scene_styles=("paper-sweep",),
                      scene_cameras=("high", "low"), scene_light="right",
                      scene_long_side=256)  # fmt: skip
    out = run(photo(), spec, Context(models=MODELS))
    assert [o.key for o in out] == ["scene-1x1-paper-sweep-high-0.webp",
                                    "scene-1x1-paper-sweep-low-0.webp"]  # fmt: skip
    assert out[0].data != out[1].data


def test_legacy_texture_styles_still_fill_the_frame():
    spec = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",), scene_styles=("mine",),
                      scene_long_side=256)  # fmt: skip
    (out,) = run(photo(), spec, Context(models=MODELS))
    assert out.meta["backdrop_model"] == "flat-mine" and "camera" not in out.meta


@pytest.mark.parametrize("field, value", [("scene_cameras", ("drone",)), ("scene_cameras", ()),
                                          ("scene_light", "neon")])  # fmt: skip
def test_bad_camera_or_light_is_a_spec_error(field, value):
    with pytest.raises(SpecError):
        RenderSpec(**{field: value})


def test_studio_sets_declare_their_materials_as_models():
    spec = RenderSpec(scene_styles=("marble-table", "brick"))
    pairs = set(PIPELINE.models(spec))
    assert {("texture", "marble"), ("texture", "paper"), ("texture", "brick")} <= pairs
    assert ("texture", "marble-table") not in pairs
