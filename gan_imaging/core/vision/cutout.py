"""Cutout: a soft alpha matte (0–255) separating the product from its background.

Three paths, chosen by :func:`cutout` with ``method="auto"``:

* ``"alpha"``: the upload already has transparency (a PNG/WebP cutout): its alpha is the matte.
* ``"plain"``: white, grey or coloured studio backdrops (≥ 90 % of the image border, 80 % for
  white or light grey backdrops, within a small distance of the border's median colour).
  A colour model of the backdrop (:mod:`.plainmatte`): a flood from the border through
  backdrop-coloured pixels that stops at edges, so a light product's outline keeps its body;
  enclosed backdrop (a handle's hole, an arm–torso gap) removed; edge alpha solves
  ``I = a·F + (1 − a)·B`` with the nearby product colour F. With ``method="auto"`` the
  network's matte judges the enclosed regions, lets the flood cross soft cast shadows, and
  fills in where the product is nearly the backdrop's colour (white on white), limited to
  its parts that overlap what the colour model found. About 0.15 s per megapixel plus the
  network's pass.
* ``"network"``: anything else. The bundled tiny U-Net (:mod:`.segnet`) sees the photo squashed
  to its input size (160 px); its probability is upsampled and refined with a guided filter on
  the full-resolution image (≤ 1024 px working size), which snaps soft edges to image edges.

With ``method="auto"`` the plain and network mattes are then checked (:func:`.salient.fallback`;
a plain matte that is one object outlined by edges, or that the network confirms, is kept):
an empty, scattered, low-contrast or hesitant matte, or a network matte that is a fragment of
the photo's main object, is replaced by that object (method ``"salient"``: saliency + a
GrabCut-style refinement), and when nothing stands out the matte is empty (method ``"none"``:
the caller refuses the photo). About 0.1–0.2 s more per photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.vision import salient
from gan_imaging.core.vision.plainmatte import PLAIN_TOLERANCE, border_colour, edges, plain_matte

if TYPE_CHECKING:  # torch loads only when the network path runs (thumbnail workers stay light)
    from gan_imaging.core.vision.segnet import SegModel

METHODS = ("auto", "alpha", "plain", "network")
#: Share of border pixels near the border colour from which a backdrop counts as plain; a
#: white or light studio backdrop (every channel ≥ 235) needs only ``PLAIN_SHARE_LIGHT``:
#: model shots on white are cut by the frame along a side or two.
PLAIN_SHARE = 0.9
PLAIN_SHARE_LIGHT = 0.8
_REFINE_SIDE = 1024  # px, long side of the guided-filter working image


@dataclass(frozen=True)
class Matte:
    """A cutout. ``alpha``: mode ``"L"`` image the size of the input, 0 = background,
    255 = product, in between at soft edges. ``method``: the path used, ``"alpha"``,
    ``"plain"``, ``"network"``, ``"salient"`` or ``"none"`` (an all-zero alpha: nothing stands
    out; see module doc). ``background``: the estimated backdrop colour (r, g, b 0–255) on the
    plain path, else None.
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


