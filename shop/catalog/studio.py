"""A tiny studio renderer for the demo shop's product photos, numpy and Pillow only.

Solids of revolution, tubes and boxes seen by an orthographic camera 8–24° above the floor of a
light seamless backdrop, lit by a soft key light (upper left, its softbox reflected in gloss) and
a weak fill, with ambient occlusion, a contact shadow, 2× supersampling (antialiased edges) and
mild sensor noise. :mod:`shop.catalog.demo_photos` draws the products with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SS = 2  # supersampling factor of the product layer
Arr = np.ndarray
Geometry = dict[str, Arr]
Material = Callable[[Geometry], tuple[Arr, float, float]]  # → linear albedo, spec, gloss
_KEY = np.array([-0.55, 0.62, 0.56], np.float32)  # unit vectors towards the lights
_FILL = np.array([0.77, 0.2, 0.6], np.float32)


def lin(rgb: tuple[int, int, int]) -> Arr:
    """sRGB 0–255 → linear light 0–1, shape (3,)."""
    return (np.asarray(rgb, np.float32) / 255.0) ** 2.2


def _unit(v: Arr) -> Arr:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6)


def _down(v: Arr) -> Arr:
    """2×2 box filter: the 2× layer (SS = 2) down to final px."""
    return (v[0::2, 0::2] + v[1::2, 0::2] + v[0::2, 1::2] + v[1::2, 1::2]) / 4


def fillet(h: Arr, f: float) -> Arr:
    """Inset (px) of an edge rounded with radius ``f`` px, at distances ``h`` px from it."""
    return np.where(h < f, f - np.sqrt(np.clip(f * f - (f - h) ** 2, 0, None)), 0.0)


class Studio:
    """A ``size`` (w, h) px canvas: light backdrop, 2× product layer, floor shadows.

    ``elevation``: camera angle above the floor, degrees (5–30). World units are final px:
    x right, h up from the floor, z towards the camera; the point (x, h, z) of an object
    standing at screen (cx, fy) lands at (cx + x, fy − h·cos e + z·sin e).
    """

    def __init__(self, size: tuple[int, int], elevation: float, seed: int) -> None:
        (self.w, self.h), e = size, math.radians(elevation)
        self.ce, self.se = math.cos(e), math.sin(e)
        self.view = np.array([0.0, self.se, self.ce], np.float32)
        self.rgb = np.zeros((self.h * SS, self.w * SS, 3), np.float32)  # linear, premultiplied
        self.alpha, self.depth = self.rgb[..., 0].copy(), np.full_like(self.rgb[..., 0], -np.inf)
        self.shadow = Image.new("L", (self.w // 2, self.h // 2), 0)  # floor contact, ½ px
        self.rng = np.random.default_rng(seed)

    def shade(self, n: Arr, albedo: Arr, spec: float, gloss: float, ao: Arr | float = 1.0) -> Arr:
        """Linear RGB (P, 3) for world normals ``n`` (P, 3) and linear ``albedo`` ((P, 3) or
        (3,), 0–1); ``spec`` 0–1 (matte … glaze, glass), ``gloss`` highlight sharpness 5–200."""
        n = n.astype(np.float32)
        nv = n @ self.view
        key = np.clip((n @ _KEY + 0.25) / 1.25, 0, 1)  # wrapped: a soft light's terminator
        diffuse = (1.05 * key + 0.22 * np.clip(n @ _FILL, 0, 1) + 0.16 + 0.08 * n[:, 1]) * ao
        hl = np.exp(gloss * (np.minimum(n @ _unit(_KEY + self.view), 1) - 1))
        rx, ry = 2 * nv * n[:, 0], 2 * nv * n[:, 1] - self.se  # the reflected view ray
        box = (np.clip((-rx - 0.3) * 5, 0, 1) * np.clip((0.75 + rx) * 5, 0, 1)
               * np.clip((ry + 0.35) * 3, 0, 1))  # the key's softbox, seen in the gloss
        rim = np.square(np.square(np.clip(1 - nv, 0, 1)))  # Fresnel-ish, at grazing angles
        glow = spec * (0.9 * hl + 0.55 * box + 0.12 * rim)
        return albedo * diffuse[:, None] * (1 - 0.04 * spec) + glow[:, None]

    def paint(self, yi: Arr, xi: Arr, colour: Arr, depth: Arr | None = None) -> None:
        """Paint linear ``colour`` (P, 3) at layer pixels (``yi``, ``xi``) (2× px); given a
        ``depth`` (P,) (2× px towards the camera), only where nothing nearer was painted."""
        if depth is not None:
            near = depth >= self.depth[yi, xi]
            yi, xi, colour = yi[near], xi[near], colour[near]
            self.depth[yi, xi] = depth[near]
        self.rgb[yi, xi] = colour
        self.alpha[yi, xi] = 1.0

    def at(self, base: tuple[float, float], v: Arr) -> Arr:
        """Screen px (x, y) of the world point ``v`` (x, h, z px) of an object at ``base``."""
        return np.array([base[0] + v[0], base[1] - v[1] * self.ce + v[2] * self.se])

    def footprint(self, shape: list[tuple[float, float]], ellipse: bool = False) -> None:
        """Mark where an object meets the floor (a polygon, or the ellipse in the box of two
        points, px): the backdrop darkens under and behind it."""
        draw, pts = ImageDraw.Draw(self.shadow), [(x / 2, y / 2) for x, y in shape]
        draw.ellipse(pts, fill=255) if ellipse else draw.polygon(pts, fill=255)

    def revolve(self, at: tuple[float, float], height: float, profile: Callable[[Arr], Arr],
                material: Material, h0: float = 0.0) -> None:
        """A solid of revolution standing at screen ``at`` (cx, fy) px, ``h0`` to ``h0`` +
        ``height`` px above the floor, of radius ``profile(h)`` px at local heights h px. A
        pixel shows the highest slice whose projected disk covers it (the nearest surface on
        the camera's downward ray), found for all columns at once by a sorted search.
        ``material`` gets per pixel x, z, h, r (px), phi (rad), top (flat face), n (normal)."""
        (cx, fy), ce, se = at, self.ce, self.se
        hk = np.linspace(0.0, height * SS, int(height * SS) + 2)
        r, step, n = profile(hk / SS) * SS, hk[1] - hk[0], len(hk)
        dr, rmax = np.gradient(r, hk), float(r.max())
        x0, y0 = int(cx * SS - rmax) - 1, int(fy * SS - (h0 * SS + hk[-1]) * ce - rmax * se) - 1
        xs = np.arange(x0, int(cx * SS + rmax) + 2) + 0.5 - cx * SS
        us = fy * SS - (np.arange(y0, int(fy * SS - h0 * SS * ce + rmax * se) + 2) + 0.5)
        s = se * np.sqrt(np.clip(r[None] ** 2 - xs[:, None] ** 2, 0, None))
        valid, uc, big = r[None] > np.abs(xs)[:, None], (h0 * SS + hk) * ce, 1e6
        # Lowest / highest row (up = +) covered by the slices from k upwards, per column.
        m = np.minimum.accumulate(np.where(valid, uc - s, big)[:, ::-1], axis=1)[:, ::-1]
        mx = np.maximum.accumulate(np.where(valid, uc + s, -big)[:, ::-1], axis=1)[:, ::-1]
        col = np.arange(len(xs))[:, None]  # columns side by side in one sorted array:
        off = col * 4 * big
        a = np.searchsorted((m + off).ravel(), (us[::-1] + off).ravel(), "right")
        b = np.searchsorted((off - mx).ravel(), (off - us).ravel(), "right")
        a = (a.reshape(len(xs), -1) - 1 - col * n)[:, ::-1].T  # last k with m[k] <= u
        b = (b.reshape(len(xs), -1) - 1 - col * n).T  # last k with mx[k] >= u
        yi, ci = np.nonzero(np.minimum(a, b) >= 0)  # covered pixels only from here on
        a, b, u, x = a[yi, ci], b[yi, ci], us[yi], xs[ci]
        k = np.minimum(np.minimum(a, b), n - 2)
        tm = (u - m[ci, k]) / np.maximum(m[ci, k + 1] - m[ci, k], 1e-6)
        tx = (mx[ci, k] - u) / np.maximum(mx[ci, k] - mx[ci, k + 1], 1e-6)
        hh = hk[k] + step * np.clip(np.where(a <= b, tm, tx), 0, 1)
        zk = ((h0 * SS + hk[k]) * ce - u) / se  # z if on slice k's disk
        top = zk**2 + x**2 < (r[k] - 1.5 * step * ce / se - 1.5) ** 2
        hh, rh = np.where(top, hk[k], hh), np.where(top, r[k], np.interp(hh, hk, r))
        zs = np.sqrt(np.clip(rh**2 - x**2, 0, None))
        z = np.where(top, zk, np.where(zk >= 0, zs, -zs))
        rho = np.maximum(rh, 1e-3)
        nrm = _unit(np.stack([x / rho, -np.interp(hh, hk, dr), z / rho], -1))
        nrm[top] = (0.0, 1.0, 0.0)
        geo = {key: v.astype(np.float32) for key, v in (("x", x / SS), ("z", z / SS),
               ("h", hh / SS), ("r", rh / SS), ("n", nrm), ("phi", np.arctan2(x, z)))}
        albedo, spec, gloss = material({**geo, "top": top})
        ao = 1 - 0.45 * np.exp(-hh / SS / 6.0) * ~top if h0 == 0 else 1.0
        if h0 == 0:  # standing on the floor: a contact shadow a little inside the foot
            f = r[0] / SS - 6
            self.footprint([(cx - f, fy - f * se), (cx + f, fy + f * se)], ellipse=True)
        self.paint(yi + y0, ci + x0, self.shade(nrm, albedo, spec, gloss, ao),
                   z * ce + (h0 * SS + hh) * se)

    def tube(self, pts: Arr, radius: float, albedo: Arr, spec: float, gloss: float,
             flat: float = 1.0, inside: Arr | None = None, depth: Arr | None = None) -> None:
        """A tube of ``radius`` px along the screen polyline ``pts`` ((n, 2) px). ``flat``
        1–10: 1 round, more a band facing the camera with rounded edges (a ribbon).
        ``inside``: linear colour filling the closed polyline first (a loop's far side).
        ``depth``: the points' depths ((n,) px towards the camera) to hide it behind nearer
        surfaces; without, it is painted over everything."""
        p, rad = np.asarray(pts, np.float64) * SS, radius * SS
        if inside is not None:
            mask = Image.new("1", self.alpha.shape[::-1])
            ImageDraw.Draw(mask).polygon([tuple(v) for v in p], fill=1)
            yi, xi = np.nonzero(np.asarray(mask))
            self.paint(yi, xi, inside * (0.5 + 0.5 * (yi - yi.min()) / np.ptp(yi))[:, None])
        (x0, y0), (x1, y1) = (p.min(0) - rad - 2).astype(int), (p.max(0) + rad + 3).astype(int)
        best = np.full((y1 - y0, x1 - x0), np.inf)
        dx, dy, dz = np.zeros_like(best), np.zeros_like(best), np.zeros_like(best)
        dp = np.zeros(len(p)) if depth is None else np.asarray(depth) * SS
        for a, b, da, db in zip(p[:-1], p[1:], dp[:-1], dp[1:], strict=True):
            (wx0, wy0), (wx1, wy1) = (np.minimum(a, b) - rad - 1).astype(int) - (x0, y0), (
                np.maximum(a, b) + rad + 2).astype(int) - (x0, y0)  # the segment's window
            gy, gx = np.mgrid[y0 + wy0 : y0 + wy1, x0 + wx0 : x0 + wx1] + 0.5
            ab, win = b - a, (slice(wy0, wy1), slice(wx0, wx1))
            t = np.clip(((gx - a[0]) * ab[0] + (gy - a[1]) * ab[1]) / max(ab @ ab, 1e-9), 0, 1)
            ex, ey = gx - a[0] - t * ab[0], gy - a[1] - t * ab[1]
            closer = ex * ex + ey * ey < best[win]
            best[win][closer] = (ex * ex + ey * ey)[closer]
            dx[win][closer], dy[win][closer] = ex[closer], ey[closer]
            dz[win][closer] = (da + t * (db - da))[closer]
        yi, xi = np.nonzero(best < rad * rad)
        d = np.sqrt(best[yi, xi]) / rad  # a normal's screen part grows to 1 at the edge
        side = np.sqrt(np.clip(1 - (1 - d**2) ** flat, 0, 1)) / np.maximum(d, 1e-6) / rad
        nz, sx, su = np.sqrt(np.clip(1 - d**2, 0, 1)) ** flat, dx[yi, xi] * side, -dy[yi, xi] * side
        n = _unit(np.stack([sx, su * self.ce + nz * self.se, -su * self.se + nz * self.ce], -1))
        self.paint(yi + y0, xi + x0, self.shade(n, albedo, spec, gloss),
                   None if depth is None else dz[yi, xi] + nz * rad)

    def face(self, at: tuple[float, float], origin: Arr, ea: Arr, eb: Arr,
             fn: Callable[[Arr, Arr], Arr], spec: float, gloss: float) -> None:
        """The flat parallelogram origin + α·ea + β·eb (world px; α, β 0–1) of an object
        standing at screen ``at`` (cx, fy) px, coloured by ``fn(α, β) -> linear albedo``."""
        o = self.at(at, origin) * SS
        a, b = (self.at((0, 0), e) * SS for e in (ea, eb))
        corners = np.array([o, o + a, o + b, o + a + b])
        (x0, y0), (x1, y1) = corners.min(0).astype(int) - 1, corners.max(0).astype(int) + 2
        gy, gx = np.mgrid[y0:y1, x0:x1] + 0.5
        inv = np.linalg.inv(np.array([a, b]).T)
        al, be = (inv[i, 0] * (gx - o[0]) + inv[i, 1] * (gy - o[1]) for i in (0, 1))
        yi, xi = np.nonzero((al >= 0) & (al <= 1) & (be >= 0) & (be <= 1))
        nf = _unit(np.cross(ea, eb))
        n = np.broadcast_to(nf if nf @ self.view > 0 else -nf, (len(yi), 3))
        self.paint(yi + y0, xi + x0, self.shade(n, fn(al[yi, xi], be[yi, xi]), spec, gloss))

    def finish(self, backdrop: tuple[int, int, int] = (247, 246, 243)) -> Image.Image:
        """Backdrop (sRGB 0–255, lit from the upper left) + floor shadow + the product layer
        box-filtered to 1× + sensor noise → an RGB image of the canvas size."""
        h, w = self.h, self.w
        yy, xx = np.linspace(0, 1, h)[:, None, None], np.linspace(-1, 1, w)[None, :, None]
        bg = lin(backdrop) * (0.975 + 0.03 * yy - 0.012 * xx**2 + 0.008 * xx).astype(np.float32)
        soft = self.shadow.filter(ImageFilter.GaussianBlur(w / 40)).resize((w, h))
        soft = soft.transform((w, h), Image.Transform.AFFINE, (1, 0, -w / 60, 0, 1, h / 120))
        tight = self.shadow.filter(ImageFilter.GaussianBlur(3)).resize((w, h))
        bg *= 1 - (0.12 * np.asarray(soft, np.float32) + 0.14 * np.asarray(tight))[..., None] / 255
        a, fg = _down(self.alpha), _down(self.rgb)
        lut = 255 * np.linspace(0, 1, 4096, dtype=np.float32) ** (1 / 2.2) + 0.5  # → sRGB
        srgb = lut[(np.clip(bg * (1 - a[..., None]) + fg, 0, 1) * 4095).astype(np.int16)]
        srgb += self.rng.standard_normal((h, w, 1), np.float32) * 1.3  # sensor noise
        srgb += self.rng.standard_normal((h, w, 3), np.float32) * 0.7
        return Image.fromarray(np.clip(srgb, 0, 255).astype(np.uint8), "RGB")


def print_sheet(lines: list[tuple[str, int, int]], size: tuple[int, int]) -> Arr:
    """Text (``(text, font px, centre y px)`` lines) on a ``size`` px sheet: ink 0–1."""
    im = Image.new("L", size, 0)
    for text, px, y in lines:
        ImageDraw.Draw(im).text((size[0] / 2, y), text, fill=255, anchor="mm",
                                font=ImageFont.load_default(px))
    return np.asarray(im, np.float32) / 255.0


def wrap_around(g: Geometry, sheet: Arr, span: float, lo: float, hi: float) -> Arr:
    """``sheet`` wrapped round a side over φ −span…span rad, heights lo…hi px: ink 0–1."""
    (th, tw), on = sheet.shape, ~g["top"] & (np.abs(g["phi"]) < span) & (g["h"] > lo)
    iu = np.clip((g["phi"] + span) / (2 * span) * tw, 0, tw - 1).astype(int)
    iv = np.clip((hi - g["h"]) / (hi - lo) * th, 0, th - 1).astype(int)
    return sheet[iv, iu] * (on & (g["h"] < hi))


def mix(col: Arr, where: Arr, other: Arr) -> Arr:
    return np.where(where[:, None], other, np.broadcast_to(col, (len(where), 3)))
