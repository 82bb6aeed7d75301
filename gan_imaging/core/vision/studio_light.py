"""What the key light does around a product in a studio set: a cast shadow that falls away
from the light (onto the floor and, when long enough, up the wall), a soft floor reflection,
and a gentle light fall-off across the product itself.

The product is treated as a flat cut-out standing upright at depth 1 (see
:mod:`.studio`): each of its pixels has a world position, so its shadow is the silhouette
projected along the light, and its reflection is its mirror image about the base row.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.vision.studio import Camera

_REDUCE = 4


def cast_shadow(
    alpha: np.ndarray,
    at: tuple[int, int],
    cam: Camera,
    light: np.ndarray,
    *,
    wall: float,
    softness: float = 0.035,
) -> np.ndarray:
    """Shadow strength float32 (H, W) in 0–1 of the product's matte ``alpha`` (uint8 (h, w)
    as placed, top-left at ``at`` px) under the key light ``light`` (unit vector towards the
    light, y > 0): every solid product pixel is sent along the light onto the floor or the
    wall at depth ``wall``, then blurred (``softness``: penumbra as a share of the product's
    height, growing with the distance from the contact)."""
    h_img, w_img = cam.height, cam.width
    small = np.asarray(Image.fromarray(alpha).reduce(_REDUCE), np.float32) / 255
    ys, xs = np.nonzero(small > 0.5)
    out = np.zeros((h_img // _REDUCE + 1, w_img // _REDUCE + 1), np.float32)
    if ys.size == 0 or light[1] <= 0.05:
        return np.zeros((h_img, w_img), np.float32)
    f, yb = cam.f, at[1] + alpha.shape[0]  # the base row: the matte's last row
    px = (at[0] + (xs + 0.5) * _REDUCE) - w_img / 2
    py = at[1] + (ys + 0.5) * _REDUCE
    u, hgt = px / f, np.maximum(yb - py, 0) / f  # world x and height at depth 1
    d = -light  # the shadow ray
    t = hgt / -d[1]
    z, x = 1 + t * d[2], u + t * d[0]
    y = np.zeros_like(z)
    if d[2] > 1e-6:  # beyond the wall the ray meets the wall instead
        past = z > wall
        tw = (wall - 1) / d[2]
        x = np.where(past, u + tw * d[0], x)
        y = np.where(past, hgt + tw * d[1], y)
        z = np.where(past, wall, z)
    z = np.maximum(z, 0.05)
    sx = (w_img / 2 + x * f / z) / _REDUCE
    sy = (cam.y_horizon + (cam.eye_height - y) * f / z) / _REDUCE
    keep = (sx >= 0) & (sx < out.shape[1] - 1) & (sy >= 0) & (sy < out.shape[0] - 1)
    # Splat with weights on both neighbours so a stretched shadow has no pinholes.
    for dy in (0, 1):
        for dx in (0, 1):
            wy = (sy - np.floor(sy)) if dy else 1 - (sy - np.floor(sy))
            wx = (sx - np.floor(sx)) if dx else 1 - (sx - np.floor(sx))
            np.add.at(out, ((np.floor(sy[keep]) + dy).astype(int),
                            (np.floor(sx[keep]) + dx).astype(int)), (wy * wx)[keep])  # fmt: skip
    out = np.clip(out, 0, 1)
    ph = max(1.0, alpha.shape[0] / _REDUCE)
    near = ndimage.gaussian_filter(out, max(0.8, ph * softness * 0.4))
    far = ndimage.gaussian_filter(out, max(1.5, ph * softness * 2.5))
    # Penumbrae widen away from the contact: sharp near the base row, soft far from it.
    dist = np.abs(np.arange(out.shape[0], dtype=np.float32) - yb / _REDUCE)[:, None]
    mix = np.clip(dist / (ph * 0.5), 0, 1)
    field = np.clip((near * (1 - mix) + far * mix) * 1.6, 0, 1)
    full = Image.fromarray(field).resize((out.shape[1] * _REDUCE, out.shape[0] * _REDUCE),
                                         Image.Resampling.BILINEAR)  # fmt: skip
    return np.asarray(full, np.float32)[:h_img, :w_img]


def reflect(
    scene: np.ndarray,
    product: np.ndarray,
    at: tuple[int, int],
    floor_rows: np.ndarray,
    *,
    gloss: float,
    light_gain: np.ndarray | None = None,
) -> np.ndarray:
    """``scene`` (float32 (H, W, 3), 0–255) with the product's mirror image (``product``:
    uint8 RGBA (h, w, 4) at ``at``) about its base row, on rows where ``floor_rows`` (bool
    (H,)) is True. ``gloss`` 0–1 is the reflection's strength at the contact; it fades over
    a third of the product's height and blurs with the distance. ``light_gain`` (float32
    (W,), optional) scales it across the frame so it is brighter on the lit side."""
    h_img, w_img = scene.shape[:2]
    ph, pw = product.shape[:2]
    yb = at[1] + ph
    if gloss <= 0 or yb >= h_img:
        return scene
    n = min(ph, h_img - yb)
    mirror = product[::-1][:n].astype(np.float32)
    fade = np.exp(-np.arange(n, dtype=np.float32) / max(1.0, ph / 3))[:, None]
    blur = max(1.0, ph / 200)
    rgb = ndimage.gaussian_filter(mirror[..., :3], (blur * 2, blur, 0))
    a = ndimage.gaussian_filter(mirror[..., 3], (blur * 2, blur)) / 255 * fade * gloss
    x0, x1 = max(0, at[0]), min(w_img, at[0] + pw)
    if x1 <= x0:
        return scene
    sl = slice(x0 - at[0], x1 - at[0])
    a = a[:, sl] * floor_rows[yb : yb + n, None]
    if light_gain is not None:
        a = a * light_gain[None, x0:x1]
    out = scene.copy()
    region = out[yb : yb + n, x0:x1]
    out[yb : yb + n, x0:x1] = region * (1 - a[..., None]) + rgb[:, sl] * a[..., None]
    return out


def relight(product: np.ndarray, light: np.ndarray, strength: float = 0.1) -> np.ndarray:
    """The product (uint8 RGBA (h, w, 4)) with a linear gain across its width, brighter on
    the light's side: ±``strength``/2 at the edges for a light from the side (``light``'s x
    = ±1), none for a light from the camera. Alpha unchanged. Returns uint8 RGBA."""
    w = product.shape[1]
    ramp = (np.arange(w, dtype=np.float32) + 0.5) / w - 0.5  # −0.5 left … 0.5 right
    gain = 1 + strength * float(light[0]) / max(1e-6, float(np.hypot(light[0], light[2]))) * ramp
    out = product.astype(np.float32)
    out[..., :3] *= gain[None, :, None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
