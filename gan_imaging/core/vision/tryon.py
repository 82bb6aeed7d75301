"""A product placed into a shopper's own photo ("try it in your photo").

The shopper drags and scales the product's cutout over their photo in the browser; what they
saw is what is rendered (the cutout's whole box sits where they left it). On a floor or a
table the product stands upright and its contact shadow lies on the marked surface in
perspective (:mod:`.tryon_plane`); on a wall a flat product (a poster, a clock) is warped
onto the wall's plane. The shadow falls away from the light estimated from the photo, and the
product is harmonised to the photo's light and colour by the bundled harmoniser, bounded so it
stays the colour the shop sells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.imaging.encode import encode
from gan_imaging.core.imaging.policy import Limits
from gan_imaging.core.vision import tryon_plane
from gan_imaging.core.vision.tryon_plane import Surface

#: Longest side of a try-on result and of the stored shopper photo, px (a laptop screen).
DEFAULT_MAX_SIDE = 1600
JPEG_QUALITY = 85


@dataclass(frozen=True)
class TryOnSpec:
    """Where the shopper left the product. ``x``, ``y``: the bottom centre of the cutout's box
    as shares 0–1 of the photo's width and height; ``width``: the box's width as a share of
    the photo's width (0.02–1.5); ``surface``: where it stands or hangs."""

    x: float
    y: float
    width: float
    surface: Surface = Surface()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TryOnSpec:
        """From the browser's JSON: ``{"x", "y", "width", "surface", "horizon", "quad"}``;
        raises ``SpecError`` with a shopper-readable message."""
        try:
            x, y, width = float(data["x"]), float(data["y"]), float(data["width"])
            horizon = data.get("horizon")
            quad = data.get("quad")
            surface = Surface(
                str(data.get("surface") or "floor"),
                None if horizon in (None, "") else float(horizon),
                None if not quad else tuple((float(p[0]), float(p[1])) for p in quad),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError, ValueError, IndexError):
            raise SpecError(gettext_noop(
                "The product's position could not be read; place it on the photo again."
            )) from None
        if not all(math.isfinite(v) for v in (x, y, width)) or not (
            -0.5 <= x <= 1.5 and -0.5 <= y <= 1.5 and 0.02 <= width <= 1.5
        ):
            raise SpecError(gettext_noop(
                "Place the product on the photo, at a size between 2 % and 150 % of its width."
            ))
        return cls(x, y, width, surface)

    def as_dict(self) -> dict[str, Any]:
        s = self.surface
        return {"x": self.x, "y": self.y, "width": self.width, "surface": s.kind,
                "horizon": s.horizon, "quad": [list(p) for p in s.quad] if s.quad else None}


