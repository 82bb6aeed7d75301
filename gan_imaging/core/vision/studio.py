"""Studio geometry: a floor (or table top) in perspective meeting a wall or a seamless sweep,
seen by a pinhole camera, lit by one soft key light.

Units: world lengths are in "product depths": the product stands on the floor at depth 1
from the camera. The camera looks horizontally (a shifted lens, as on a view camera, puts the
horizon at :attr:`Camera.horizon`), so verticals stay vertical. Its height above the floor
follows from where the product's base sits in the frame. The set is extruded along x: a side
view (depth z, height y) holds the floor (y = 0), a cove (a quarter circle of radius
``sweep``) and the wall (z = ``wall``). Each image row therefore sees one profile point;
:func:`surface_rows` finds it, :func:`shade` lights it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gan_imaging.core.errors import SpecError, gettext_noop

#: Camera presets: the horizon's row as a fraction (0–1) of the frame height from the top.
CAMERAS: dict[str, float] = {"high": 0.2, "eye": 0.4, "low": 0.58}
#: Light presets: (azimuth, elevation) in degrees. Azimuth 0 = from the camera, −90 = from
#: the left, +90 = from the right; elevation 0 = grazing, 90 = overhead.
LIGHTS: dict[str, tuple[float, float]] = {"left": (-55.0, 38.0), "right": (55.0, 38.0),
                                          "front": (0.0, 50.0)}  # fmt: skip


@dataclass(frozen=True)
class Camera:
    """A ``width`` × ``height`` px view. ``horizon``: its row as a fraction 0.05–0.8 of the
    height from the top; ``base``: the product's base row, fraction 0.5–0.98 (below the
    horizon); ``focal``: focal length as a multiple (0.6–3) of the longer side."""

    width: int
    height: int
    horizon: float
    base: float = 0.88
    focal: float = 1.15

    @property
    def f(self) -> float:
        """Focal length (px)."""
        return self.focal * max(self.width, self.height)

    @property
    def y_horizon(self) -> float:
        """Row (px, fractional) of the horizon."""
        return self.horizon * self.height

    @property
    def eye_height(self) -> float:
        """Camera height above the floor (world units: product depths)."""
        return max(1e-3, (self.base - self.horizon) * self.height / self.f)

    def floor_row(self, depth: float) -> float:
        """Row (px) where the floor at ``depth`` (> 0 world units) is seen."""
        return self.y_horizon + self.eye_height * self.f / depth


def camera(name: str, width: int, height: int, base: float = 0.88) -> Camera:
    """The preset ``name`` of :data:`CAMERAS` for a ``width`` × ``height`` px scene."""
    if name not in CAMERAS:
        raise SpecError(
            gettext_noop("Unknown scene camera %(camera)s; choose from %(choices)s."),
            params={"camera": repr(name), "choices": ", ".join(CAMERAS)},
        )
    return Camera(width, height, CAMERAS[name], base=base)


def light_vector(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector (x, y, z) from the scene towards the light (x right, y up, z away from the
    camera) for ``azimuth``/``elevation`` in degrees (see :data:`LIGHTS`)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.sin(az) * math.cos(el), math.sin(el), -math.cos(az) * math.cos(el)])


@dataclass(frozen=True)
class Rows:
    """Per image row (arrays of length H): ``depth`` z of the surface seen there (world
    units), ``height`` y above the floor, ``v`` arc length along the profile from the camera
    (world units: the texture's vertical coordinate), ``ny``/``nz`` the surface normal, and
    ``floor``: True where the row sees the flat floor (reflections live there only)."""

    depth: np.ndarray
    height: np.ndarray
    v: np.ndarray
    ny: np.ndarray
    nz: np.ndarray
    floor: np.ndarray


def surface_rows(cam: Camera, wall: float, sweep: float) -> Rows:
    """Intersect each row's ray with the profile: floor, then a cove of radius ``sweep``
    (≥ 0 world units; 0 = a sharp floor–wall corner), then a wall at depth ``wall`` (> 1)."""
    h = cam.eye_height
    r = float(np.clip(sweep, 0.0, wall - 1.0))
    s = (np.arange(cam.height, dtype=np.float64) + 0.5 - cam.y_horizon) / cam.f  # down-slope
    zc, yc = wall - r, r  # the cove's centre (side view)
    depth = np.full(cam.height, wall, np.float64)
    height = h - s * wall
    ny, nz = np.zeros(cam.height), -np.ones(cam.height)
    v = zc + math.pi * r / 2 + (height - r)
    with np.errstate(divide="ignore", invalid="ignore"):
        zf = np.where(s > 0, h / s, np.inf)
    on_floor = zf <= zc
    depth[on_floor], height[on_floor] = zf[on_floor], 0.0
    ny[on_floor], nz[on_floor], v[on_floor] = 1.0, 0.0, zf[on_floor]
    if r > 0:  # rays passing the floor and hitting the wall below y = r meet the cove
        cove = ~on_floor & (height < r)
        # Ray (t, h - s t) against the circle |(z, y) - (zc, yc)| = r: the far root is the
        # concave side seen from inside.
        a, b, c = 1 + s**2, -2 * (zc + s * (h - yc)), zc**2 + (h - yc) ** 2 - r**2
        disc = np.maximum(b**2 - 4 * a * c, 0)
        t = (-b + np.sqrt(disc)) / (2 * a)
        z, y = t, h - s * t
        ang = np.arctan2(z - zc, yc - y)  # 0 at the bottom of the arc, pi/2 at the wall
        depth[cove], height[cove] = z[cove], y[cove]
        ny[cove], nz[cove] = np.cos(ang[cove]), -np.sin(ang[cove])
        v[cove] = zc + r * ang[cove]
    return Rows(depth, height, v, ny, nz, on_floor)


def shade(
    cam: Camera, rows: Rows, light: np.ndarray, *, distance: float = 2.2, ambient: float = 0.45
) -> np.ndarray:
    """Brightness float32 (H, W), about 1 around the product, of a soft key light placed
    ``distance`` world units from the product towards ``light`` (a unit vector, see
    :func:`light_vector`), plus ``ambient`` (0–1) fill. Falls off with the inverse square of
    the distance and the cosine to each surface's normal."""
    xs = (np.arange(cam.width, dtype=np.float32) + 0.5 - cam.width / 2) / cam.f
    depth = rows.depth.astype(np.float32)[:, None]
    px = xs[None, :] * depth  # world x of each pixel
    lx, ly, lz = (light * distance).astype(np.float32)
    dx, dy = lx - px, (ly - rows.height.astype(np.float32))[:, None]
    dz = (1.0 + lz) - depth
    d2 = dx**2 + dy**2 + dz**2
    cos = (dy * rows.ny.astype(np.float32)[:, None] + dz * rows.nz.astype(np.float32)[:, None])
    key = np.maximum(cos, 0) / np.sqrt(d2) / d2
    ref = max(1e-6, float(light[1]) / distance**2)  # the key light on the floor under the product
    out: np.ndarray = ambient + (1 - ambient) * key / ref
    return out


def texture_coords(
    cam: Camera, depth: np.ndarray, v: np.ndarray, ppu: float, u0: float, v0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Texture pixel coordinates (row, col), float32 (n, W) each, of the image rows whose
    surface ``depth`` and profile position ``v`` (arrays (n,), see :class:`Rows`) are given,
    for a texture of ``ppu`` px per world unit whose pixel (0, 0) lies at world (u0, v0)."""
    xs = (np.arange(cam.width, dtype=np.float32) + 0.5 - cam.width / 2) / cam.f
    col = (xs[None, :] * depth.astype(np.float32)[:, None] - u0) * ppu
    row = np.broadcast_to(((v - v0) * ppu).astype(np.float32)[:, None], col.shape)
    return row, col
