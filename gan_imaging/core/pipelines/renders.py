"""Product renders: a marketplace packshot, a transparent cutout and scenes.

A scene style is either a studio set of :data:`~gan_imaging.core.vision.studio_scene.SETS`
(a floor or table in perspective meeting a wall or a sweep, texture-GAN materials, a key
light with its shadow and reflection, a learned colour harmonisation) or, as before, the
name of a texture style that fills the frame behind the product (``"brick"``, ``"gravel"``).

Scenes are made by :mod:`.render_scenes`. The product's pixels always come from the
merchant's photo (cut out, scaled, at most a bounded colour gain in scenes); generation is
used only for what surrounds it.

Models arrive through ``ctx.models`` so the Django layer can inject a shop's own:

* ``"backdrop"``: ``callable(style: str, width: int, height: int, seed: int) -> PIL RGB image``
  (optional attribute ``model_version: str``). Default: the bundled texture GAN of ``style``
  (:func:`~gan_imaging.core.gan.bundled_path`), sampled and coloured with the style's duotone.
* ``"upscale"``: ``callable(image: PIL RGB, scale: int 2–4) -> PIL RGB`` for products too small
  for the packshot's minimum size. Default: Lanczos. Which one ran is in the packshot's meta.
* ``"cutout"``: a loaded :class:`~gan_imaging.core.vision.segnet.SegModel` (default: bundled).
* ``"harmoniser"``: a loaded :class:`~gan_imaging.core.gan.harmonise.HarmoniserModel` for
  studio scenes (default: bundled).

Studio sets ask ``"backdrop"`` for their materials by name (``"marble"``, ``"oak"``...): a
grey ``"L"`` image is coloured with the material's duotone, an RGB one is used as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.imaging.encode import encode, get_format
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.pipelines.render_scenes import scenes
from gan_imaging.core.specs import Spec, parse_aspect, parse_colour
from gan_imaging.core.vision import compliance
from gan_imaging.core.vision.cutout import METHODS, cutout
from gan_imaging.core.vision.integrity import check_integrity
from gan_imaging.core.vision.packshot import extract_product, render_packshot
from gan_imaging.core.vision.studio import CAMERAS, LIGHTS
from gan_imaging.core.vision.studio_scene import SETS

VERSION = "renders-5"  # 5: cutout net fine-tuned with hard cases (tiny-unet-cutout-63d6dc56)
OUTPUTS = ("packshot", "cutout", "scenes")
#: Photos are reduced to this long side (px) before cutting out: packshots never need more.
WORK_SIDE = 2048


def _int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError(
            gettext_noop(
                "%(name)s must be a whole number from %(low)s to %(high)s, not %(value)s."
            ),
            params={"name": name, "low": lo, "high": hi, "value": repr(value)},
        )


@dataclass(frozen=True)
class RenderSpec(Spec):
    """Which product renders to make.

    ``outputs``: any of ``"packshot"`` (JPEG on ``background``, product box = ``fill`` 0.5–1 of
    the square side, side ``min_long_side``–``max_long_side`` px, 500–4000), ``"cutout"``
    (transparent product in each of ``cutout_formats``: png, webp) and ``"scenes"`` (for each
    aspect in ``scene_aspects`` × style in ``scene_styles`` × camera in ``scene_cameras`` ×
    ``variants`` 1–8: the product in a generated scene, long side ``scene_long_side`` px
    256–4096, in ``scene_format``). A style is a studio set (``"marble-table"``,
    ``"oak-floor"``, ``"terrazzo-floor"``, ``"concrete-loft"``, ``"paper-sweep"``,
    ``"linen-sweep"``) or a texture name that fills the frame (``"brick"``, ``"gravel"``).
    ``scene_cameras``: ``"high"``, ``"eye"``, ``"low"`` (the horizon at 20, 40, 58 % of the
    height from the top) or ``"auto"`` (one per aspect in turn); ``scene_light``: the key
    light of studio sets, ``"left"``, ``"right"`` or ``"front"``.
    ``shadow`` adds a contact shadow to the packshot (off for marketplace export: the
    background is then not pure white). Qualities are encoder qualities 1–100.
    ``cutout_method``: ``"auto"``, ``"alpha"``, ``"plain"`` or ``"network"``.
    """

    kind: ClassVar[str] = "renders"

    outputs: tuple[str, ...] = OUTPUTS
    fill: float = 0.85
    min_long_side: int = 1000
    max_long_side: int = 2000
    shadow: bool = False
    background: str = "#ffffff"
    cutout_formats: tuple[str, ...] = ("png", "webp")
    scene_aspects: tuple[str, ...] = ("1:1", "4:5", "16:9")
    scene_styles: tuple[str, ...] = ("marble-table", "paper-sweep")
    scene_cameras: tuple[str, ...] = ("auto",)
    scene_light: str = "left"
    variants: int = 1
    scene_long_side: int = 1200
    scene_format: str = "webp"
    jpeg_quality: int = 90
    webp_quality: int = 85
    cutout_method: str = "auto"

    def quality(self, fmt: str) -> int:
        """The encoder quality (1–100) of ``fmt`` outputs: PNG lossless."""
        return 100 if fmt == "png" else self.jpeg_quality if fmt == "jpeg" else self.webp_quality

    def __post_init__(self) -> None:
        for o in self.outputs:
            if o not in OUTPUTS:
                raise SpecError(
                    gettext_noop("Unknown render output %(output)s; choose from %(choices)s."),
                    params={"output": repr(o), "choices": ", ".join(OUTPUTS)},
                )
        if not self.outputs:
            raise SpecError(
                gettext_noop("Choose at least one render output (packshot, cutout, scenes).")
            )
        f = self.fill
        if isinstance(f, bool) or not isinstance(f, int | float) or not 0.5 <= f <= 1.0:
            raise SpecError(
                gettext_noop("Packshot fill must be a fraction from 0.5 to 1, not %(fill)s."),
                params={"fill": repr(f)},
            )
        _int("min_long_side", self.min_long_side, 500, 4000)
        _int("max_long_side", self.max_long_side, 500, 4000)
        if self.max_long_side < self.min_long_side:
            raise SpecError(gettext_noop("max_long_side must be at least min_long_side."))
        if not isinstance(self.shadow, bool):
            raise SpecError(
                gettext_noop("shadow must be true or false, not %(shadow)s."),
                params={"shadow": repr(self.shadow)},
            )
        parse_colour(self.background)
        for fmt in self.cutout_formats:
            if fmt not in ("png", "webp"):
                raise SpecError(
                    gettext_noop("Cutout format %(format)s has no transparency; use png or webp."),
                    params={"format": repr(fmt)},
                )
        for a in self.scene_aspects:
            parse_aspect(a)
        for s in self.scene_styles:
            if not isinstance(s, str) or not s:
                raise SpecError(
                    gettext_noop('Scene style %(style)s must be a style name such as "brick".'),
                    params={"style": repr(s)},
                )
        if not self.scene_cameras:
            raise SpecError(gettext_noop("Choose at least one scene camera height."))
        for c in self.scene_cameras:
            if c != "auto" and c not in CAMERAS:
                raise SpecError(
                    gettext_noop("Unknown scene camera %(camera)s; choose from %(choices)s."),
                    params={"camera": repr(c), "choices": ", ".join(("auto", *CAMERAS))},
                )
        if self.scene_light not in LIGHTS:
            raise SpecError(
                gettext_noop("Unknown scene light %(light)s; choose from %(choices)s."),
                params={"light": repr(self.scene_light), "choices": ", ".join(LIGHTS)},
            )
        _int("variants", self.variants, 1, 8)
        _int("scene_long_side", self.scene_long_side, 256, 4096)
        if self.scene_format not in ("webp", "jpeg"):
            raise SpecError(
                gettext_noop("Scene format must be webp or jpeg, not %(format)s."),
                params={"format": repr(self.scene_format)},
            )
        _int("jpeg_quality", self.jpeg_quality, 1, 100)
        _int("webp_quality", self.webp_quality, 1, 100)
        if self.cutout_method not in METHODS:
            raise SpecError(
                gettext_noop("Cutout method must be one of %(choices)s, not %(method)s."),
                params={"choices": ", ".join(METHODS), "method": repr(self.cutout_method)},
            )
        object.__setattr__(self, "fill", float(f))
        for name in ("outputs", "cutout_formats", "scene_aspects", "scene_styles",
                     "scene_cameras"):
            object.__setattr__(self, name, tuple(dict.fromkeys(getattr(self, name))))


def decode_hint(spec: RenderSpec, width: int, height: int) -> tuple[int, int] | None:
    """Decode no larger than :data:`WORK_SIDE` on the long side (JPEG DCT scaling)."""
    scale = WORK_SIDE / max(width, height)
    return None if scale >= 0.5 else (math.ceil(width * scale), math.ceil(height * scale))


def run(image: Image.Image, spec: RenderSpec, ctx: Context) -> list[Output]:
    """``image``: decoded sRGB RGB or RGBA. Returns, in order, ``packshot.jpg`` (meta:
    ``compliance`` report, ``cutout`` method/version, ``upscaler``), ``cutout.<ext>`` per
    format, and ``scene-<W>x<H>-<style>-<variant>.<ext>`` (meta: ``seed``, ``style``,
    ``backdrop_model``). Same image, spec and ``ctx.seed`` → same bytes."""
    if max(image.size) > WORK_SIDE:
        scale = WORK_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    matte = cutout(image, method=spec.cutout_method, model=ctx.models.get("cutout"))
    product = extract_product(image, matte)
    # Does the cut-out product keep what the photo shows? Every output made from it says so
    # (scenes and cutouts too, not only the packshot's report): never show a damaged one as ok.
    final = Image.new("L", image.size, 0)
    final.paste(product.rgba.getchannel("A"), product.box[:2])
    integrity = check_integrity(image, final, method=matte.method,
                                model=ctx.models.get("cutout")).as_dict()  # fmt: skip
    cut_meta: dict[str, Any] = {"method": matte.method, "model_version": matte.model_version,
                                "plainness": round(matte.plainness, 3),
                                "touches_edge": product.touches_edge,
                                "integrity": {"ok": integrity["ok"],
                                              "reasons": integrity["reasons"]}}  # fmt: skip
    ctx.progress(0.2)
    outputs: list[Output] = []
    if "packshot" in spec.outputs:
        upscale = ctx.models.get("upscale")
        im, meta = render_packshot(product, fill=spec.fill, min_long_side=spec.min_long_side,
                                   max_long_side=spec.max_long_side, shadow=spec.shadow,
                                   background=parse_colour(spec.background),
                                   upscale=upscale)  # fmt: skip
        # 4:4:4: chroma subsampling would bleed the product's colour into the white border.
        data = encode(im, "jpeg", quality=spec.jpeg_quality, full_chroma=True)
        report = compliance.check(data)
        if product.touches_edge:
            report["warnings"].append(compliance.warning(
                gettext_noop("the product touches the photo's edge: it may be cut off"), "photo"))
        compliance.add_integrity(report, integrity)
        meta.update(cutout=cut_meta, compliance=report, quality=spec.jpeg_quality)
        outputs.append(Output("packshot.jpg", data, "jpeg", im.width, im.height, meta))
        ctx.progress(0.35)
    if "cutout" in spec.outputs:
        for fmt in spec.cutout_formats:
            q = spec.quality(fmt)
            data = encode(product.rgba, fmt, quality=q)
            outputs.append(Output(f"cutout.{get_format(fmt).ext}", data, fmt, product.rgba.width,
                                  product.rgba.height,
                                  {"cutout": cut_meta, "quality": q}))  # fmt: skip
        ctx.progress(0.45)
    if "scenes" in spec.outputs:
        outputs += scenes(product.rgba, spec, ctx, cut_meta, product.edges)
    ctx.progress(1.0)
    return outputs


def _models(spec: RenderSpec) -> list[tuple[str, str]]:
    """Cutout always; the texture styles (a studio set's materials) for scenes; the
    upscalers for small products."""
    models = [("cutout", "default"), ("sr", "x2"), ("sr", "x4")]
    if "scenes" in spec.outputs:
        for style in spec.scene_styles:
            studio = SETS.get(style)
            names = dict.fromkeys((studio.floor, studio.wall)) if studio else (style,)
            models += [("texture", name) for name in names]
    return models


PIPELINE = Pipeline(
    kind="renders",
    version=VERSION,
    device="gpu",
    spec_type=RenderSpec,
    run=run,
    label=gettext_noop("Product renders"),
    seeded=True,
    decode_hint=decode_hint,
    models=_models,
)
