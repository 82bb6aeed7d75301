"""The pipeline step: photos that do not need repair pass through untouched (the same
object, the same bytes); damaged ones go through the restorer; meta records why."""

import io

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.errors import SpecError
from gan_imaging.core.pipelines import restoration
from tests.core.restore.test_artefacts import jpeg, scene


def brighten(image: Image.Image, assessment=None) -> Image.Image:
    out = Image.fromarray(np.clip(np.asarray(image).astype(int) + 1, 0, 255).astype(np.uint8))
    out.info["model_version"] = "restore-test-1234"
    out.info["told"] = assessment
    return out


def test_a_clean_q95_photo_is_byte_identical_in_the_working_image():
    image, data = jpeg(scene(512), 95)
    before = image.tobytes()
    decision = restoration.decide(image, data, "when_needed")
    work, meta = restoration.apply(image, decision, brighten)
    assert not decision.restore and work is image and work.tobytes() == before
    assert meta == {"mode": "when_needed", "applied": False, "jpeg_quality": 95,
                    "file_quality": 95, "double_jpeg": False, "noise": meta["noise"]}
    assert meta["noise"] < restoration.NOISE_AT_LEAST


@pytest.mark.parametrize("quality", [20, 35, 50])
def test_a_low_quality_jpeg_is_restored_and_says_so(quality):
    image, data = jpeg(scene(512), quality)
    decision = restoration.decide(image, data, "when_needed")
    work, meta = restoration.apply(image, decision, brighten)
    assert decision.restore and work.tobytes() == brighten(image).tobytes()
    assert meta["applied"] and meta["jpeg_quality"] == quality
    assert work.info["told"] is decision.assessment and work.info["told"].quality == quality
    assert meta["model"] == "restore-test-1234"


def test_a_noisy_png_is_restored():
    a = np.asarray(scene(256), dtype=float)
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 10, a.shape), 0, 255)
    buf = io.BytesIO()
    Image.fromarray(noisy.round().astype(np.uint8)).save(buf, "PNG")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    decision = restoration.decide(image, buf.getvalue(), "when_needed")
    assert decision.restore and decision.meta()["noise"] >= 7


def test_modes_always_and_never():
    image, data = jpeg(scene(), 95)
    assert restoration.decide(image, data, "always").restore
    never = restoration.decide(image, data, "never")
    assert not never.restore and never.meta() == {"mode": "never", "applied": False}
    with pytest.raises(SpecError):
        restoration.decide(image, data, "sometimes")