def cutout(image: Image.Image, *, method: str = "auto", model: SegModel | None = None) -> Matte:
    """The product's matte in ``image`` (RGB or RGBA, any size ≥ 1 px).

    ``method``: ``"auto"`` (alpha if the image has transparency, else plain if the border is
    plain, else network; either checked and, where it fails, replaced by the salient object or
    refused: ``Matte.method`` ``"salient"`` or ``"none"``), or force ``"alpha"``, ``"plain"``
    or ``"network"`` (no check). ``model``: a loaded segmentation model (default: the bundled
    one, loaded once per process).
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
        noise = float(np.percentile(dist[dist <= PLAIN_TOLERANCE], 95)) if share > 0 else 0.0
        if method == "plain":
            alpha_np = plain_matte(rgb, colour, noise)
            return Matte(Image.fromarray(alpha_np, "L"), "plain", colour, share)
        seg = _model(model)
        net = network_matte(rgb_im, seg)
        alpha_np, used = fill_low_contrast(plain_matte(rgb, colour, noise, net), net), "plain"
        d = np.abs(rgb.astype(np.float32) - np.array(colour, np.float32)).max(axis=2)
        q = salient.matte_quality(rgb_im, alpha_np)  # measured once for the three checks
        if not trusted(rgb_im, alpha_np, edges(d), q) and not confirmed(rgb_im, alpha_np, net, q):
            alpha_np, used = salient.fallback(rgb_im, alpha_np, "plain", q)
        return Matte(Image.fromarray(alpha_np, "L"), used, colour if used == "plain" else None,
                     share, seg.model_version)  # fmt: skip
    seg = _model(model)
    alpha_np, used = network_matte(rgb_im, seg), "network"
    if method == "auto":
        alpha_np, used = salient.fallback(rgb_im, alpha_np, "network")
    return Matte(Image.fromarray(alpha_np, "L"), used, None, share, seg.model_version)


def _model(model: SegModel | None) -> SegModel:
    if model is not None:
        return model
    from gan_imaging.core.vision.segnet import get_model

    return get_model()


#: Share (0–1) of a matte's outline on an edge of the photo from which it is outlined.
OUTLINED = 0.7


def trusted(image: Image.Image, plain: np.ndarray, edge: np.ndarray,
            quality: dict[str, float] | None = None) -> bool:  # fmt: skip
    """Whether the plain path's matte (uint8 (H, W)) needs no salient check: it is one
    gathered object (:func:`.salient.matte_quality`) whose outline lies on the photo's edges
    (``edge``: bool (H, W), within 2 px, at least :data:`OUTLINED` of it). A white card on
    white has too little colour contrast for that check, but a closed outline. (The matte
    already holds the network's parts; whether the network's own matte agrees is
    :func:`confirmed`'s question.) ``quality``: the matte's :func:`.salient.matte_quality`, if
    measured."""
    q = quality or salient.matte_quality(image, plain)
    if q["share"] < salient.MIN_MATTE_SHARE or q["gathered"] < salient.MIN_GATHERED:
        return False
    a = plain >= 128
    rim = a & ~ndimage.binary_erosion(a, border_value=1)
    near_edge = ndimage.binary_dilation(edge, iterations=2)
    return bool(rim.any() and (rim & near_edge).sum() >= OUTLINED * rim.sum())


#: IoU (0–1) of the plain path's matte with the network's own matte from which the network
#: confirms it (:func:`confirmed`).
NET_CONFIRMS = 0.75


def confirmed(image: Image.Image, plain: np.ndarray, net: np.ndarray,
              quality: dict[str, float] | None = None) -> bool:  # fmt: skip
    """Whether the network confirms the plain path's matte (uint8 (H, W)) though its outline
    is not the photo's edges: the matte is one gathered object (:func:`.salient.matte_quality`)
    and the network's matte ``net`` (uint8 (H, W)) is a decisive one (at most
    :data:`.salient.MAX_SOFT` soft pixels per solid one) covering the same pixels (IoU ≥
    :data:`NET_CONFIRMS`). A white t-shirt, a glass or a light-grey bag on a white backdrop
    differs too little in colour from its surround for the salient check, which then refused
    it ("nothing stands out") where the network sees the product whole; on the corpus's
    composites (train split) every plain-path matte the salient check refused or replaced was
    one the network confirms at IoU ≥ 0.81. Uniform photos and star fields give the network
    nothing to confirm. ``quality``: ``plain``'s :func:`.salient.matte_quality`, if measured."""
    q = quality or salient.matte_quality(image, plain)
    if q["share"] < salient.MIN_MATTE_SHARE or q["gathered"] < salient.MIN_GATHERED:
        return False
    if salient.soft_share(net) > salient.MAX_SOFT:
        return False
    a, n = plain >= 128, net >= 128
    return bool((a & n).sum() >= NET_CONFIRMS * (a | n).sum())


def fill_low_contrast(plain: np.ndarray, net: np.ndarray) -> np.ndarray:
    """Add the network's matte where the backdrop colour model cannot see the product (a white
    sneaker on white, a light-grey card's body): uint8 (H, W) mattes in, their union out.

    The network's matte is eroded by its own edge uncertainty (1/160 of the long side) so the
    crisp colour-model edges win, and only its parts (alpha ≥ 128, 8-connected) that overlap
    the colour model's product count, so stray detections elsewhere add nothing. Nothing is
    added inside the colour model's enclosed background (a handle's hole it judged backdrop:
    the small net tends to fill those in). When the colour model finds nothing at all, the
    network's matte is the answer."""
    solid = plain >= 128
    if not solid.any():
        return net
    h, w = plain.shape
    k = max(1, round(max(h, w) / 160))
    grown = ndimage.grey_erosion(net, size=(2 * k + 1, 2 * k + 1))
    labels, n = ndimage.label(grown >= 128, structure=np.ones((3, 3), bool))
    if n == 0:
        return plain
    keep = np.unique(labels[solid & (labels > 0)])
    gate = ndimage.binary_dilation(np.isin(labels, keep), iterations=k + 1)
    gate &= ~ndimage.binary_dilation(enclosed_background(plain), iterations=k)
    out: np.ndarray = np.maximum(plain, np.where(gate, grown, 0)).astype(np.uint8)
    return out


def enclosed_background(alpha: np.ndarray) -> np.ndarray:
    """Bool (H, W): the background (alpha < 128) of a uint8 matte that is not 4-connected to
    the image's border: a hole in the product."""
    bg = alpha < 128
    labels, _n = ndimage.label(bg)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    out: np.ndarray = bg & ~np.isin(labels, edge)
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
