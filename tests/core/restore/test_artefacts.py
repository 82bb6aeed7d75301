"""The damage estimates: JPEG quality from tables and from pixels (double saves), noise."""

import io

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.imaging.artefacts import (
    assess,
    file_quality,
    ijg_table,
    noise_sigma,
    pixel_quality,
    quality_from_table,
)


def scene(size: int = 256, seed: int = 0) -> Image.Image:
    """A photo-like test image: smooth shading, hard edges and fine texture, no flat fill."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = 60 + 120 * x + 40 * np.sin(6 * y)
    base += 30 * ((x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.08)  # a disc: edges
    texture = Image.fromarray(rng.normal(128, 40, (size // 4, size // 4)).clip(0, 255)
                              .astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    base += 0.3 * (np.asarray(texture, dtype=np.float64) - 128)  # smooth texture, not noise
    rgb = np.stack([base, base * 0.8 + 20, 200 - base * 0.5], axis=2)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def jpeg(im: Image.Image, quality: int) -> tuple[Image.Image, bytes]:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as f:
        return f.convert("RGB"), data


def test_ijg_tables_round_trip_through_quality_from_table():
    for q in (10, 35, 50, 75, 90):
        assert quality_from_table(ijg_table(q)) == q


@pytest.mark.parametrize("quality", [20, 35, 50, 75, 95])
def test_file_quality_reads_the_tables_pillow_wrote(quality):
    _, data = jpeg(scene(), quality)
    assert file_quality(data) == quality


def test_file_quality_is_none_for_png():
    buf = io.BytesIO()
    scene().save(buf, "PNG")
    assert file_quality(buf.getvalue()) is None


def test_a_photo_saved_at_35_then_90_is_seen_as_35_and_double():
    once, _ = jpeg(scene(512), 35)
    twice, data = jpeg(once, 90)
    a = assess(twice, data)
    assert a.file_quality == 90
    assert a.pixel_quality is not None and 28 <= a.pixel_quality <= 40
    assert a.double_jpeg and a.quality == a.pixel_quality


def test_pixel_quality_finds_no_grid_in_a_never_compressed_image():
    assert pixel_quality(scene(512)) is None


def test_pixel_quality_of_a_png_made_from_a_jpeg():
    damaged, _ = jpeg(scene(512), 30)
    buf = io.BytesIO()
    damaged.save(buf, "PNG")
    a = assess(Image.open(io.BytesIO(buf.getvalue())), buf.getvalue())
    assert a.file_quality is None and a.quality is not None and 24 <= a.quality <= 36


@pytest.mark.parametrize("sigma", [5.0, 10.0, 15.0])
def test_noise_sigma_of_grey_with_gaussian_noise(sigma):
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:256, 0:256]
    flat = np.stack([90 + x * 0.2, 120 + y * 0.1, 100 + 0 * x], axis=2)  # ramps: not noise
    noisy = np.clip(flat + rng.normal(0, sigma, flat.shape), 0, 255).round().astype(np.uint8)
    assert noise_sigma(Image.fromarray(noisy)) == pytest.approx(sigma, rel=0.2)


def test_clean_images_read_little_noise_and_white_backdrops_are_skipped():
    assert noise_sigma(scene()) < 3.0
    white = Image.new("RGB", (128, 128), (255, 255, 255))
    assert noise_sigma(white) == 0.0
