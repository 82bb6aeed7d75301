"""The demo catalogue shows what the app does: every default demo photo passes the upload
checks and gets renders (packshot, cutout, a scene) whose cutout holds the whole product;
the generated studio photos are deterministic. Also ``demo_setup --photos DIR``."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from gan_imaging.core.pipelines import Context
from gan_imaging.core.pipelines.renders import RenderSpec, run
from gan_imaging.fields import check_upload
from shop.catalog.demo_photos import DEMO_PRODUCTS, DemoProduct, Studio, render
from shop.catalog.models import Product

# Packshot and PNG cutout as the shop makes them, and one small scene on a stub backdrop.
SPEC = RenderSpec(cutout_formats=("png",), scene_aspects=("1:1",), scene_styles=("stub",),
                  scene_long_side=256)  # fmt: skip


def flat_backdrop(style: str, width: int, height: int, seed: int) -> Image.Image:
    return Image.new("RGB", (width, height), (120, 110, 100))


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The cutout's network is tiny and the box is shared: one torch thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def renders(data: bytes) -> dict[str, np.ndarray]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        outputs = run(im, SPEC, Context(models={"backdrop": flat_backdrop}))
    keys = [o.key for o in outputs]
    assert keys == ["packshot.jpg", "cutout.png", "scene-1x1-stub-0.webp"], keys
    return {o.key: np.asarray(Image.open(io.BytesIO(o.data))) for o in outputs}


def check_renders(out: dict[str, np.ndarray]) -> np.ndarray:
    """Checks every product's renders pass; returns the cutout's alpha, 0–1."""
    packshot, alpha = out["packshot.jpg"], out["cutout.png"][..., 3] / 255.0
    assert packshot.shape[0] == packshot.shape[1] >= 1000  # square, Amazon's zoom size
    assert (packshot[:40] >= 250).all()  # the white margin is untouched
    # A solid thing, not a few specks: it covers a fair part of its own box (the espresso
    # cup's network matte, on a wooden table, only about 0.3) and of the packshot.
    assert alpha.mean() > 0.25
    assert (packshot.min(axis=2) < 245).mean() > 0.15
    return alpha


@pytest.mark.parametrize("product", DEMO_PRODUCTS, ids=lambda p: p.name)
def test_generated_products_get_whole_cutouts(product: DemoProduct):
    data = render(product)
    assert render(product) == data  # deterministic
    assert check_upload(data, "x.jpg")[1] == "JPEG"
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == product.size and min(im.size) >= 1000 and max(im.size) <= 1250
    alpha = check_renders(renders(data))
    # The truth: the product layer as drawn (2× px) before it was composited and encoded.
    studio = Studio(product.size, product.elevation, 0)
    product.draw(studio)
    truth = studio.alpha.reshape(product.size[1], 2, product.size[0], 2).mean(axis=(1, 3))
    ys, xs = np.nonzero(truth > 0.5)
    width, height = np.ptp(xs) + 1, np.ptp(ys) + 1
    # The whole product (handle, lamp base and shade, bow …), and no backdrop with it.
    assert 0.95 < alpha.sum() / truth.sum() < 1.05
    assert abs(alpha.shape[1] - width) <= 0.03 * width + 2
    assert abs(alpha.shape[0] - height) <= 0.03 * height + 2


def test_the_default_catalogue_reads_like_a_shop():
    names = [p.name for p in DEMO_PRODUCTS]
    assert len(names) == len(set(names)) == 5
    for product in DEMO_PRODUCTS:
        assert Decimal(product.price) > 0 and product.description.endswith(".")


@pytest.mark.django_db
def test_demo_setup_loads_a_folder_of_photos(tmp_path, capsys):
    from tests.conftest import make_photo

    for name in ("b-lamp", "a-mug", "c-vase"):
        (tmp_path / f"{name}.jpg").write_bytes(make_photo(320, 240))
    (tmp_path / "notes.txt").write_text("not a photo")
    call_command("demo_setup", password="pw", photos=str(tmp_path), limit=2)
    assert "loaded 2 demo products" in capsys.readouterr().out
    assert sorted(Product.objects.values_list("name", flat=True)) == ["A Mug", "B Lamp"]


@pytest.mark.django_db
def test_demo_setup_loads_the_default_catalogue(capsys):
    call_command("demo_setup", password="pw")
    assert "loaded 5 demo products" in capsys.readouterr().out
    loaded = {p.name: p for p in Product.objects.all()}
    for item in DEMO_PRODUCTS:
        product = loaded[item.name]
        assert (product.price, product.description) == (Decimal(item.price), item.description)
        assert (product.image_width, product.image_height) == item.size
