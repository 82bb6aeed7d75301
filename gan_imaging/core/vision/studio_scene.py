"""Studio scenes: a product standing on a textured floor or table top in perspective, in front
of a wall or on a seamless sweep, lit by a key light whose shadow and reflection it casts,
its colours harmonised with the set by a learned net.

Surfaces are texture-GAN materials (grey fields coloured by the material's duotone) mapped
through the set's geometry (:mod:`.studio`); light effects come from :mod:`.studio_light`;
placement (including edge anchoring of a product cut by its photo's frame) from
:func:`~.compose.place_product`. The product's pixels are never redrawn: it is scaled, then
given a bounded global colour transform (the harmoniser) and a gentle light fall-off.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.vision.compose import place_product
from gan_imaging.core.vision.shadow import contact_shadow
from gan_imaging.core.vision.studio import (
    LIGHTS,
    Camera,
    Rows,
    camera,
    light_vector,
    shade,
    surface_rows,
    texture_coords,
)
from gan_imaging.core.vision.studio_light import cast_shadow, reflect, relight

#: ``callable(material, width, height, seed) -> PIL image`` ("L" grey or "RGB"), e.g. a texture GAN.
Texture = Callable[[str, int, int, int], Image.Image]
Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Material:
    """A surface: texture style ``name``, duotone ``dark``/``light`` (sRGB 0–255), texture
    scale ``ppu`` (texture px per world unit, a product depth), ``gloss`` 0–1 (reflection),
    ``contrast`` 0–1: the share of the texture's deviation from its mean that is kept."""

    name: str
    dark: Rgb
    light: Rgb
    ppu: float
    gloss: float
    contrast: float = 1.0


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("marble", (112, 110, 108), (240, 238, 234), 330, 0.30, 0.55),
        Material("oak", (98, 64, 38), (204, 158, 110), 360, 0.10),
        Material("linen", (168, 156, 138), (236, 226, 208), 420, 0.0),
        Material("concrete", (96, 96, 94), (206, 204, 200), 300, 0.05, 0.55),
        Material("terrazzo", (92, 88, 84), (236, 230, 222), 330, 0.16),
        Material("paper", (186, 184, 180), (246, 245, 241), 300, 0.03, 0.35),
    )
}


@dataclass(frozen=True)
class StudioSet:
    """A set: ``floor`` and ``wall`` materials, the cove radius ``sweep`` (world units; 0 = a
    corner where floor meets wall) and the wall's depth ``wall`` (> 1 world units)."""

    floor: str
    wall: str
    sweep: float
    wall_depth: float


SETS: dict[str, StudioSet] = {
    "marble-table": StudioSet("marble", "paper", 0.0, 1.7),
    "oak-floor": StudioSet("oak", "concrete", 0.0, 1.8),
    "terrazzo-floor": StudioSet("terrazzo", "linen", 0.0, 1.7),
    "concrete-loft": StudioSet("concrete", "concrete", 0.0, 1.9),
    "paper-sweep": StudioSet("paper", "paper", 0.55, 1.9),
    "linen-sweep": StudioSet("linen", "linen", 0.55, 1.9),
}
#: Texture pixels one scene may synthesise (both materials together): bounds the GAN's time.
TEXTURE_BUDGET = 500_000
#: Long side (px) the set is drawn at before it is enlarged to the scene's size.
SET_SIDE = 640


def check_light(name: str) -> tuple[float, float]:
    """The (azimuth, elevation) of light preset ``name``; SpecError for an unknown one."""
    if name not in LIGHTS:
        raise SpecError(
            gettext_noop("Unknown scene light %(light)s; choose from %(choices)s."),
            params={"light": repr(name), "choices": ", ".join(LIGHTS)},
        )
    return LIGHTS[name]


