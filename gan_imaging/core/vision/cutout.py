"""Cutout: a soft alpha matte (0–255) separating the product from its background.

Three paths, chosen by :func:`cutout` with ``method="auto"``:

* ``"alpha"``: the upload already has transparency (a PNG/WebP cutout): its alpha is the matte.
* ``"plain"``: white, grey or coloured studio backdrops (≥ 90 % of the image border, 80 % for
  white or light grey backdrops, within a small distance of the border's median colour).
  A colour model of the backdrop: only
  backdrop-like regions connected to the border count as background (light parts inside the
  product stay opaque); edge alpha solves ``I = a·F + (1 − a)·B`` with the nearby product
  colour F. Fast: about 0.1 s per megapixel. Where the product is nearly the backdrop's
  colour (white on white) the network's matte fills in, inside the colour model's product box.
* ``"network"``: anything else. The bundled tiny U-Net (:mod:`.segnet`) sees the photo squashed
  to its input size (160 px); its probability is upsampled and refined with a guided filter on
  the full-resolution image (≤ 1024 px working size), which snaps soft edges to image edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.errors import SpecError, gettext_noop

if TYPE_CHECKING:  # torch loads only when the network path runs (thumbnail workers stay light)
    from gan_imaging.core.vision.segnet import SegModel

METHODS = ("auto", "alpha", "plain", "network")
#: Share of border pixels near the border colour from which a backdrop counts as plain; a
#: white or light studio backdrop (every channel ≥ 235) needs only ``PLAIN_SHARE_LIGHT``:
#: model shots on white are cut by the frame along a side or two.
PLAIN_SHARE = 0.9
PLAIN_SHARE_LIGHT = 0.8
_PLAIN_TOLERANCE = 24.0  # max channel difference (0–255) still counted as backdrop
_REFINE_SIDE = 1024  # px, long side of the guided-filter working image


@dataclass(frozen=True)
class Matte:
    """A cutout. ``alpha``: mode ``"L"`` image the size of the input, 0 = background,
    255 = product, in between at soft edges. ``method``: the path used (see module doc).
    ``background``: the estimated backdrop colour (r, g, b 0–255) on the plain path, else None.
    ``plainness``: share 0–1 of border pixels near the border colour. ``model_version``: the
    network's version on the network path."""

    alpha: Image.Image
    method: str
    background: tuple[int, int, int] | None
    plainness: float
    model_version: str | None = None

    def box(self, threshold: int = 8) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) px of alpha ≥ ``threshold`` (0–255); None if empty."""
        return self.alpha.point(lambda v: 255 if v >= threshold else 0).getbbox()


def border_colour(rgb: np.ndarray) -> tuple[tuple[int, int, int], float, np.ndarray]:
    """Median colour of the image border (outer 1 %, ≥ 2 px), the share 0–1 of border pixels
    within the plain tolerance of it, and the border pixels' distances (0–255)."""
    h, w = rgb.shape[:2]
    b = max(2, round(0.01 * min(h, w)))
    band = np.concatenate([
        rgb[:b].reshape(-1, 3), rgb[-b:].reshape(-1, 3),
        rgb[:, :b].reshape(-1, 3), rgb[:, -b:].reshape(-1, 3),
    ])  # fmt: skip
    med = np.median(band, axis=0)
    dist = np.abs(band.astype(np.float32) - med).max(axis=1)
    colour = (int(med[0]), int(med[1]), int(med[2]))
    return colour, float((dist <= _PLAIN_TOLERANCE).mean()), dist


