"""The banners pipeline: outputs, determinism, budgets, texture backdrops, spec validation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.errors import GanImagingError, SpecError
from gan_imaging.core.pipelines import PIPELINES, Context
from gan_imaging.core.pipelines.banners import BannerSpec
from gan_imaging.core.vision.banner import BannerCopy, BannerStyle, render_banner
from gan_imaging.core.vision.budget import BudgetExceededError

SMALL = ("300x250", "320x50")


def _spec(**kw: object) -> BannerSpec:
    base: dict[str, object] = {"sizes": SMALL, "headline": "Summer sale", "price": "49.90",
                               "sale_price": "39.90", "formats": ("jpeg", "webp")}  # fmt: skip
    base.update(kw)
    return BannerSpec.from_dict(base)


def test_outputs_keys_and_meta(product: Image.Image) -> None:
    outs = PIPELINES.get("banners").run(product, _spec(), Context(seed=5))
    assert [o.key for o in outs] == ["300x250.jpg", "300x250.webp", "320x50.jpg", "320x50.webp"]
    for o in outs:
        with Image.open(io.BytesIO(o.data)) as im:
            assert im.size == (o.width, o.height) and im.format == o.format.upper()
        assert o.meta["bytes"] == len(o.data) <= o.meta["budget"] and o.meta["budget_met"]
        assert o.meta["contrast_ok"] and o.meta["overflow"] == 0 and o.meta["seed"] == 5
        assert set(o.meta["text"]) >= {"headline", "cta"}


def test_same_seed_same_bytes_and_seed_matters(product: Image.Image) -> None:
    run = PIPELINES.get("banners").run
    a = run(product, _spec(formats=("jpeg",)), Context(seed=7))
    b = run(product, _spec(formats=("jpeg",)), Context(seed=7))
    c = run(product, _spec(formats=("jpeg",)), Context(seed=8))
    assert [o.data for o in a] == [o.data for o in b]
    assert [o.data for o in a] != [o.data for o in c]


def test_texture_backdrop_from_bundled_gan(product: Image.Image) -> None:
    spec = _spec(sizes=("300x250",), formats=("jpeg",), background="texture:brick")
    a = PIPELINES.get("banners").run(product, spec, Context(seed=2))[0]
    g = PIPELINES.get("banners").run(product, _spec(sizes=("300x250",), formats=("jpeg",)),
                                     Context(seed=2))[0]  # fmt: skip
    assert a.meta["backdrop"] == "given" and a.meta["budget_met"] and a.meta["contrast_ok"]
    assert a.data != g.data
    with Image.open(io.BytesIO(a.data)) as im:
        top_left = np.asarray(im.convert("L"))[:20, :20].astype(float)
    assert top_left.std() > 2.0  # textured, not a smooth gradient


def test_injected_models_are_used(photo: Image.Image) -> None:
    calls: list[tuple[str, int, int, int]] = []

    def backdrop(style: str, w: int, h: int, seed: int) -> Image.Image:
        calls.append((style, w, h, seed))
        rng = np.random.default_rng(seed)  # black/white noise: only a scrim makes text legible
        return Image.fromarray((rng.integers(0, 2, (h, w, 1)) * 255).repeat(3, -1).astype(np.uint8))

    logo = Image.new("RGBA", (120, 40), (255, 255, 255, 255))
    spec = _spec(sizes=("1200x628",), formats=("png",), background="texture:mine",
                 budgets=("1200x628=3000",))  # fmt: skip
    out = PIPELINES.get("banners").run(
        photo, spec, Context(seed=3, models={"backdrop": backdrop, "logo": logo})
    )[0]
    assert calls == [("mine", 1200, 628, 3)]
    assert "logo" in out.meta["placed"] and out.meta["contrast_ok"]
    assert any(t.get("scrim_alpha", 0) > 0 for t in out.meta["text"].values())


def test_over_budget_is_an_error_or_left_out(product: Image.Image) -> None:
    tight = _spec(formats=("jpeg",), budgets=("300x250=1",))
    with pytest.raises(BudgetExceededError, match="300x250") as err:
        PIPELINES.get("banners").run(product, tight, Context())
    assert isinstance(err.value, GanImagingError) and err.value.code == "over_budget"
    skip = _spec(formats=("jpeg",), budgets=("300x250=1",), on_over_budget="skip")
    outs = PIPELINES.get("banners").run(product, skip, Context())
    assert [o.key for o in outs] == ["320x50.jpg"]
    assert outs[0].meta["budget_missed"] == ["300x250.jpg"]


def test_budget_search_lowers_quality_to_fit(product: Image.Image) -> None:
    loose = PIPELINES.get("banners").run(product, _spec(formats=("jpeg",)), Context())[0]
    budget_kb = len(loose.data) * 7 // 10 // 1000
    tight = PIPELINES.get("banners").run(
        product, _spec(formats=("jpeg",), budgets=(f"300x250={budget_kb}",)), Context()
    )[0]
    assert len(tight.data) <= budget_kb * 1000 < len(loose.data)
    assert tight.meta["quality"] < loose.meta["quality"]


def test_spec_digest_and_validation() -> None:
    assert _spec().digest() != _spec(logo_hash="abc").digest()
    assert BannerSpec.from_dict(_spec().to_dict()) == _spec()
    assert _spec().budget_map() == {"300x250": 150_000, "320x50": 50_000}
    cases: list[tuple[dict[str, object], str]] = [
        ({"sizes": ("300",)}, "size"), ({"primary": "red"}, "Colour"),
        ({"formats": ("avif",)}, "jpeg"), ({"budgets": ("999x99=5",)}, "Budget"),
        ({"background": "photo"}, "background"), ({"sale_price": "60"}, "lower"),
        ({"locale": "xx"}, "Locale"), ({"headline": "", "brand_name": ""}, "headline"),
    ]  # fmt: skip
    for bad, match in cases:
        with pytest.raises(SpecError, match=match):
            _spec(**bad)


def test_photo_without_cutout_is_a_rectangle(photo: Image.Image) -> None:
    r = render_banner(300, 250, photo, BannerStyle(), BannerCopy("Hello", cta="Go"))
    x0, y0, x1, y1 = r.meta["placed"]["product"]
    assert (x1 - x0) / (y1 - y0) == pytest.approx(320 / 240, rel=0.05)
    assert np.asarray(r.image)[y0 + 1, x0 + 1].tolist() == [255, 255, 255]
