"""Banners: one product photo → a set of ad banners in the brand's colours, fonts and words.

Per size: layout, text fitting, contrast and rendering in :mod:`..vision.banner`; encoding to
the size's byte budget in :mod:`..vision.budget`. Output keys are ``"<W>x<H>.<ext>"`` (e.g.
``"728x90.jpg"``); each output's ``meta`` holds the layout boxes, where the ink landed, font
sizes, measured contrast ratios and thresholds, the budget, the bytes and whether it was met.

Models and assets come through ``ctx.models`` so the Django side can inject them:

- ``"cutout"``: ``callable(image) -> RGBA`` product cut-out; absent → the photo is placed
  as a rectangle (an RGBA photo keeps its alpha);
- ``"backdrop"``: ``callable(style, width, height, seed) -> RGB`` for ``texture:<style>``
  backgrounds; absent → the bundled texture GAN (``gan_imaging.core.gan``), coloured with the
  brand and product palette;
- ``"logo"``: an RGBA image, or None.

A size whose budget cannot be met raises :class:`~..vision.budget.BudgetExceededError`
(``on_over_budget="error"``, the default) or is left out, with the miss recorded in every
other output's ``meta["budget_missed"]`` (``"skip"``). No over-budget file is ever returned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from gan_imaging.core.errors import ModelError, SpecError, gettext_noop
from gan_imaging.core.imaging.encode import FORMATS, get_format
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.specs import Spec, parse_colour
from gan_imaging.core.vision.backdrop import backdrop_colours, colourise
from gan_imaging.core.vision.banner import BannerCopy, BannerStyle, render_banner
from gan_imaging.core.vision.budget import encode_to_budget, require_budget
from gan_imaging.core.vision.prices import canonical_locale, price_tag

VERSION = "banners-4"  # 4: cutout net fine-tuned with hard cases (tiny-unet-cutout-63d6dc56)

IAB_SIZES = ("300x250", "728x90", "160x600", "300x600", "320x50", "970x250")
SOCIAL_SIZES = ("1200x628", "1080x1080", "1080x1350", "1080x1920")

#: Default budgets in kB (1 kB = 1000 bytes): IAB 2017 initial-load K-weights (320×50: 50;
#: 970×250: 250; other display units 150), Google Ads' 150 kB static limit for 1200×628,
#: IAB's phone-interstitial 300 kB for the full-screen social formats.
DEFAULT_BUDGETS_KB: dict[str, int] = {
    "300x250": 150, "728x90": 150, "160x600": 150, "300x600": 150, "320x50": 50,
    "970x250": 250, "1200x628": 150, "1080x1080": 300, "1080x1350": 300, "1080x1920": 300,
}  # fmt: skip

_SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")
# The product never needs more pixels than this (long side) in any default size.
_PRODUCT_MAX = 1200


def parse_size(value: str) -> tuple[int, int]:
    """``"728x90"`` → (728, 90); each side 16–4096 px."""
    m = _SIZE.match(value.strip()) if isinstance(value, str) else None
    if not m or not all(16 <= int(v) <= 4096 for v in m.groups()):
        raise SpecError(
            gettext_noop('Banner size %(size)s must look like "728x90" (16–4096 px a side).'),
            params={"size": repr(value)},
        )
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class BannerSpec(Spec):
    """A banner set: every size × format, in one brand, for one product.

    ``sizes``: ``"WxH"`` px. ``budgets``: overrides ``"WxH=kB"`` of
    :data:`DEFAULT_BUDGETS_KB` (``default_budget_kb`` for sizes not in it). ``formats``:
    jpeg/webp/png. Colours are ``"#rrggbb"``; ``locale`` like ``"en-US"``/``"zh-CN"``/``"de-DE"``;
    ``currency`` ISO 4217; ``font_latin``/``font_cjk`` font registry keys. Prices are decimal
    strings. ``background``: ``"gradient"`` or ``"texture:<style>"``. ``logo_name`` is where
    the caller keeps the logo (it passes the image as ``ctx.models["logo"]``); ``logo_hash``
    identifies the logo file, so a new logo changes the digest.
    """

    kind: ClassVar[str] = "banners"

    sizes: tuple[str, ...] = IAB_SIZES + SOCIAL_SIZES
    budgets: tuple[str, ...] = ()
    default_budget_kb: int = 150
    formats: tuple[str, ...] = ("jpeg",)
    on_over_budget: str = "error"
    brand_name: str = ""
    primary: str = "#183060"
    secondary: str = "#f0a020"
    text_colour: str = "#ffffff"
    locale: str = "en-US"
    currency: str = "USD"
    font_latin: str = "latin"
    font_cjk: str = "cjk"
    headline: str = ""
    subline: str = ""
    cta: str = "Shop now"
    price: str | None = None
    sale_price: str | None = None
    background: str = "gradient"
    logo_name: str = ""
    logo_hash: str = ""

    def __post_init__(self) -> None:
        if not self.sizes:
            raise SpecError(gettext_noop("A banner set needs at least one size."))
        for s in self.sizes:
            parse_size(s)
        self.budget_map()
        if not self.formats:
            raise SpecError(gettext_noop("A banner set needs at least one format."))
        for f in self.formats:
            if get_format(f).name not in ("jpeg", "webp", "png"):
                raise SpecError(
                    gettext_noop("Banners are made as jpeg, webp or png, not %(format)s."),
                    params={"format": repr(f)},
                )
        if self.on_over_budget not in ("error", "skip"):
            raise SpecError(gettext_noop('on_over_budget must be "error" or "skip".'))
        for c in (self.primary, self.secondary, self.text_colour):
            parse_colour(c)
        canonical_locale(self.locale)
        price_tag(self.price, self.sale_price, self.currency, self.locale)  # validates all three
        if self.sale_price and not self.price:
            raise SpecError(gettext_noop("A sale price needs the regular price too."))
        if not (self.headline or self.brand_name).strip():
            raise SpecError(
                gettext_noop("A banner needs a headline (or at least the brand name).")
            )
        if self.background != "gradient" and not self.background.startswith("texture:"):
            raise SpecError(
                gettext_noop('The background must be "gradient" or "texture:<style>".')
            )
        object.__setattr__(self, "sizes", tuple(dict.fromkeys(s.strip() for s in self.sizes)))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(f.lower() for f in self.formats)))

    def budget_map(self) -> dict[str, int]:
        """Budget in bytes for every size of the set."""
        kb = {s: DEFAULT_BUDGETS_KB.get(s, self.default_budget_kb) for s in self.sizes}
        for entry in self.budgets:
            size, _, value = str(entry).partition("=")
            if size.strip() not in kb or not value.strip().isdigit() or int(value) < 1:
                raise SpecError(
                    gettext_noop(
                        'Budget %(entry)s must look like "728x90=150" (kB) for a size of this set.'
                    ),
                    params={"entry": repr(entry)},
                )
            kb[size.strip()] = int(value)
        return {s: v * 1000 for s, v in kb.items()}

    def style(self) -> BannerStyle:
        return BannerStyle(parse_colour(self.primary), parse_colour(self.secondary),
                           parse_colour(self.text_colour), canonical_locale(self.locale),
                           self.currency.upper(), self.font_latin, self.font_cjk)  # fmt: skip

    def words(self) -> BannerCopy:
        return BannerCopy(self.headline or self.brand_name, self.subline, self.cta,
                          self.price or None, self.sale_price or None)  # fmt: skip


def decode_hint(spec: BannerSpec, width: int, height: int) -> tuple[int, int] | None:
    """Decode a photo no larger than needed: long side ≥ 1200 px (the biggest product box of
    any default size is smaller)."""
    scale = _PRODUCT_MAX / max(width, height)
    if scale >= 0.5:
        return None
    return (math.ceil(width * scale), math.ceil(height * scale))


Backdrop = Callable[[str, int, int, int], Image.Image]


def bundled_backdrop(style: str, width: int, height: int, seed: int) -> Image.Image:
    """The default ``backdrop`` model: a bundled texture GAN sampled at exactly
    ``width`` × ``height`` px (grey or RGB, as the weights are)."""
    from gan_imaging.core import gan  # torch is imported only when a texture is asked for

    try:
        model = gan.get_model(gan.bundled_path(style))
    except ModelError:
        raise
    except Exception as exc:  # a broken file must reach the merchant as a model error
        raise ModelError(
            gettext_noop("The %(style)s texture model could not be loaded (%(error)s)."),
            params={"style": repr(style), "error": str(exc)},
        ) from None
    arr = gan.to_uint8(gan.sample_texture(model, width, height, seed=seed))
    return Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)


def run(image: Image.Image, spec: BannerSpec, ctx: Context) -> list[Output]:
    """``image``: the decoded product photo (sRGB RGB/RGBA). One output per size × format, in
    spec order; deterministic for equal (image, spec, seed, models)."""
    product, edges = product_cutout(image, ctx)
    logo = ctx.models.get("logo")
    style, words = spec.style(), spec.words()
    budgets = spec.budget_map()
    texture = spec.background.partition(":")[2] if spec.background != "gradient" else ""
    backdrop_fn: Backdrop | None = ctx.models.get("backdrop")
    colours = backdrop_colours(style.primary, style.secondary, product)
    outputs: list[Output] = []
    missed: list[str] = []
    total = len(spec.sizes) * len(spec.formats)
    for i, size in enumerate(spec.sizes):
        w, h = parse_size(size)
        backdrop = None
        if texture:
            fn = backdrop_fn or bundled_backdrop
            raw = fn(texture, w, h, ctx.seed)
            # Grey textures (the bundled styles) take the brand colours; a colour texture the
            # brand trained on its own images keeps its colours.
            backdrop = colourise(raw, *colours) if raw.mode == "L" else raw.convert("RGB")
        rendered = render_banner(w, h, product, style, words, backdrop=backdrop, logo=logo,
                                 seed=ctx.seed, edges=edges)  # fmt: skip
        for j, fmt in enumerate(spec.formats):
            got = encode_to_budget(rendered.image, fmt, budgets[size])
            name = f"{size}.{FORMATS[fmt].ext}"
            meta: dict[str, Any] = dict(rendered.meta)
            meta.update(format=got.format, quality=got.quality, budget=got.budget,
                        bytes=len(got.data), budget_met=got.met, probes=got.probes,
                        seed=ctx.seed, locale=style.locale, background=spec.background)  # fmt: skip
            if not got.met:
                if spec.on_over_budget == "error":
                    require_budget(got, size)
                missed.append(name)
            else:
                outputs.append(Output(name, got.data, got.format, w, h, meta))
            ctx.progress((i * len(spec.formats) + j + 1) / total)
    if missed:
        for out in outputs:
            out.meta["budget_missed"] = list(missed)
    return outputs


def product_cutout(image: Image.Image, ctx: Context) -> tuple[Image.Image, tuple[str, ...]]:
    """The product cut out of ``image`` (reduced to 1200 px on the long side) as an RGBA the
    size of the photo, with the cutout model (``ctx.models["cutout"]``, a segmentation model,
    else the bundled one) and specks dropped as for renders, and the photo's sides that cut
    it (a model cut at the thighs: ``("bottom",)``); the photo as it is, uncut, when nothing
    was found."""
    from gan_imaging.core.vision.cutout import Matte, apply_matte, cutout
    from gan_imaging.core.vision.packshot import clean_alpha, cut_edges

    photo = image.copy()
    photo.thumbnail((_PRODUCT_MAX, _PRODUCT_MAX), Image.Resampling.LANCZOS, reducing_gap=3.0)
    matte = cutout(photo, model=ctx.models.get("cutout"))
    alpha = clean_alpha(np.asarray(matte.alpha))
    if not alpha.any():
        return photo, ()
    matte = Matte(Image.fromarray(alpha, "L"), matte.method, matte.background, matte.plainness,
                  matte.model_version)  # fmt: skip
    return apply_matte(photo, matte), cut_edges(alpha)


def _models(spec: BannerSpec) -> list[tuple[str, str]]:
    """The product cutout model, and the texture GAN when the background is one."""
    models = [("cutout", "default")]
    if spec.background.startswith("texture:"):
        models.append(("texture", spec.background.split(":", 1)[1]))
    return models


PIPELINE = Pipeline(
    kind="banners",
    version=VERSION,
    device="gpu",
    spec_type=BannerSpec,
    run=run,
    label=gettext_noop("Banners"),
    seeded=True,
    decode_hint=decode_hint,
    models=_models,
)
