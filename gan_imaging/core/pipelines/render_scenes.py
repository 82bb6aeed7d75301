"""The scenes of product renders: the cut-out product on a studio set or a texture backdrop.

A scene style is either a studio set of :data:`~gan_imaging.core.vision.studio_scene.SETS`
(a floor or table in perspective meeting a wall or a sweep, texture-GAN materials, a key
light with its shadow and reflection, a learned colour harmonisation) or the name of a texture
style that fills the frame behind the product (``"brick"``, ``"gravel"``). Models come from
``ctx.models`` as :mod:`.renders` describes (``"backdrop"``, ``"harmoniser"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from gan_imaging.core.imaging.encode import encode, get_format
from gan_imaging.core.pipelines.base import Context, Output
from gan_imaging.core.specs import parse_aspect
from gan_imaging.core.vision.compose import duotone, palette_for, render_scene
from gan_imaging.core.vision.studio_scene import SETS, render_studio

if TYPE_CHECKING:
    from gan_imaging.core.pipelines.renders import RenderSpec

#: Camera heights ``"auto"`` gives the scene aspects in turn (several per product).
AUTO_CAMERAS = ("eye", "high", "low")

Backdrop = Callable[[str, int, int, int], Image.Image]


def scene_size(aspect: str, long_side: int) -> tuple[int, int]:
    """(w, h) px of a scene of ``aspect`` ("W:H") whose longer side is ``long_side``."""
    w, h = parse_aspect(aspect)
    if w >= h:
        return long_side, max(1, round(long_side * h / w))
    return max(1, round(long_side * w / h)), long_side


def bundled_backdrop(style: str, width: int, height: int, seed: int) -> Image.Image:
    """The default backdrop: the bundled texture GAN of ``style``, coloured by its duotone."""
    from gan_imaging.core.gan import bundled_path, get_model, sample_texture, to_uint8

    model = get_model(bundled_path(style))
    grey = to_uint8(sample_texture(model, width, height, seed=seed))
    return duotone(grey[..., 0], *palette_for(style))


def _backdrop_version(fn: Backdrop, style: str) -> str:
    if fn is bundled_backdrop:
        from gan_imaging.core.gan import bundled_path, get_model

        return get_model(bundled_path(style)).model_version
    return str(getattr(fn, "model_version", "injected"))


def bundled_texture(material: str, width: int, height: int, seed: int) -> Image.Image:
    """A grey ``"L"`` field of the bundled texture GAN ``material`` (its version in ``info``)."""
    from gan_imaging.core.gan import bundled_path, get_model, sample_texture, to_uint8

    model = get_model(bundled_path(material))
    im = Image.fromarray(to_uint8(sample_texture(model, width, height, seed=seed))[..., 0], "L")
    im.info["model_version"] = model.model_version
    return im


def _harmoniser(ctx: Context) -> Any:
    from gan_imaging.core.gan.harmonise import get_model

    return ctx.models.get("harmoniser") or get_model()


def scenes(
    rgba: Image.Image,
    spec: RenderSpec,
    ctx: Context,
    cut_meta: dict[str, Any],
    edges: tuple[str, ...] = (),
) -> list[Output]:
    """One scene per aspect × style × camera × variant; a product cut by the photo's
    ``edges`` is anchored to the scene's frame there, with no shadow under the cut (meta
    ``placement``). Studio sets record their camera, light, horizon row, materials and
    harmoniser in the meta."""
    injected = ctx.models.get("backdrop")
    backdrop: Backdrop = injected or bundled_backdrop
    texture: Backdrop = injected or bundled_texture
    jobs = [(i, a, s, c, v) for i, a in enumerate(spec.scene_aspects) for s in spec.scene_styles
            for c in spec.scene_cameras for v in range(spec.variants)]  # fmt: skip
    fmt = spec.scene_format
    q = spec.quality(fmt)
    outputs: list[Output] = []
    for n, (i, aspect, style, cam, variant) in enumerate(jobs, 1):
        w, h = scene_size(aspect, spec.scene_long_side)
        seed = (ctx.seed + variant) % 2**31
        cam = AUTO_CAMERAS[(i + variant) % len(AUTO_CAMERAS)] if cam == "auto" else cam
        meta: dict[str, Any] = {"seed": seed, "style": style, "aspect": aspect,
                                "variant": variant, "cutout": cut_meta,
                                "cut_edges": list(edges), "quality": q}  # fmt: skip
        if style in SETS:
            harmoniser = _harmoniser(ctx)
            scene, placement = render_studio(rgba, style, (w, h), texture=texture, seed=seed,
                                             camera_name=cam, light=spec.scene_light,
                                             edges=edges, harmoniser=harmoniser)  # fmt: skip
            versions = placement.pop("materials")
            meta.update(camera=cam, light=spec.scene_light,
                        backdrop_model=",".join(f"{k}={v}" for k, v in sorted(versions.items())),
                        harmoniser=placement.pop("harmoniser"))  # fmt: skip
        else:
            bg = backdrop(style, w, h, seed)
            meta["backdrop_model"] = str(bg.info.get("model_version")
                                         or _backdrop_version(backdrop, style))  # fmt: skip
            if bg.mode == "L":  # a grey texture model: colour it like the bundled styles
                bg = duotone(np.asarray(bg), *palette_for(style))
            if bg.size != (w, h):
                bg = bg.resize((w, h), Image.Resampling.LANCZOS)
            scene, placement = render_scene(rgba, bg.convert("RGB"), edges=edges)
        data = encode(scene, fmt, quality=q)
        tag = f"-{cam}" if len(spec.scene_cameras) > 1 else ""
        key = f"scene-{aspect.replace(':', 'x')}-{style}{tag}-{variant}.{get_format(fmt).ext}"
        meta["placement"] = placement
        outputs.append(Output(key, data, fmt, w, h, meta))
        ctx.progress(0.45 + 0.55 * n / len(jobs))
    return outputs
