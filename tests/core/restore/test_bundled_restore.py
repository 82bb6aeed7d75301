"""The bundled restoration nets on a synthetic photo: told the damage, they repair it."""

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.bundled import restore_path
from gan_imaging.core.gan.restore import get_model, restore
from gan_imaging.core.imaging.artefacts import assess
from tests.core.restore.test_artefacts import jpeg, scene


def psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(10 * np.log10(255.0**2 / (d**2).mean()))


def noisy(im: Image.Image, sigma: float) -> Image.Image:
    a = np.asarray(im, dtype=np.float64)
    n = a + np.random.default_rng(3).normal(0, sigma, a.shape)
    return Image.fromarray(np.clip(n, 0, 255).round().astype(np.uint8))


@pytest.mark.parametrize("variant", ["psnr", "gan"])
def test_the_bundled_net_repairs_jpeg_and_noise_as_the_pipeline_tells_it(variant):
    model = get_model(restore_path(variant))
    clean = scene(192)
    damaged = [jpeg(clean, 20), (noisy(clean, 10.0), None)]
    for im, data in damaged:
        a = assess(im, data)
        out = restore(im, model, noise=a.noise, quality=a.quality, precision="fp32")
        assert out.size == im.size and out.mode == "RGB"
        assert psnr(out, clean) > psnr(im, clean) + 0.5


def test_the_bundled_psnr_net_is_told_the_damage():
    assert get_model(restore_path("psnr")).net.cond == 2
