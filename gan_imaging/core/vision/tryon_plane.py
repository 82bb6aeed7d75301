"""The surface a shopper marks in their own photo, as a plane, and the shadow a product placed
on it casts there.

A surface is a floor, a table or a wall, marked by a horizon line (floor and table) or by the
four corners of a quadrilateral lying on it (any kind). Either gives a homography from plane
coordinates to image pixels:

* horizon row ``y_h``: a camera at height 1 above a level floor, focal length ``f`` px, sees
  the floor point (X, Z) at ``x = c_x + f·X/Z``, ``y = y_h + f/Z`` — a homography of (X, Z, 1);
* quadrilateral: the unit square's corners (TL, TR, BR, BL) sent to the four marked points.

Shadows are drawn in plane coordinates and sent through the homography, so they lie on the
marked surface and shrink with depth as it does; outside the surface they are cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from gan_imaging.core.errors import SpecError, gettext_noop

KINDS = ("floor", "table", "wall")
#: Focal length as a share of the photo's long side (a phone's main camera: 26 mm equivalent).
FOCAL_SHARE = 0.75
#: Shadows are computed at this reduction of the output and upsampled: they have no detail.
_REDUCE = 4

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """``kind``: floor, table or wall. ``horizon``: the horizon's row as a share 0–1 of the
    photo's height (floor, table), or None. ``quad``: four points (x, y shares 0–1 of the
    photo's width and height) on the surface, in order top-left, top-right, bottom-right,
    bottom-left as seen, or None. Without either, a floor or table gets a horizon above the
    product and a wall faces the camera."""

    kind: str = "floor"
    horizon: float | None = None
    quad: tuple[Point, Point, Point, Point] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SpecError(gettext_noop("The surface must be a floor, a table or a wall."))
        if self.horizon is not None and not 0.0 <= self.horizon <= 1.0:
            raise SpecError(gettext_noop("The horizon must lie within the photo."))
        if self.quad is not None:
            pts = np.asarray(self.quad, np.float64)
            if pts.shape != (4, 2) or not np.isfinite(pts).all() or np.abs(pts).max() > 2:
                raise SpecError(gettext_noop("Mark the surface with four corners in the photo."))
            if abs(_signed_area(pts)) < 1e-3:
                raise SpecError(gettext_noop("The four corners of the surface enclose no area."))


def _signed_area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def solve_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3×3 homography (float64, ``[2, 2] == 1``) sending four ``src`` points (4, 2) to
    ``dst`` (4, 2). Raises ``SpecError`` for a degenerate quadrilateral."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    try:
        h = np.linalg.solve(np.asarray(rows, np.float64), np.asarray(rhs, np.float64))
    except np.linalg.LinAlgError:
        raise SpecError(gettext_noop("The four corners of the surface enclose no area.")) from None
    return np.append(h, 1.0).reshape(3, 3)


def apply_h(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points (N, 2) sent through homography ``h``; returns (N, 2) float64."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ h.T
    w = np.where(np.abs(q[:, 2:3]) < 1e-12, 1e-12, q[:, 2:3])
    return q[:, :2] / w


def horizon_row(surface: Surface, size: tuple[int, int], contact_y: float) -> float:
    """The horizon's row in px for a floor or table: the marked one, kept at least 3 % of the
    height above the contact ``contact_y`` (px), or 40 % of the way down when none is marked."""
    h = size[1]
    marked = surface.horizon * h if surface.horizon is not None else 0.4 * h
    return float(min(marked, contact_y - 0.03 * h))


def plane_to_image(surface: Surface, size: tuple[int, int], contact: Point) -> np.ndarray:
    """The homography (3×3 float64) from the surface's plane coordinates to pixels of a photo
    of ``size`` (w, h px). ``contact`` (px) is where the product touches the surface: it
    places the default horizon. A wall without corners faces the camera (plane = pixels)."""
    w, h = size
    if surface.quad is not None:
        dst = np.asarray(surface.quad, np.float64) * [w, h]
        return solve_homography(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64), dst)
    if surface.kind == "wall":
        return np.eye(3)
    f = FOCAL_SHARE * max(w, h)
    y_h = horizon_row(surface, size, contact[1])
    return np.array([[f, w / 2, 0.0], [0.0, y_h, f], [0.0, 1.0, 0.0]])


def plane_mask(surface: Surface, size: tuple[int, int], contact: Point) -> np.ndarray:
    """Bool (h, w): the pixels on the marked surface (inside the quadrilateral, or below the
    horizon; everything for a wall facing the camera)."""
    w, h = size
    if surface.quad is not None:
        im = Image.new("L", size, 0)
        ImageDraw.Draw(im).polygon([(x * w, y * h) for x, y in surface.quad], fill=255)
        return np.asarray(im) > 0
    mask = np.ones((h, w), bool)
    if surface.kind != "wall":
        mask[: max(0, int(np.ceil(horizon_row(surface, size, contact[1])))), :] = False
    return mask


def local_axes(h: np.ndarray, at: Point) -> tuple[np.ndarray, np.ndarray, float]:
    """At image point ``at`` (px): the plane's direction across the view (image x, as a unit
    plane vector), the direction into the depth (unit, perpendicular, towards the horizon or
    the top of a wall) and the plane units per image px along image x."""
    hinv = np.linalg.inv(h)
    p0 = apply_h(hinv, np.array([at]))[0]
    px = apply_h(hinv, np.array([[at[0] + 1.0, at[1]]]))[0] - p0
    scale = float(np.hypot(*px)) or 1e-6
    across = px / scale
    depth = np.array([-across[1], across[0]])
    # Into the depth is up in the image (towards the horizon, or up a wall).
    up = apply_h(h, np.array([p0 + depth * scale]))[0]
    if up[1] > at[1]:
        depth = -depth
    return across, depth, scale


def contact_shadow(
    size: tuple[int, int],
    h: np.ndarray,
    mask: np.ndarray,
    contact: Point,
    product_px: tuple[float, float],
    light: tuple[float, float],
    *,
    opacity: float = 0.55,
) -> np.ndarray:
    """Shadow strength float32 (h, w) in 0–1 on the surface, for a product standing at
    ``contact`` (px) whose solid part is ``product_px`` (width, height px) wide and tall.

    A dark core where the base meets the surface (an ellipse as deep as 45 % of its width) and a
    softer cast shadow that falls away from the light: ``light`` is (side, strength): side −1
    (light from the left) to 1 (from the right), strength 0 (diffuse) to 1 (one hard source).
    Both are drawn in plane coordinates (see the module doc), so they follow the marked
    surface's perspective and stop at its edges (``mask``)."""
    w, hh = size
    across, depth, per_px = local_axes(h, contact)
    hinv = np.linalg.inv(h)
    sw, sh = max(1, w // _REDUCE), max(1, hh // _REDUCE)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float64)
    pts = np.c_[(xs.ravel() + 0.5) * _REDUCE, (ys.ravel() + 0.5) * _REDUCE]
    q = np.c_[pts, np.ones(len(pts))] @ hinv.T
    # Points beyond the plane's vanishing line map to the far side of the camera.
    w0 = float((hinv @ np.array([contact[0], contact[1], 1.0]))[2])
    valid = q[:, 2] * w0 > 0
    q = q[:, :2] / np.where(np.abs(q[:, 2:3]) < 1e-12, 1e-12, q[:, 2:3])
    q0 = apply_h(hinv, np.array([contact]))[0]
    d = q - q0
    a = max(1e-6, product_px[0] * per_px / 2)  # half the base's width, plane units
    u, v = d @ across, d @ depth
    field = np.exp(-((u / (a * 1.05)) ** 2 + (v / (a * 0.45)) ** 2) * 2.2) * 0.85
    side, strength = float(np.clip(light[0], -1, 1)), float(np.clip(light[1], 0, 1))
    # The cast shadow: away from the light across the view and a little into the depth
    # (most rooms are lit from above and behind the camera's side walls).
    direction = np.array([-side * (0.4 + 0.6 * strength), 0.55])
    direction /= np.hypot(*direction)
    length = product_px[1] * per_px * (0.25 + 0.5 * strength)
    for t in np.linspace(0.1, 1.0, 7):
        centre = direction * length * t
        rad = a * (0.75 + 0.5 * t)
        du, dv = u - centre[0], v - centre[1]
        weight = 0.32 * (1.0 - 0.8 * t) * (0.5 + 0.5 * strength)
        field = field + weight * np.exp(-(du**2 + (dv / 0.6) ** 2) / rad**2 * 1.6)
    field = np.where(valid, field, 0.0).reshape(sh, sw).astype(np.float32)
    field = ndimage.gaussian_filter(np.clip(field, 0, 1), 0.8)
    full = Image.fromarray(field).resize((w, hh), Image.Resampling.BILINEAR)
    out = np.asarray(full, np.float32) * float(np.clip(opacity, 0, 1))
    result: np.ndarray = np.where(mask, out, 0.0).astype(np.float32)
    return result


def wall_shadow(alpha: np.ndarray, mask: np.ndarray, light: tuple[float, float],
                height_px: float) -> np.ndarray:
    """Shadow strength float32 (h, w) 0–1 of a flat product hung on a wall: its placed matte
    ``alpha`` (uint8 (h, w), full canvas) moved a little away from the light and down, blurred,
    and kept on the wall (``mask``)."""
    side, strength = float(np.clip(light[0], -1, 1)), float(np.clip(light[1], 0, 1))
    shift = (height_px * 0.02, -side * height_px * 0.025 * (0.5 + strength))
    small = alpha[::_REDUCE, ::_REDUCE].astype(np.float32) / 255
    moved = ndimage.shift(small, (shift[0] / _REDUCE, shift[1] / _REDUCE), order=1)
    soft = ndimage.gaussian_filter(moved, max(1.0, height_px * 0.02 / _REDUCE))
    full = Image.fromarray(soft).resize((alpha.shape[1], alpha.shape[0]),
                                        Image.Resampling.BILINEAR)  # fmt: skip
    out = np.asarray(full, np.float32) * (0.3 + 0.25 * strength)
    result: np.ndarray = np.where(mask, out, 0.0).astype(np.float32)
    return result
