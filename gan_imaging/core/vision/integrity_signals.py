"""The figures behind :mod:`.integrity`'s verdict: the final matte against evidence it did not
decide, at :data:`WORK_SIDE` px. Shares are of the product's area (alpha ≥ 0.5) unless named
otherwise; colours 0–255.

* Outline: the mean colour just inside and just outside each outline pixel; closer than 12
  levels means no edge (``edge_weak``, ``weak_run``): the outline cuts through something.
* Plain backdrops (the border is one colour, as in :func:`.cutout.border_colour`): pixels off
  the backdrop colour; those outside the matte with a crisp outline (``lost_colour``, with the
  net's agreement ``lost_colour_net``, in the product's colours ``lost_colour_prod``),
  enclosed holes that show no backdrop (``holes_colour``), alpha lower than the photo's
  distance from the backdrop allows (``see_through_colour``), the border's backdrop share
  where the subject does not leave the frame (``frame_rest``).
* The segmentation net (one 160 px pass): its object joined to the matte but outside it
  (``net_lost``; in the product's colours ``net_lost_product``; along a seam with no colour
  step ``net_lost_cut``), the matte's share of that object (``net_kept``), agreement
  (``net_iou``).
* Rare colours: pixels near the matte whose colour is rare in the rest of the photo
  (``foreign_iou``). Shape: ``ragged`` outline, ``semi``-transparent share of the body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from scipy import ndimage

from gan_imaging.core.vision.cutout import PLAIN_SHARE, PLAIN_SHARE_LIGHT, border_colour

if TYPE_CHECKING:
    from gan_imaging.core.vision.segnet import SegModel

#: Long side (px) of the working copies of photo and matte.
WORK_SIDE = 320
_EIGHT = np.ones((3, 3), bool)
#: Channel distance (0–255) from the backdrop colour still counted as backdrop (the cutout's).
BACKDROP_TOLERANCE = 24.0


def _work(image: Image.Image, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB float32 (h, w, 3) 0–255 and alpha float32 (h, w) 0–1, long side ≤ WORK_SIDE."""
    h, w = alpha.shape
    scale = min(1.0, WORK_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    rgb_im, a_im = image.convert("RGB"), Image.fromarray(alpha, "L")
    if rgb_im.size != (w, h):
        rgb_im = rgb_im.resize((w, h), Image.Resampling.BILINEAR)
    if size != (w, h):
        rgb_im = rgb_im.resize(size, Image.Resampling.BOX)
        a_im = a_im.resize(size, Image.Resampling.BOX)
    return np.asarray(rgb_im, np.float32), np.asarray(a_im, np.float32) / 255.0


def _net_prob(rgb: np.ndarray, model: SegModel | None) -> np.ndarray | None:
    """The segmentation net's foreground probability (0–1) at the working size; None when no
    model can be loaded (the check then goes on without that evidence)."""
    try:
        import torch

        from gan_imaging.core.vision import segnet

        seg = model if model is not None else segnet.get_model()
        s = seg.input_size
        small = Image.fromarray(rgb.astype(np.uint8)).resize((s, s), Image.Resampling.BILINEAR)
        x = torch.from_numpy(np.asarray(small, np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        both = segnet.predict(seg, torch.cat([x, x.flip(-1)]))  # and its mirror, as cutout()
        prob = ((both[0, 0] + both[1, 0].flip(-1)) / 2).numpy().astype(np.float32)
    except Exception:  # noqa: BLE001 - a missing or broken model removes one signal only
        return None
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(prob, "F").resize((w, h), Image.Resampling.BILINEAR))


def _local_mean(rgb: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour of the ``mask`` pixels in a ``size`` px window, and their share there."""
    m = mask.astype(np.float32)
    weight = ndimage.uniform_filter(m, size=size, mode="constant")
    mean = np.stack([ndimage.uniform_filter(rgb[..., c] * m, size=size, mode="constant")
                     for c in range(3)], axis=2)  # fmt: skip
    return mean / np.maximum(weight, 1e-6)[..., None], weight


def _product_odds(rgb: np.ndarray, fgm: np.ndarray, bgm: np.ndarray) -> np.ndarray:
    """Per pixel P(colour | product) / (P(colour | product) + P(colour | backdrop)), 0–1, from
    8×8×8-bin colour histograms of the ``fgm`` and ``bgm`` pixels."""
    q = (rgb // 32).astype(np.int32)
    key = (q[..., 0] * 8 + q[..., 1]) * 8 + q[..., 2]
    pf = np.bincount(key[fgm], minlength=512).astype(np.float32) + 0.5
    pb = np.bincount(key[bgm], minlength=512).astype(np.float32) + 0.5
    pf, pb = pf / pf.sum(), pb / pb.sum()
    out: np.ndarray = (pf / (pf + pb))[key]
    return out


def _colour_lost(
    rgb: np.ndarray, near: np.ndarray, share: float, dist: np.ndarray, bg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain backdrops: (off, hard, free, sharp). ``off``: pixels clearly off the backdrop
    colour (beyond twice the border's noise + 6 levels, at least 10 of 0–255). ``hard``: the
    regions of it outside ``near`` with a crisp outline (≥ half of it; a soft shadow fades
    out) next to the product; ``free``: those not next to it (a second shoe of a pair, or
    another object); ``sharp``: the ``hard`` ones crisp all round (≥ 90 %, a card's body)."""
    noise = float(np.percentile(dist[dist <= 24], 95)) if share > 0 else 0.0
    d = np.abs(rgb - bg).max(axis=2)
    off = d > max(10.0, 2.0 * noise + 6.0)
    labels, _n = ndimage.label(off & ~near, structure=_EIGHT)
    hard, free, sharp = np.zeros_like(off), np.zeros_like(off), np.zeros_like(off)
    ring = ndimage.binary_dilation(near, iterations=2)
    step = ndimage.maximum_filter(d, size=3) - ndimage.minimum_filter(d, size=3)
    for k, sl in enumerate(ndimage.find_objects(labels), 1):
        if sl is None:
            continue
        sl = tuple(slice(max(0, s.start - 2), s.stop + 2) for s in sl)
        comp = labels[sl] == k
        outer = ndimage.binary_dilation(comp) & ~comp & ~near[sl] & ~off[sl]
        edge = comp & ndimage.binary_dilation(outer)
        # Crisp: the backdrop steps to it within 1 px by at least half its typical distance.
        crisp = (float((step[sl][edge] > 0.5 * np.median(d[sl][comp])).mean())
                 if edge.sum() >= 0.1 * comp.sum() ** 0.5 else 1.0)  # fmt: skip
        if crisp >= 0.5:
            (hard if (comp & ring[sl]).any() else free)[sl] |= comp
        if crisp >= 0.9 and (comp & ring[sl]).any():
            sharp[sl] |= comp
    return off, hard, free, sharp


def _frame_rest(rgb: np.ndarray, bg: np.ndarray, subject: np.ndarray) -> float:
    """Share (0–1) of the photo's border (outer 1 %, ≥ 2 px, as :func:`.cutout.border_colour`)
    within :data:`BACKDROP_TOLERANCE` of the backdrop colour ``bg``, leaving out where the
    ``subject`` (the matte, grown, and the crisp regions next to it) leaves the frame: a model
    shot cut at the thighs is a studio shot all round but there."""
    h, w = subject.shape
    b = max(2, round(0.01 * min(h, w)))
    frame = np.zeros_like(subject)
    frame[:b], frame[-b:], frame[:, :b], frame[:, -b:] = True, True, True, True
    rest = frame & ~subject
    if rest.sum() < 0.5 * frame.sum():
        return 0.0
    close = np.abs(rgb[rest] - bg).max(axis=1) <= BACKDROP_TOLERANCE
    return round(float(close.mean()), 4)


def _foreign_iou(rgb: np.ndarray, fg: np.ndarray, near: np.ndarray) -> float:
    """Agreement (IoU 0–1) of the matte ``fg`` with a colour-only estimate, GrabCut's starting
    point: inside the matte's box grown by 20 %, the pixels whose colour is rare (< 1/8 of
    uniform, 8×8×8 bins) in the photo outside that box."""
    h, w = fg.shape
    ys, xs = np.nonzero(fg)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    gy, gx = round(0.2 * (y1 - y0)), round(0.2 * (x1 - x0))
    box = np.zeros_like(fg)
    box[max(0, y0 - gy) : y1 + gy, max(0, x0 - gx) : x1 + gx] = True
    q = (rgb // 32).astype(np.int32)
    key = (q[..., 0] * 8 + q[..., 1]) * 8 + q[..., 2]
    far = ~box if (~box).sum() >= 0.05 * h * w else ~ndimage.binary_dilation(near, iterations=3)
    density = np.bincount(key[far], minlength=512) / max(1, int(far.sum())) * 512
    foreign = box & (density[key] < 0.125)
    return round(float((foreign & fg).sum()) / max(1, int((foreign | fg).sum())), 4)


def _ragged(fg: np.ndarray, side: float) -> float:
    """Outline length of ``fg`` over that of its smoothed self (Gaussian of 2 % of ``side``,
    the square root of its area, px); specks and pinholes under 0.1 % of the area are left
    out: they add outline but nothing anyone sees."""
    tiny = 0.001 * side * side
    for mask in (fg, ~fg):
        labels, n = ndimage.label(mask)
        if n > 1:
            sizes = ndimage.sum_labels(mask, labels, np.arange(1, n + 1))
            fg = fg ^ np.isin(labels, np.flatnonzero(sizes < tiny) + 1)
    rim = fg & ~ndimage.binary_erosion(fg)
    smooth = ndimage.gaussian_filter(fg.astype(np.float32), max(1.0, 0.02 * side)) >= 0.5
    ring = smooth & ~ndimage.binary_erosion(smooth)
    return round(float(rim.sum()) / max(1, int(ring.sum())), 3)


def share_of(mask: np.ndarray, area: float) -> float:
    """Pixels of ``mask`` per ``area`` px, rounded to 4 decimals."""
    return round(float(mask.sum()) / max(area, 1.0), 4)


def _like_body(
    rgb: np.ndarray, semi: np.ndarray, solid: np.ndarray, ring: np.ndarray
) -> np.ndarray:
    """The pixels of ``semi`` whose photo colour is nearer the product's solid body than the
    backdrop ``ring`` around it (nearest of ≤ 400 fixed-seed samples each, RGB distance): a
    matte that fades out over them made a solid product see-through, where glass shows the
    backdrop through itself. Independent of how the matte was made (a net's own soft edge
    cannot vouch for itself)."""
    out = np.zeros_like(semi)
    if not semi.any() or not solid.any() or not ring.any():
        return out
    rng = np.random.default_rng(0)

    def sample(mask: np.ndarray, n: int) -> np.ndarray:
        px = rgb[mask].astype(np.float32)
        return px[rng.choice(len(px), min(n, len(px)), replace=False)]

    ys, xs = np.nonzero(semi)
    pick = rng.choice(len(ys), min(3000, len(ys)), replace=False)
    px = rgb[ys[pick], xs[pick]].astype(np.float32)

    def nearest(ref: np.ndarray) -> np.ndarray:
        return np.sqrt(((px[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2)).min(axis=1)

    closer = nearest(sample(solid, 400)) < nearest(sample(ring, 400))
    # Scale the sampled verdict back to every semi pixel: the share is what the rules use.
    out[ys[pick][closer], xs[pick][closer]] = True
    if len(ys) > len(pick):
        keep = rng.random(len(ys)) < closer.mean()
        out[ys[keep], xs[keep]] = True
    return out


def measure(
    image: Image.Image, alpha: np.ndarray, *, model: SegModel | None = None
) -> dict[str, Any]:
    """The figures (see the module doc) of ``alpha`` (uint8 (H, W), 0–255, the size of
    ``image``) against the photo ``image`` it was cut from. ``model``: the net for the second
    opinion (default: the bundled one; without a loadable one, the net's figures are absent).
    """
    rgb, a = _work(image, alpha)
    h, w = a.shape
    fg = a >= 0.5
    area = float(fg.sum())
    m: dict[str, Any] = {"work_size": [w, h], "area_px": int(area)}
    if area < 16:
        return m
    side = float(np.sqrt(area))
    covered = a >= 0.1
    grow = max(1, round(0.01 * max(h, w)))
    near = ndimage.binary_dilation(covered, iterations=grow)
    # Outline: local mean colour just inside vs just outside; < 12 levels apart = no edge.
    inside, outside = a >= 0.9, a <= 0.1
    win = max(5, 2 * round(0.012 * max(h, w)) + 1)
    mean_in, w_in = _local_mean(rgb, inside, win)
    mean_out, w_out = _local_mean(rgb, outside, win)
    rim = fg & ~ndimage.binary_erosion(fg)
    valid = rim & (w_in > 0.1) & (w_out > 0.1)
    weak = valid & (np.abs(mean_in - mean_out).max(axis=2) < 12)
    m["ragged"] = _ragged(fg, side)
    colour, share, dist = border_colour(rgb.astype(np.uint8))
    plain = share >= (PLAIN_SHARE_LIGHT if min(colour) >= 235 else PLAIN_SHARE)
    m.update(plain=bool(plain), plainness=round(share, 4))
    bg = np.array(colour, np.float32)
    if plain:  # no step where both sides are the backdrop colour is a pale edge, not a cut
        weak &= np.abs(mean_in - bg).max(axis=2) > 24
    filled = ndimage.binary_fill_holes(fg)
    holes = filled & ~ndimage.binary_dilation(fg) & ~covered
    # Holes whose rim has no colour step: the photo shows the product through them.
    hole_rim = valid & ndimage.binary_dilation(holes, iterations=grow + 2)
    m["holes"] = share_of(holes, area)
    m["holes_weak"] = share_of(hole_rim & weak, area ** 0.5 * 4)
    outer, weak = valid & ~hole_rim, weak & ~hole_rim  # holes are judged on their own
    m["edge_weak"] = share_of(weak, float(outer.sum()))
    runs, n_runs = ndimage.label(weak, structure=_EIGHT)
    longest = ndimage.sum_labels(weak, runs, np.arange(1, n_runs + 1)).max() if n_runs else 0
    m["weak_run"] = round(float(longest) / side, 4)  # longest cut, in product sizes
    body = ndimage.binary_erosion(ndimage.binary_fill_holes(covered),
                                  iterations=max(1, round(0.03 * side)))  # fmt: skip
    semi = body & (a > 0.02) & (a < 0.85)
    body_area = float(body.sum())
    m["semi"] = share_of(semi, body_area)
    band = ndimage.binary_dilation(covered, iterations=max(2, round(0.15 * side))) & ~near
    m["semi_solid"] = share_of(_like_body(rgb, semi, body & (a >= 0.85), band), body_area)
    hard = free = None
    if plain:
        off, hard, free, sharp = _colour_lost(rgb, near, share, dist, bg)
        hard &= ~filled  # enclosed: holes, reported as such
        m["frame_rest"] = _frame_rest(rgb, bg, near | hard | sharp)
        m["lost_colour"] = share_of(hard, area)
        m["lost_sharp"] = share_of(sharp & ~filled, area)
        m["colour_iou"] = round(float((off & fg).sum()) / max(1, int((off | fg).sum())), 4)
        m["holes_colour"] = share_of(holes & off, area)
        need = (np.abs(rgb - bg) / np.maximum(np.maximum(bg, 255.0 - bg), 1.0)).max(axis=2)
        m["see_through_colour"] = share_of(semi & (a < need - 0.2), body_area)
        # Outline with no colour step although its inside is not the backdrop: a cut.
        m["cut_colour"] = share_of(weak, float(outer.sum()))
    odds0 = _product_odds(rgb, inside, band if band.sum() > 50 else ~near)
    m["holes_odds"] = share_of(holes & (odds0 > 0.5), area)
    if hard is not None:
        m["lost_colour_prod"] = share_of(hard & (odds0 > 0.5), area)
    m["foreign_iou"] = _foreign_iou(rgb, fg, near)
    prob = _net_prob(rgb, model)
    if prob is None:
        return m
    net = prob >= 0.5
    labels, _n = ndimage.label(net, structure=_EIGHT)
    hit = np.unique(labels[net & fg])
    comps = np.isin(labels, hit[hit > 0])
    lost = comps & ~near & ~filled
    m["net_kept"] = round(float((comps & fg).sum()) / max(1, int(comps.sum())), 4)
    m["net_iou"] = round(float((net & fg).sum()) / max(1, int((net | fg).sum())), 4)
    m["net_lost"] = share_of(lost, area)
    bgm = band & (prob < 0.3)
    odds = _product_odds(rgb, inside, bgm if bgm.sum() > 50 else ~near & ~net)
    m["net_lost_product"] = share_of(lost & (odds > 0.5), area)
    # Net-lost regions whose seam with the matte has no colour step: cut through the product.
    cut = np.zeros_like(lost)
    rl, _rn = ndimage.label(lost, structure=_EIGHT)
    for k, sl in enumerate(ndimage.find_objects(rl), 1):
        if sl is None:
            continue
        sl = tuple(slice(max(0, s.start - grow - 3), s.stop + grow + 3) for s in sl)
        comp = rl[sl] == k
        if comp.sum() < 0.005 * area:
            continue
        seam = valid[sl] & ndimage.binary_dilation(comp, iterations=grow + 2)
        if seam.any() and (seam & weak[sl]).sum() >= 0.3 * seam.sum():
            cut[sl] |= comp
    m["net_lost_cut"] = share_of(cut, area)
    if hard is not None and free is not None:
        m["lost_colour_net"] = share_of(hard & net, area)
        m["lost_free_net"] = share_of(free & net, area)
    m["holes_net"] = share_of(holes & (odds > 0.5) & net, area)
    m["semi_net"] = share_of(semi & net, body_area)
    return m