def _surface(cam: Camera, rows: Rows, studio: StudioSet, texture: Texture, seed: int
             ) -> tuple[np.ndarray, dict[str, str]]:  # fmt: skip
    """The set's surfaces, unlit: float32 (H, W, 3) 0–255, and each material's model version."""
    split = studio.wall_depth - studio.sweep  # where the floor material ends (profile v)
    parts = [(studio.floor, rows.v <= split), (studio.wall, rows.v > split)]
    if studio.floor == studio.wall:
        parts = [(studio.floor, np.ones_like(rows.v, bool))]
    half = cam.width / 2 / cam.f
    extents: list[tuple[float, float, float] | None] = []
    for _name, sel in parts:
        if not sel.any():
            extents.append(None)
            continue
        u = half * float(rows.depth[sel].max()) + 0.02
        v0, v1 = float(rows.v[sel].min()) - 0.02, float(rows.v[sel].max()) + 0.02
        extents.append((u, v0, v1))
    area = sum(2 * e[0] * (e[2] - e[1]) * MATERIALS[n].ppu ** 2
               for (n, _), e in zip(parts, extents, strict=True) if e)  # fmt: skip
    shrink = min(1.0, (TEXTURE_BUDGET / max(area, 1.0)) ** 0.5)
    out = np.zeros((cam.height, cam.width, 3), np.float32)
    versions: dict[str, str] = {}
    for (name, sel), ext in zip(parts, extents, strict=True):
        if ext is None:
            continue
        mat = MATERIALS[name]
        ppu = mat.ppu * shrink
        u, v0, v1 = ext
        tw, th = max(16, int(2 * u * ppu) + 2), max(16, int((v1 - v0) * ppu) + 2)
        tex = texture(name, tw, th, seed)
        versions[name] = str(tex.info.get("model_version", "injected"))
        arr = np.asarray(tex.convert("L") if tex.mode != "RGB" else tex, np.float32)
        r0, r1 = int(np.flatnonzero(sel)[0]), int(np.flatnonzero(sel)[-1]) + 1
        row, col = texture_coords(cam, rows.depth[r0:r1], rows.v[r0:r1], ppu, -u, v0)
        if arr.ndim == 2:
            grey = ndimage.map_coordinates(arr, [row, col], order=1, mode="mirror") / 255
            if mat.contrast != 1:
                mean = float(grey.mean())
                grey = mean + (grey - mean) * mat.contrast
            rgb = (np.array(mat.dark, np.float32) * (1 - grey[..., None])
                   + np.array(mat.light, np.float32) * grey[..., None])  # fmt: skip
        else:
            rgb = np.stack([ndimage.map_coordinates(arr[..., c], [row, col], order=1,
                                                    mode="mirror")
                            for c in range(3)], axis=-1)  # fmt: skip
        keep = sel[r0:r1, None, None]
        out[r0:r1] = np.where(keep, rgb, out[r0:r1])
    return out, versions


#: Bounds of the harmoniser's effect on a product's mean colour: each channel's gain within
#: ±MAX_GAIN, and the channels' gains within MAX_TINT of each other (a tint, not a recolour).
MAX_GAIN, MAX_TINT = 0.1, 0.05


def harmonise_product(
    model: Any,
    scene: np.ndarray,
    product: np.ndarray,
    at: tuple[int, int],
    strength: float = 1.0,
    *,
    max_gain: float = MAX_GAIN,
    max_tint: float = MAX_TINT,
) -> tuple[np.ndarray, list[float]]:
    """``product`` (uint8 RGBA (h, w, 4), placed at ``at`` px on ``scene``, uint8 (H, W, 3))
    with the colour transform the harmoniser ``model`` predicts for it in that scene, scaled
    by ``strength`` 0–1 and further, if needed, so that the product's mean colour changes by
    at most ``max_gain`` per channel and ``max_tint`` between channels (shares, 0–1): the
    product stays the colour the merchant sells. Returns the new RGBA and the per-channel
    gain of its mean colour."""
    from gan_imaging.core.gan.harmonise import predict_transform, transform_pixels

    h_img, w_img = scene.shape[:2]
    comp = scene.astype(np.float32).copy()
    mask = np.zeros((h_img, w_img), np.float32)
    x0, y0 = max(0, at[0]), max(0, at[1])
    x1, y1 = min(w_img, at[0] + product.shape[1]), min(h_img, at[1] + product.shape[0])
    solid = product[..., 3] > 128
    if x1 <= x0 or y1 <= y0 or not solid.any():
        return product, [1.0, 1.0, 1.0]
    crop = product[y0 - at[1] : y1 - at[1], x0 - at[0] : x1 - at[0]].astype(np.float32)
    a = crop[..., 3:4] / 255
    comp[y0:y1, x0:x1] = comp[y0:y1, x0:x1] * (1 - a) + crop[..., :3] * a
    mask[y0:y1, x0:x1] = a[..., 0]
    params = predict_transform(model, comp.astype(np.uint8), mask)
    sample = product[..., :3][solid][::7][None]  # (1, n, 3): enough pixels for a mean
    before = sample[0].astype(np.float32).mean(axis=0).clip(1, None)

    def gains(s: float) -> np.ndarray:
        after = transform_pixels(params, sample, s)[0].astype(np.float32).mean(axis=0)
        return np.asarray(after / before, np.float32)

    s = float(np.clip(strength, 0, 1))
    for _ in range(4):  # the transform is close to linear in s: shrink until within bounds
        g = gains(s)
        over = max(float(np.abs(g - 1).max()) / max_gain,
                   float(g.max() / g.min() - 1) / max_tint)  # fmt: skip
        if over <= 1.0:
            break
        s *= 0.95 / over
    rgb = transform_pixels(params, product[..., :3], s)
    return np.concatenate([rgb, product[..., 3:4]], axis=2), [round(float(x), 4) for x in gains(s)]