def fit_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    """(w, h) scaled to fit ``max_side`` px on its long side (never enlarged)."""
    scale = min(1.0, max_side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def clean_photo(data: bytes, limits: Limits, *, max_side: int = DEFAULT_MAX_SIDE,
                filename: str | None = None) -> Image.Image:
    """A shopper's upload (already validated) decoded at a reduced JPEG scale where it can be,
    turned upright by its EXIF orientation, sized to ``max_side`` px: an ``RGB`` image with no
    metadata left (what is stored is re-encoded from these pixels)."""
    image, _info = decode(data, limits, filename=filename,
                          draft_to=lambda w, h: fit_size(w, h, max_side))  # fmt: skip
    if image.mode == "RGBA":
        base = Image.new("RGB", image.size, (255, 255, 255))
        base.paste(image, mask=image.getchannel("A"))
        image = base
    size = fit_size(image.width, image.height, max_side)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image.convert("RGB")


def encode_jpeg(image: Image.Image) -> bytes:
    """JPEG bytes without any metadata (see :func:`~gan_imaging.core.imaging.encode.encode`)."""
    return encode(image, "jpeg", quality=JPEG_QUALITY)


def estimate_light(rgb: np.ndarray) -> tuple[float, float]:
    """The key light of a photo (uint8 (H, W, 3)) as (side, strength): side −1 (light from the
    left) to 1 (from the right), from where its brightest parts sit; strength 0 (flat, diffuse)
    to 1 (one strong source), from how unevenly it is lit left to right."""
    small = np.asarray(Image.fromarray(rgb).resize((64, 48), Image.Resampling.BOX), np.float32)
    lum = small @ np.array([0.299, 0.587, 0.114], np.float32) / 255
    cols = lum.mean(axis=0)
    xs = np.linspace(-1, 1, cols.size, dtype=np.float32)
    bright = np.clip(lum - np.percentile(lum, 70), 0, None).sum(axis=0)
    side = float((bright * xs).sum() / bright.sum()) if bright.sum() > 1e-6 else 0.0
    slope = float(np.polyfit(xs, cols, 1)[0])  # luma change across the photo, half-width
    strength = float(np.clip(abs(slope) / 0.12 + abs(side) * 0.5, 0, 1))
    return float(np.clip(side * 1.5, -1, 1)), strength


@dataclass
class Placed:
    """The product as placed: ``rgba`` uint8 (h, w, 4) with its top-left at ``at`` px."""

    rgba: np.ndarray
    at: tuple[int, int]


def place_upright(cutout: Image.Image, spec: TryOnSpec, size: tuple[int, int]) -> Placed:
    """The cutout (RGBA) scaled to the spec's width share of ``size`` (w, h px), bottom centre
    at the spec's point."""
    w_img, h_img = size
    bw = max(1, round(spec.width * w_img))
    bh = max(1, round(cutout.height * bw / cutout.width))
    im = cutout.convert("RGBA").resize((bw, bh), Image.Resampling.LANCZOS, reducing_gap=2.0)
    at = (round(spec.x * w_img - bw / 2), round(spec.y * h_img - bh))
    return Placed(np.asarray(im), at)


def place_on_wall(cutout: Image.Image, spec: TryOnSpec, size: tuple[int, int],
                  h: np.ndarray) -> Placed:
    """The cutout laid on the wall's plane (homography ``h``, plane → px): as wide and tall at
    its centre as the shopper placed it, warped with the wall's perspective."""
    w_img, h_img = size
    bw = spec.width * w_img
    bh = cutout.height * bw / cutout.width
    centre = np.array([[spec.x * w_img, spec.y * h_img - bh / 2]])
    hinv = np.linalg.inv(h)
    c = tryon_plane.apply_h(hinv, centre)[0]
    # Plane units per px along the plane's own axes at the centre.
    def px_per_unit(step: list[float]) -> float:
        moved = tryon_plane.apply_h(h, np.array([c + step]))[0]
        return float(np.linalg.norm(moved - centre[0])) / 1e-3

    ex, ey = px_per_unit([1e-3, 0.0]), px_per_unit([0.0, 1e-3])
    half = np.array([bw / 2 / max(ex, 1e-9), bh / 2 / max(ey, 1e-9)])
    # Output px → plane → cutout px.
    to_cut = np.array([[cutout.width / (2 * half[0]), 0, cutout.width / 2 - c[0] * cutout.width
                        / (2 * half[0])],
                       [0, cutout.height / (2 * half[1]), cutout.height / 2 - c[1]
                        * cutout.height / (2 * half[1])],
                       [0, 0, 1]])  # fmt: skip
    m = to_cut @ hinv
    m = m / m[2, 2]
    warped = cutout.convert("RGBA").transform(size, Image.Transform.PERSPECTIVE,
                                              tuple(m.ravel()[:8]), Image.Resampling.BILINEAR)
    return Placed(np.asarray(warped), (0, 0))


def _solid_base(placed: Placed) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the placed product's solid part meets the ground (px) and its solid size (w, h px)."""
    solid = placed.rgba[..., 3] >= 128
    rows = np.flatnonzero(solid.any(axis=1))
    cols = np.flatnonzero(solid.any(axis=0))
    if rows.size == 0:
        return None
    base = solid[rows[-1]]
    xs = np.flatnonzero(base)
    contact = (placed.at[0] + float(xs.mean()), placed.at[1] + float(rows[-1]))
    return contact, (float(cols[-1] - cols[0] + 1), float(rows[-1] - rows[0] + 1))


@dataclass
class TryOnResult:
    """``image``: RGB at the photo's size; ``shadow``: float32 (h, w) 0–1 strength drawn;
    ``alpha``: uint8 (h, w) the product's coverage; ``meta``: light, gains, placement."""

    image: Image.Image
    shadow: np.ndarray
    alpha: np.ndarray
    meta: dict[str, Any]


def render(photo: Image.Image, cutout: Image.Image, spec: TryOnSpec, *,
           harmoniser: Any = None, strength: float = 1.0) -> TryOnResult:
    """The product (``cutout``, RGBA) placed into ``photo`` (RGB) as ``spec`` says, with its
    shadow on the surface and (given a loaded ``harmoniser``) its colour harmonised."""
    from gan_imaging.core.vision.studio_scene import harmonise_product

    size = photo.size
    rgb = np.asarray(photo.convert("RGB"))
    light = estimate_light(rgb)
    surface = spec.surface
    if surface.kind == "wall":
        h = tryon_plane.plane_to_image(surface, size, (spec.x * size[0], spec.y * size[1]))
        placed = place_on_wall(cutout, spec, size, h)
    else:
        placed = place_upright(cutout, spec, size)
    found = _solid_base(placed)
    if found is None:
        raise SpecError(gettext_noop("The product's cutout is empty; it cannot be placed."))
    contact, solid = found
    h = tryon_plane.plane_to_image(surface, size, contact)
    mask = tryon_plane.plane_mask(surface, size, contact)
    alpha_full = np.zeros((size[1], size[0]), np.uint8)
    _paste(alpha_full, placed.rgba[..., 3], placed.at)
    if surface.kind == "wall":
        shadow = tryon_plane.wall_shadow(alpha_full, mask, light, solid[1])
    else:
        shadow = tryon_plane.contact_shadow(size, h, mask, contact, solid, light)
    scene = rgb.astype(np.float32) * (1 - shadow[..., None])
    scene_u8 = np.clip(scene + 0.5, 0, 255).astype(np.uint8)
    product, gains = placed.rgba, [1.0, 1.0, 1.0]
    if harmoniser is not None and strength > 0:
        product, gains = harmonise_product(harmoniser, scene_u8, placed.rgba, placed.at, strength)
    out = scene_u8.astype(np.float32)
    layer = np.zeros_like(out)
    a = np.zeros((size[1], size[0]), np.float32)
    _paste(layer, product[..., :3].astype(np.float32), placed.at)
    _paste(a, product[..., 3].astype(np.float32) / 255, placed.at)
    out = out * (1 - a[..., None]) + layer * a[..., None]
    image = Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")
    meta = {"light_side": round(light[0], 3), "light_strength": round(light[1], 3),
            "gains": gains, "contact": [round(contact[0], 1), round(contact[1], 1)],
            "solid_px": [round(solid[0], 1), round(solid[1], 1)]}  # fmt: skip
    return TryOnResult(image, shadow, alpha_full, meta)


def _paste(canvas: np.ndarray, tile: np.ndarray, at: tuple[int, int]) -> None:
    """Copy ``tile`` into ``canvas`` with its top-left at ``at`` (px), clipped to the canvas."""
    h, w = canvas.shape[:2]
    x0, y0 = max(0, at[0]), max(0, at[1])
    x1, y1 = min(w, at[0] + tile.shape[1]), min(h, at[1] + tile.shape[0])
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = tile[y0 - at[1] : y1 - at[1], x0 - at[0] : x1 - at[0]]


def render_bytes(photo: bytes, cutout: Image.Image, spec: TryOnSpec, limits: Limits, *,
                 harmoniser: Any = None, max_side: int = DEFAULT_MAX_SIDE
                 ) -> tuple[bytes, dict[str, Any]]:
    """The whole render from stored photo bytes to the JPEG a screen shows (``max_side`` px on
    its long side), with :func:`render`'s meta plus the result's ``width``/``height``."""
    image = clean_photo(photo, limits, max_side=max_side)
    result = render(image, cutout, spec, harmoniser=harmoniser)
    meta = {**result.meta, "width": image.width, "height": image.height}
    return encode_jpeg(result.image), meta
