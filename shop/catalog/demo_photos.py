"""Studio product photos for the demo shop, drawn from nothing but numpy and Pillow.

Each photo is a packshot of a homeware product on a light seamless backdrop: 1200×1200 px
or 1000×1250 px (portrait), JPEG quality 92, deterministic (same bytes on every call), about
0.2–0.5 s each. Products are solids of revolution (mug, bottle, lamp, candle jar), tubes
(handles, loops, the bow) and a box, seen by an orthographic camera from 8–24° above.
Lighting: a soft key light from the upper left, a weak fill from the right, a softbox
reflection on glossy surfaces, ambient occlusion near the floor and a soft contact shadow.
The product is drawn at 2× and box-filtered down (antialiased edges); mild sensor noise.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SS = 2  # supersampling factor of the product layer
Arr = np.ndarray
Material = Callable[[dict[str, Arr]], tuple[Arr, float, float]]  # geometry → albedo, spec, gloss
_KEY = np.array([-0.55, 0.62, 0.56]) / np.linalg.norm([-0.55, 0.62, 0.56])
_FILL = np.array([0.75, 0.2, 0.63]) / np.linalg.norm([0.75, 0.2, 0.63])


def _lin(rgb: tuple[int, int, int] | Arr) -> Arr:
    """sRGB 0–255 → linear light 0–1."""
    return (np.asarray(rgb, np.float32) / 255.0) ** 2.2


def _unit(v: Arr) -> Arr:
    out: Arr = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6)
    return out


class Studio:
    """A canvas of ``size`` (w, h) px: a light backdrop, a 2× product layer, floor shadows.

    ``elevation``: camera angle above the horizon in degrees (5–30). World units are final
    px: x to the right, h up from the floor, z towards the camera; a point (x, h, z) of an
    object standing at screen (cx, fy) lands at (cx + x, fy − h·cos e + z·sin e).
    """

    def __init__(self, size: tuple[int, int], elevation: float, seed: int,
                 backdrop: tuple[int, int, int] = (247, 246, 243)) -> None:
        self.w, self.h = size
        self.e = math.radians(elevation)
        self.ce, self.se = math.cos(self.e), math.sin(self.e)
        self.view = np.array([0.0, self.se, self.ce])
        self.rgb = np.zeros((self.h * SS, self.w * SS, 3), np.float32)  # linear, premultiplied
        self.alpha = np.zeros((self.h * SS, self.w * SS), np.float32)
        self.shadow = Image.new("L", (self.w // 2, self.h // 2), 0)  # floor footprints, ½ res
        self.rng = np.random.default_rng(seed)
        self.backdrop = backdrop

    # -- shading ---------------------------------------------------------------------------
    def shade(self, n: Arr, albedo: Arr, spec: float, gloss: float, ao: Arr | float = 1.0) -> Arr:
        """Linear RGB for world normals ``n`` (..., 3), linear ``albedo`` (..., 3) 0–1,
        ``spec`` 0–1 (0 matte, 1 glaze/glass), ``gloss`` Blinn exponent 5–200."""
        key = np.clip((n @ _KEY + 0.25) / 1.25, 0, 1)
        fill = np.clip(n @ _FILL, 0, 1)
        sky = 0.16 + 0.08 * n[..., 1]
        diffuse = (1.05 * key + 0.28 * fill + sky)[..., None] * np.asarray(ao)[..., None]
        half = _unit(_KEY + self.view)
        hl = np.clip(n @ half, 0, 1) ** gloss
        refl = 2 * (n @ self.view)[..., None] * n - self.view  # softbox reflection, left
        box = (np.clip((-refl[..., 0] - 0.3) * 5, 0, 1) * np.clip((0.75 + refl[..., 0]) * 5, 0, 1)
               * np.clip((refl[..., 1] + 0.35) * 3, 0, 1))
        rim = np.clip(1 - n @ self.view, 0, 1) ** 4  # Fresnel-ish brightening at grazing angles
        glow = spec * (0.9 * hl + 0.55 * box + 0.12 * rim)
        out: Arr = albedo * diffuse * (1 - 0.04 * spec) + glow[..., None]
        return out

    def _paint(self, y0: int, x0: int, cover: Arr, colour: Arr) -> None:
        """Paint ``colour`` (linear, (h, w, 3)) where ``cover`` (bool) over the layer."""
        ys, xs = slice(y0, y0 + cover.shape[0]), slice(x0, x0 + cover.shape[1])
        self.rgb[ys, xs][cover] = colour[cover]
        self.alpha[ys, xs][cover] = 1.0

    def footprint(self, box: tuple[float, float, float, float] | list[tuple[float, float]]) -> None:
        """Mark a floor contact area: an ellipse box (x0, y0, x1, y1) or a polygon, in px."""
        draw = ImageDraw.Draw(self.shadow)
        if isinstance(box, tuple):
            draw.ellipse([v / 2 for v in box], fill=255)
        else:
            draw.polygon([(x / 2, y / 2) for x, y in box], fill=255)

    # -- primitives ------------------------------------------------------------------------
    def revolve(self, cx: float, fy: float, height: float, profile: Callable[[Arr], Arr],
                material: Material, h0: float = 0.0) -> None:
        """A solid of revolution standing at screen (cx, fy) px, from h0 to h0 + height px
        above the floor; ``profile(h)`` gives its radius (px) for local heights 0–height.
        Each visible pixel takes the highest slice whose projected disk covers it (the
        nearest surface along a downward-looking ray), found per column by searchsorted."""
        ce, se = self.ce, self.se
        hk = np.linspace(0.0, height * SS, int(height * SS) + 2)
        step = hk[1] - hk[0]
        r = profile(hk / SS) * SS
        dr = np.gradient(r, hk)
        rmax = float(r.max())
        x0, x1 = int(cx * SS - rmax) - 1, int(cx * SS + rmax) + 2
        y0 = int(fy * SS - (h0 * SS + hk[-1]) * ce - rmax * se) - 1
        y1 = int(fy * SS - h0 * SS * ce + rmax * se) + 2
        xs = np.arange(x0, x1) + 0.5 - cx * SS
        us = fy * SS - (np.arange(y0, y1) + 0.5)  # "up" coordinate of each row, ss px
        s = se * np.sqrt(np.clip(r[None] ** 2 - xs[:, None] ** 2, 0, None))
        valid = r[None] > np.abs(xs)[:, None]
        uc = (h0 * SS + hk) * ce
        big, n = 1e6, len(hk)
        lo = np.where(valid, uc - s, big)
        hi = np.where(valid, uc + s, -big)
        m = np.minimum.accumulate(lo[:, ::-1], axis=1)[:, ::-1]  # lowest row of slices ≥ k
        mx = np.maximum.accumulate(hi[:, ::-1], axis=1)[:, ::-1]  # highest row of slices ≥ k
        off = np.arange(len(xs))[:, None] * 4 * big
        q = (us[::-1][None] + off).ravel()  # ascending queries, column-major
        a = np.searchsorted((m + off).ravel(), q, "right").reshape(len(xs), -1)
        b = np.searchsorted((-mx + off).ravel(), (-us[::-1][None] + off).ravel(), "right")
        base = np.arange(len(xs))[:, None] * n
        a, b = (a - 1 - base)[:, ::-1].T, (b.reshape(len(xs), -1) - 1 - base)[:, ::-1].T
        k = np.minimum(a, b)
        cover = k >= 0
        k = np.clip(k, 0, n - 2)
        col = np.broadcast_to(np.arange(len(xs))[None], k.shape)
        u = np.broadcast_to(us[:, None], k.shape)
        tm = (u - m[col, k]) / np.maximum(m[col, k + 1] - m[col, k], 1e-6)
        tx = (mx[col, k] - u) / np.maximum(mx[col, k] - mx[col, k + 1], 1e-6)
        hh = hk[k] + step * np.clip(np.where(a <= b, tm, tx), 0, 1)
        rh, drh = np.interp(hh, hk, r), np.interp(hh, hk, dr)
        x = np.broadcast_to(xs[None], k.shape)
        zu = ((h0 * SS + hh) * ce - u) / se
        zs = np.sqrt(np.clip(rh**2 - x**2, 0, None))
        margin = 1.5 * step * ce / se + 1.5
        top = (a > b) & (zu**2 + x**2 < (rh - margin) ** 2)
        hh = np.where(top, hk[k], hh)
        z = np.where(top, zu, np.where(zu >= 0, zs, -zs))
        rho = np.maximum(rh, 1e-3)
        nrm = _unit(np.stack([x / rho, -drh, z / rho], -1))
        nrm[top] = (0.0, 1.0, 0.0)
        geo = {"x": x / SS, "z": z / SS, "h": hh / SS, "r": rh / SS, "top": top, "n": nrm,
               "phi": np.arctan2(x, z), "radius": rh / SS}
        albedo, spec, gloss = material(geo)
        ao = 1 - 0.45 * np.exp(-(hh / SS + h0) / 6.0) * (~top) if h0 == 0 else 1.0
        self._paint(y0, x0, cover, self.shade(geo["n"], albedo, spec, gloss, ao))

    def tube(self, pts: Arr, radius: float, albedo: Arr, spec: float, gloss: float,
             flat: float = 1.0) -> None:
        """A round tube of ``radius`` px along the screen polyline ``pts`` ((n, 2) px);
        ``flat`` 0.3–1 squashes its depth (a ribbon or a flattened handle)."""
        p = np.asarray(pts, np.float64) * SS
        rad = radius * SS
        x0, y0 = (p.min(0) - rad - 2).astype(int)
        x1, y1 = (p.max(0) + rad + 3).astype(int)
        gy, gx = np.mgrid[y0:y1, x0:x1] + 0.5
        best = np.full(gx.shape, np.inf)
        dx, dy = np.zeros_like(gx), np.zeros_like(gx)
        for a, b in zip(p[:-1], p[1:], strict=True):
            ab = b - a
            t = np.clip(((gx - a[0]) * ab[0] + (gy - a[1]) * ab[1]) / max(ab @ ab, 1e-9), 0, 1)
            ex, ey = gx - a[0] - t * ab[0], gy - a[1] - t * ab[1]
            d = ex * ex + ey * ey
            closer = d < best
            best, dx, dy = np.where(closer, d, best), np.where(closer, ex, dx), np.where(closer, ey, dy)
        cover = best < rad * rad
        nz = np.sqrt(np.clip(1 - best / rad**2, 0, 1)) * flat
        sx, su = dx / rad, -dy / rad
        n = _unit(np.stack([sx, su * self.ce + nz * self.se, -su * self.se + nz * self.ce], -1))
        colour = self.shade(n, np.broadcast_to(albedo, n.shape), spec, gloss)
        self._paint(y0, x0, cover, colour)

    def solid_face(self, origin: Arr, ea: Arr, eb: Arr, fn: Callable[[Arr, Arr], Arr],
                   normal: Arr, spec: float, gloss: float) -> None:
        """A flat parallelogram origin + α·ea + β·eb (world px, α, β in 0–1) coloured by
        ``fn(α, β) -> linear albedo``; ``origin`` is relative to the object's floor point."""
        def proj(v: Arr) -> Arr:
            return np.array([v[0], -(v[1] * self.ce - v[2] * self.se)]) * SS

        o, a, b = proj(origin) + self.anchor, proj(ea), proj(eb)
        corners = np.array([o, o + a, o + b, o + a + b])
        x0, y0 = corners.min(0).astype(int) - 1
        x1, y1 = corners.max(0).astype(int) + 2
        gy, gx = np.mgrid[y0:y1, x0:x1] + 0.5
        inv = np.linalg.inv(np.array([a, b]).T)
        al = inv[0, 0] * (gx - o[0]) + inv[0, 1] * (gy - o[1])
        be = inv[1, 0] * (gx - o[0]) + inv[1, 1] * (gy - o[1])
        cover = (al >= 0) & (al <= 1) & (be >= 0) & (be <= 1)
        n = np.broadcast_to(_unit(normal), (*gx.shape, 3))
        self._paint(y0, x0, cover, self.shade(n, fn(al, be), spec, gloss))

    anchor = np.zeros(2)

    # -- finishing -------------------------------------------------------------------------
    def finish(self) -> Image.Image:
        """Backdrop + floor shadow + product layer (box-filtered 2×) + noise → RGB image."""
        h, w = self.h, self.w
        yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        xx = np.linspace(-1, 1, w, dtype=np.float32)[None]
        tone = 0.975 + 0.03 * yy - 0.012 * xx**2 + 0.008 * xx  # light falls from upper left
        bg = _lin(self.backdrop) * tone[..., None]
        soft = self.shadow.filter(ImageFilter.GaussianBlur(w / 40)).resize((w, h))
        tight = self.shadow.filter(ImageFilter.GaussianBlur(3)).resize((w, h))
        soft = soft.transform((w, h), Image.Transform.AFFINE, (1, 0, -w / 60, 0, 1, h / 120))
        shade = 1 - 0.2 * np.asarray(soft, np.float32) / 255 - 0.16 * np.asarray(tight, np.float32) / 255
        bg = bg * shade[..., None]
        a = self.alpha.reshape(h, SS, w, SS).mean((1, 3))
        fg = self.rgb.reshape(h, SS, w, SS, 3).mean((1, 3))
        lin = bg * (1 - a[..., None]) + fg
        srgb = 255 * np.clip(lin, 0, 1) ** (1 / 2.2)
        grain = self.rng.standard_normal((h, w, 1), np.float32) * 1.3
        grain = grain + self.rng.standard_normal((h, w, 3), np.float32) * 0.7
        return Image.fromarray(np.clip(srgb + grain + 0.5, 0, 255).astype(np.uint8), "RGB")