def render_studio(
    cutout: Image.Image,
    set_name: str,
    size: tuple[int, int],
    *,
    texture: Texture,
    seed: int = 0,
    camera_name: str = "eye",
    light: str = "left",
    edges: Collection[str] = (),
    harmoniser: Any = None,
    harmonise_strength: float = 1.0,
) -> tuple[Image.Image, dict[str, Any]]:
    """The product ``cutout`` (RGBA, cropped to it) in studio set ``set_name`` (a key of
    :data:`SETS`) at ``size`` (w, h px), seen from camera preset ``camera_name`` (see
    :data:`~.studio.CAMERAS`), lit from ``light`` (see :data:`~.studio.LIGHTS`).

    ``texture`` makes the materials' grey fields; ``harmoniser``: a loaded
    :class:`~gan_imaging.core.gan.harmonise.HarmoniserModel` or None (no harmonisation).
    A product cut by its photo's ``edges`` is anchored to the frame there, with no shadow
    or reflection under the cut. Returns the RGB scene and its meta (placement, set,
    camera, horizon row, light, materials' model versions, harmoniser gain).
    """
    if set_name not in SETS:
        raise SpecError(
            gettext_noop("Unknown studio set %(set)s; choose from %(choices)s."),
            params={"set": repr(set_name), "choices": ", ".join(SETS)},
        )
    studio = SETS[set_name]
    w, h = size
    cutout = cutout.convert("RGBA")
    if "bottom" not in edges:
        # The product stands where its solid part ends: a mockup's own faint shadow below it
        # in the matte would float it off the floor (the set draws its own shadow).
        solid = np.flatnonzero((np.asarray(cutout.getchannel("A")) >= 128).any(axis=1))
        if solid.size:
            cutout = cutout.crop((0, 0, cutout.width, int(solid[-1]) + 1))
    place = place_product(cutout.size, (w, h), edges)
    product = np.asarray(cutout.resize(place.size, Image.Resampling.LANCZOS))
    base = (place.at[1] + place.size[1]) / h if place.shadow else 0.88
    horizon = camera(camera_name, w, h).horizon
    lvec = light_vector(*check_light(light))
    # The set is soft (depth of field) and has no fine detail worth its cost at full size:
    # it is drawn at most SET_SIDE px long and enlarged; only the product keeps every pixel.
    k = min(1.0, SET_SIDE / max(w, h))
    sw, sh = max(16, round(w * k)), max(16, round(h * k))
    cam = Camera(sw, sh, horizon, base=float(np.clip(base, horizon + 0.12, 0.98)))
    rows = surface_rows(cam, studio.wall_depth, studio.sweep)
    surface, versions = _surface(cam, rows, studio, texture, seed)
    rgb = surface * shade(cam, rows, lvec)[..., None]
    # Highlights roll off instead of clipping, as on film.
    rgb = np.where(rgb > 200, 200 + 55 * np.tanh((rgb - 200) / 55), rgb)
    blur = ImageFilter.GaussianBlur(max(0.6, sh / 260))
    soft = np.asarray(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(blur),
                      np.float32)  # fmt: skip
    # Depth of field: the product (depth 1) is sharp, the set softens away from it.
    defocus = np.clip(np.abs(1 / rows.depth - 1) * 2.2, 0, 1).astype(np.float32)[:, None, None]
    rgb = rgb * (1 - defocus) + soft * defocus
    shadowed = place.shadow
    if shadowed:
        at_s = (round(place.at[0] * k), round(place.at[1] * k))
        small = np.asarray(Image.fromarray(product).resize(
            (max(1, round(place.size[0] * k)), max(1, round(place.size[1] * k))),
            Image.Resampling.BILINEAR))  # fmt: skip
        contact = np.asarray(contact_shadow(Image.fromarray(small[..., 3]), (sw, sh), at_s,
                                            opacity=1.0), np.float32) / 255  # fmt: skip
        cast = cast_shadow(small[..., 3], at_s, cam, lvec, wall=studio.wall_depth)
        rgb *= ((1 - 0.5 * contact) * (1 - 0.42 * cast))[..., None]
        side = np.clip(1 + 0.6 * float(lvec[0]) * np.linspace(-1, 1, sw, dtype=np.float32), 0.3, 2)
        rgb = reflect(rgb, small, at_s, rows.floor, gloss=MATERIALS[studio.floor].gloss,
                      light_gain=side)  # fmt: skip
    backdrop = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
    if (sw, sh) != (w, h):
        backdrop = backdrop.resize((w, h), Image.Resampling.BILINEAR)
    product = relight(product, lvec)
    gain = [1.0, 1.0, 1.0]
    if harmoniser is not None:
        product, gain = harmonise_product(harmoniser, np.asarray(backdrop), product, place.at,
                                          harmonise_strength)  # fmt: skip
    scene = backdrop
    pim = Image.fromarray(product, "RGBA")
    scene.paste(pim, place.at, pim)
    meta = place.meta()
    meta.update(shadow=shadowed, set=set_name, camera=camera_name,
                horizon_row=round(horizon * h), light=light,
                materials=versions, harmonise_gain=gain,
                harmoniser=getattr(harmoniser, "model_version", None))  # fmt: skip
    return scene, meta