def plain_matte(rgb: np.ndarray, background: tuple[int, int, int], noise: float) -> np.ndarray:
    """Soft matte uint8 (H, W) for ``rgb`` uint8 (H, W, 3) on a plain ``background`` colour.

    ``noise``: the border's 95th-percentile distance from the backdrop colour (0–255). Pixels
    connected to the border and within ``noise`` + a margin of the backdrop are background;
    pixels more than 2 px inside the rest are product. In the band between, alpha is the
    pixel's position on the line from the backdrop colour to the nearby product colour
    (the compositing equation ``I = a·F + (1 − a)·B`` solved for ``a``), or a ramp of the
    distance where the product's colour is too close to the backdrop's to tell.
    """
    bg = np.array(background, np.float32)
    diff = rgb.astype(np.float32) - bg
    d = np.abs(diff).max(axis=2)
    lo = float(np.clip(1.5 * noise + 4, 6, 30))
    hi = lo + 24
    labels, _n = ndimage.label(d < hi)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    backdrop = np.isin(labels, edge[edge > 0])
    core = ndimage.binary_erosion(~backdrop, iterations=2, border_value=1)
    ramp = np.clip((d - lo) / (hi - lo), 0, 1)
    alpha = np.where(backdrop, ramp, 1.0).astype(np.float32)
    band = ~core & (d >= lo)
    if band.any():
        # Local product colour: mean of core pixels within 4 px (normalised convolution).
        weight = ndimage.uniform_filter(core.astype(np.float32), size=9, mode="nearest")
        fg = np.stack(
            [ndimage.uniform_filter(np.where(core, diff[..., c], 0), size=9, mode="nearest")
             for c in range(3)], axis=2)  # fmt: skip
        fg = fg[band] / np.maximum(weight[band], 1e-6)[:, None]
        norm2 = (fg * fg).sum(axis=1)
        proj = np.clip((diff[band] * fg).sum(axis=1) / np.maximum(norm2, 1e-6), 0, 1)
        usable = (weight[band] > 0.05) & (norm2 > (2 * hi) ** 2)
        alpha[band] = np.where(usable, proj, np.where(backdrop[band], ramp[band], 1.0))
    return (alpha * 255 + 0.5).astype(np.uint8)


