"""The synthesised rooms of ``benchmarks/tryon.py``: corpus photos made into rooms with known
planes (floor below a horizon, table top, poster frame on a wall) and a known side light, poses
on those planes, and the placement and harmonisation measures (see that script's docstring).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from gan_imaging.core.vision import tryon_plane
from gan_imaging.core.vision.tryon import TryOnSpec, render

W, H = 1600, 1200
N_ROOMS, N_PRODUCTS = 20, 50
KINDS = ("floor",) * 8 + ("table",) * 6 + ("wall",) * 6


def corpus_rows(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load(root: Path, name: str, box: tuple[int, int]) -> Image.Image:
    with Image.open(root / name) as im:
        im.draft("RGB", box)
        out = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
    return out


def cover(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    im = im.convert("RGB")
    scale = max(size[0] / im.width, size[1] / im.height)
    im = im.resize((max(size[0], round(im.width * scale)), max(size[1], round(im.height * scale))),
                   Image.Resampling.BICUBIC)
    left, top = (im.width - size[0]) // 2, (im.height - size[1]) // 2
    return im.crop((left, top, left + size[0], top + size[1]))


def warp_into(canvas: Image.Image, texture: Image.Image, h: np.ndarray, mask: np.ndarray,
              plane_box: tuple[float, float, float, float]) -> None:
    """Paint ``texture`` onto ``canvas`` where ``mask``: output px → plane (h⁻¹) → texture px,
    the plane rectangle ``plane_box`` (x0, z0, x1, z1) covering the texture."""
    x0, z0, x1, z1 = plane_box
    to_tex = np.array([[texture.width / (x1 - x0), 0, -x0 * texture.width / (x1 - x0)],
                       [0, texture.height / (z1 - z0), -z0 * texture.height / (z1 - z0)],
                       [0, 0, 1]])  # fmt: skip
    m = to_tex @ np.linalg.inv(h)
    m = m / m[2, 2]
    warped = texture.convert("RGBA").transform(canvas.size, Image.Transform.PERSPECTIVE,
                                               tuple(m.ravel()[:8]), Image.Resampling.BILINEAR)
    inside = np.asarray(warped.getchannel("A")) == 255  # the texture's own pixels only
    canvas.paste(warped.convert("RGB"), mask=Image.fromarray(((mask & inside) * 255)
                                                             .astype(np.uint8)))


def make_room(i: int, wall: Image.Image, floor: Image.Image, rng: np.random.Generator):
    """A room photo (RGB W×H), the surface as the shopper marks it, its true mask, light side."""
    kind = KINDS[i]
    canvas = cover(wall, (W, H))
    horizon = float(rng.uniform(0.42, 0.6))
    f = tryon_plane.FOCAL_SHARE * W
    hf = np.array([[f, W / 2, 0.0], [0.0, horizon * H, f], [0.0, 1.0, 0.0]])
    below = np.zeros((H, W), bool)
    below[int(np.ceil(horizon * H)) + 1:] = True
    tile = cover(floor, (600, 600)).filter(ImageFilter.GaussianBlur(1.0))
    tex = Image.new("RGB", (2400, 2400))
    for ty in range(4):  # a mirrored mosaic: the floor reaches the horizon without seams
        for tx in range(4):
            t = tile.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if tx % 2 else tile
            tex.paste(t.transpose(Image.Transpose.FLIP_TOP_BOTTOM) if ty % 2 else t,
                      (tx * 600, ty * 600))
    # Beyond the mosaic (towards the horizon) the floor fades to its mean colour.
    mean = tuple(int(v) for v in np.asarray(tile).reshape(-1, 3).mean(axis=0))
    canvas.paste(mean, (0, int(np.ceil(horizon * H)) + 1, W, H))
    warp_into(canvas, tex, hf, below, (-12.0, 1.0, 12.0, 40.0))
    if kind == "floor":
        surface = tryon_plane.Surface("floor", horizon=horizon)
    elif kind == "table":
        top, bottom = horizon + 0.08, min(0.97, horizon + 0.36)
        inset = float(rng.uniform(0.05, 0.15))
        quad = ((0.18 + inset, top), (0.82 - inset, top), (0.95, bottom), (0.05, bottom))
        surface = tryon_plane.Surface("table", quad=quad)
        top_tex = cover(wall, (600, 400)).filter(ImageFilter.GaussianBlur(3))
        top_tex = Image.blend(top_tex, Image.new("RGB", top_tex.size, (150, 110, 75)), 0.6)
        hq = tryon_plane.plane_to_image(surface, (W, H), (W / 2, H))
        warp_into(canvas, top_tex, hq, tryon_plane.plane_mask(surface, (W, H), (W / 2, H)),
                  (0.0, 0.0, 1.0, 1.0))
    else:
        skew = float(rng.uniform(-0.08, 0.08))
        quad = ((0.15, 0.08 + skew), (0.85, 0.08 - skew), (0.85, horizon - 0.04 + skew / 2),
                (0.15, horizon - 0.04 - skew / 2))
        ImageDraw.Draw(canvas).polygon([(x * W, y * H) for x, y in quad], fill=(226, 222, 214))
        surface = tryon_plane.Surface("wall", quad=quad)
    side = -1 if i % 2 == 0 else 1
    ramp = np.linspace(1.2, 0.7, W, dtype=np.float32)  # lit from the left
    ramp = ramp if side < 0 else ramp[::-1]
    rgb = np.clip(np.asarray(canvas, np.float32) * ramp[None, :, None], 0, 255).astype(np.uint8)
    return Image.fromarray(rgb), surface, side


def solid_share(cut: Image.Image) -> float:
    a = np.asarray(cut.getchannel("A")) >= 128
    cols = np.flatnonzero(a.any(axis=0))
    return (cols[-1] - cols[0] + 1) / cut.width if cols.size else 0.0


def pose_for(surface: tryon_plane.Surface, cut: Image.Image, rng: np.random.Generator
             ) -> TryOnSpec:
    if surface.kind == "wall":
        q = np.asarray(surface.quad)
        width = float(rng.uniform(0.12, 0.22))
        x = float(rng.uniform(q[:, 0].min() + width, q[:, 0].max() - width))
        y = float(rng.uniform(q[:, 1].min() + 0.2, q[:, 1].max() - 0.03))
        return TryOnSpec(x, y, width, surface)
    if surface.quad is not None:
        q = np.asarray(surface.quad)
        y = float(rng.uniform(q[0, 1] + 0.05, q[2, 1] - 0.03))
        x = float(rng.uniform(0.3, 0.7))
    else:
        y = float(rng.uniform((surface.horizon or 0.5) + 0.2, 0.97))
        x = float(rng.uniform(0.2, 0.8))
    return TryOnSpec(x, y, float(rng.uniform(0.12, 0.3)), surface)


def measure_placement(photo: Image.Image, cut: Image.Image, spec: TryOnSpec, model, side: int):
    result = render(photo, cut, spec, harmoniser=model)
    before = np.asarray(photo, np.float32) @ [0.299, 0.587, 0.114]
    after = np.asarray(result.image, np.float32) @ [0.299, 0.587, 0.114]
    outside = result.alpha < 8
    dark = np.clip(before - after, 0, None) * outside
    contact = tuple(result.meta["contact"])
    truth = tryon_plane.plane_mask(spec.surface, photo.size, contact)
    mass = float(dark.sum())
    on_plane = float(dark[truth].sum() / mass) if mass > 0 else float("nan")
    present = int((dark > 3).sum() >= 30)
    solid = result.alpha >= 128
    cols = np.flatnonzero(solid.any(axis=0))
    got = (cols[-1] - cols[0] + 1) if cols.size else 0
    want = spec.width * photo.width * solid_share(cut)
    light_ok = int(np.sign(result.meta["light_side"]) == side)
    return result, on_plane, present, abs(got - want) / want, light_ok


def harmonisation_gain(root: Path, model) -> dict[str, float]:
    import torch

    from gan_imaging.core.gan.harmonise_train import load_corpus, recolour, to_tensors
    from gan_imaging.core.vision.studio_scene import harmonise_product

    images, mattes, _ = load_corpus(root, held_out=True, size=256)
    real, mask = to_tensors(images, mattes)
    comp = recolour(real, mask, torch.Generator().manual_seed(1234))
    comp_u8 = (comp.permute(0, 2, 3, 1).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    gains = []
    for img, matte, c in zip(images, mattes, comp_u8, strict=True):
        rgba = np.concatenate([c, matte[..., None]], axis=2)
        out, _ = harmonise_product(model, img, rgba, (0, 0))
        a = matte[..., None].astype(np.float32) / 255
        paste = img * (1 - a) + c * a
        harm = img * (1 - a) + out[..., :3] * a

        def psnr(x: np.ndarray, real_img: np.ndarray = img) -> float:
            mse = float(((x - real_img.astype(np.float32)) ** 2).mean())
            return 10 * np.log10(255**2 / max(mse, 1e-10))

        gains.append((psnr(paste), psnr(harm)))
    before = float(np.mean([g[0] for g in gains]))
    after = float(np.mean([g[1] for g in gains]))
    return {"n": len(gains), "paste": before, "harmonised": after, "gain": after - before}