def _box_mean(a: np.ndarray, r: int) -> np.ndarray:
    out: np.ndarray = ndimage.uniform_filter(a, size=2 * r + 1, mode="nearest")
    return out


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` (float32 (H, W), 0–1) steered by ``guide``
    (float32 (H, W) grey, 0–1); He et al., "Guided Image Filtering" (ECCV 2010)."""
    mean_i = _box_mean(guide, radius)
    mean_p = _box_mean(src, radius)
    cov = _box_mean(guide * src, radius) - mean_i * mean_p
    var = _box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    out: np.ndarray = _box_mean(a, radius) * guide + _box_mean(b, radius)
    return out


def network_matte(image: Image.Image, model: SegModel) -> np.ndarray:
    """Soft matte uint8 (H, W) of an RGB ``image`` from the segmentation network."""
    import torch

    from gan_imaging.core.vision import segnet

    s = model.input_size
    small = np.asarray(image.resize((s, s), Image.Resampling.BILINEAR), np.float32)
    x = torch.from_numpy(small).permute(2, 0, 1)[None] / 127.5 - 1
    # Test-time flip: average the view and its mirror (one more 160 px pass, ~10 ms).
    both = segnet.predict(model, torch.cat([x, x.flip(-1)]))
    prob = (both[:1] + both[1:].flip(-1)) / 2
    scale = min(1.0, _REFINE_SIDE / max(image.size))
    ww, wh = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    up = torch.nn.functional.interpolate(prob, size=(wh, ww), mode="bilinear",
                                         align_corners=False)[0, 0].numpy()  # fmt: skip
    work = image if (ww, wh) == image.size else image.resize((ww, wh), Image.Resampling.BILINEAR)
    grey = np.asarray(work.convert("L"), np.float32) / 255.0
    radius = max(2, round(max(ww, wh) / 64))
    refined = guided_filter(grey, up, radius, 1e-3)
    # The net's edge is ~1 input px wide; steepen the refined ramp back to a crisp matte.
    alpha = np.clip((refined - 0.5) * 2.0 + 0.5, 0.0, 1.0)
    out = Image.fromarray(drop_specks((alpha * 255 + 0.5).astype(np.uint8)), "L")
    if out.size != image.size:
        out = out.resize(image.size, Image.Resampling.BILINEAR)
    return np.asarray(out)


#: Separate parts of a network matte smaller than this share of its largest part are dropped.
SPECK_SHARE = 0.25


def drop_specks(alpha: np.ndarray, share: float = SPECK_SHARE) -> np.ndarray:
    """``alpha`` uint8 (H, W) without its stray detections: parts (8-connected regions of
    alpha ≥ 128) smaller than ``share`` (0–1) of the largest part are cleared, with the soft
    fringe (3 px) around them. A product photo shows one product; on busy backgrounds the
    small network also fires on bits of the scene (a second product in the background photo,
    a bright patch), and those come out as separate, smaller parts."""
    on = alpha >= 128
    labels, n = ndimage.label(on, structure=np.ones((3, 3), bool))
    if n <= 1:
        return alpha
    sizes = ndimage.sum_labels(on, labels, index=np.arange(1, n + 1))
    small = np.nonzero(sizes < share * sizes.max())[0] + 1
    if small.size == 0:
        return alpha
    drop = np.isin(labels, small)
    near_kept = ndimage.binary_dilation(on & ~drop, iterations=3)
    fringe = ndimage.binary_dilation(drop, iterations=3) & ~near_kept
    out: np.ndarray = np.where(drop | fringe, 0, alpha).astype(np.uint8)
    return out


def cutout(
    image: Image.Image, *, method: str = "auto", model: SegModel | None = None
) -> Matte:
    """The product's matte in ``image`` (RGB or RGBA, any size ≥ 1 px).

    ``method``: ``"auto"`` (alpha if the image has transparency, else plain if the border is
    plain, else network), or force ``"alpha"``, ``"plain"`` or ``"network"``. ``model``: a
    loaded segmentation model (default: the bundled one, loaded once per process).
    """
    if method not in METHODS:
        raise SpecError(
            gettext_noop("Unknown cutout method %(method)s; choose from %(choices)s."),
            params={"method": repr(method), "choices": ", ".join(METHODS)},
        )
    if image.mode == "RGBA" and method in ("auto", "alpha"):
        alpha = image.getchannel("A")
        lowest = alpha.getextrema()[0]
        if method == "alpha" or (isinstance(lowest, int | float) and lowest < 255):
            return Matte(alpha.copy(), "alpha", None, 1.0)
    if method == "alpha":
        return Matte(Image.new("L", image.size, 255), "alpha", None, 1.0)
    rgb_im = image.convert("RGB")
    rgb = np.asarray(rgb_im)
    colour, share, dist = border_colour(rgb)
    needed = PLAIN_SHARE_LIGHT if min(colour) >= 235 else PLAIN_SHARE
    if method == "plain" or (method == "auto" and share >= needed):
        noise = float(np.percentile(dist[dist <= _PLAIN_TOLERANCE], 95)) if share > 0 else 0.0
        alpha_np = plain_matte(rgb, colour, noise)
        if method == "plain":
            return Matte(Image.fromarray(alpha_np, "L"), "plain", colour, share)
        seg = _model(model)
        alpha_np = fill_low_contrast(alpha_np, network_matte(rgb_im, seg))
        return Matte(Image.fromarray(alpha_np, "L"), "plain", colour, share, seg.model_version)
    seg = _model(model)
    alpha_np = network_matte(rgb_im, seg)
    return Matte(Image.fromarray(alpha_np, "L"), "network", None, share, seg.model_version)


def _model(model: SegModel | None) -> SegModel:
    if model is not None:
        return model
    from gan_imaging.core.vision.segnet import get_model

    return get_model()


def fill_low_contrast(plain: np.ndarray, net: np.ndarray) -> np.ndarray:
    """Add the network's matte where the backdrop colour model cannot see the product (a white
    sneaker on white): uint8 (H, W) mattes in, their union out, with the network's matte eroded
    by its own edge uncertainty (1/160 of the long side) so the crisp colour-model edges win,
    and limited to the colour model's product box (+2 %) so stray detections add nothing."""
    box = Image.fromarray(plain).point(lambda v: 255 if v >= 128 else 0).getbbox()
    if box is None:
        return plain
    h, w = plain.shape
    k = max(1, round(max(h, w) / 160))
    grown = ndimage.grey_erosion(net, size=(2 * k + 1, 2 * k + 1))
    m = round(0.02 * max(h, w))
    gate = np.zeros_like(plain)
    gate[max(0, box[1] - m) : box[3] + m, max(0, box[0] - m) : box[2] + m] = 255
    out: np.ndarray = np.maximum(plain, np.minimum(grown, gate))
    return out


def apply_matte(image: Image.Image, matte: Matte) -> Image.Image:
    """``image`` as an RGBA cutout with ``matte``'s alpha.

    On the plain path the backdrop colour is removed from soft edge pixels (foreground colour
    estimation, ``F = (I − (1 − a)·B) / a``), so the cutout keeps no halo of its old backdrop.
    """
    rgb = image.convert("RGB")
    if matte.background is not None:
        a = np.asarray(matte.alpha, np.float32)[..., None] / 255.0
        soft = (a > 0.02) & (a < 0.98)
        if soft.any():
            i = np.asarray(rgb, np.float32)
            b = np.array(matte.background, np.float32)
            f = (i - (1 - a) * b) / np.maximum(a, 0.02)
            i = np.where(soft, np.clip(f, 0, 255), i)
            rgb = Image.fromarray((i + 0.5).astype(np.uint8), "RGB")
    out = rgb.copy()
    out.putalpha(matte.alpha)
    return out
