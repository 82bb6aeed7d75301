"""Product integrity: does the cutout keep what the photo shows?

A matte that lost part of the product, punched holes into it or made it see-through still
gives a pure white, well-filled packshot, so the marketplace rules alone would tick it.
:func:`check_integrity` weighs the final matte against evidence it did not decide
(:mod:`.integrity_signals`: the backdrop's colour, the segmentation net's second opinion,
colours rare in the rest of the photo, colour steps along the outline) and names what it
finds; :func:`.compliance.add_integrity` then withholds every marketplace pass:

* **lost part** — a region joined to the product that the net sees and whose colours are the
  product's, not the backdrop's, or whose seam with the matte has no colour step (a cut), or
  that is large; in a studio shot (one backdrop colour all round, except where the subject
  leaves the frame: a model cut at the thighs) also a crisp region off the backdrop colour
  in the product's colours, and smaller ones.
* **cut** — the outline runs where the photo has no edge (no colour step across it).
* **fragment** — the matte keeps less than half of the object the net sees there.
* **cannot confirm** — no independent estimate agrees with the matte (IoU < :data:`AGREE`).
* **holes** — enclosed transparent regions that do not show the backdrop, or whose rim has
  no colour step.
* **see-through** — a large semi-transparent area inside a product the photo shows solid.
* **blotchy edges** — the outline is much longer than its smoothed self.

Thresholds were set on the training split's cutouts (``benchmarks/render_integrity.py
--split train``, its ``--dump`` of every case's figures); the benchmark's eval split measures
them. About 0.16 s of one CPU core per packshot at the renders' 2048 px working size (one
160 px pass of the net and its mirror, the rest numpy at 320 px).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from gan_imaging.core.errors import gettext_noop
from gan_imaging.core.vision.integrity_signals import measure, share_of

if TYPE_CHECKING:
    from gan_imaging.core.vision.segnet import SegModel

#: Shares of the product's area (0–1) from which a lost part fails the check; in a studio
#: shot (``STUDIO``: that share of the border is the backdrop colour) ``LOST_STUDIO``, and
#: ``LOST_SHARP`` for a region crisp all round that only the colours see (a pale part whose
#: colour is in neither the product nor the backdrop: chrome bars, light trousers).
LOST_SHARE = 0.05
LOST_STUDIO = 0.02
LOST_SHARP = 0.05
STUDIO = 0.995
#: A region the net sees joined to the matte, larger than this share, is lost whatever its
#: colours (on a busy backdrop the net's own stray parts stay smaller).
NET_LOST = 0.35
FRAGMENT_KEPT = 0.35
#: Below this IoU (0–1) with every independent estimate the product cannot be confirmed;
#: half of it when ``GLASSY`` of its body is semi-transparent (glassware: the estimates
#: assume solid products; the see-through rule still watches it).
AGREE = 0.5
GLASSY = 0.15
#: Holes showing no backdrop: share of the area; holes whose rim has no colour step: rim px
#: per 4 √area px (a square's perimeter).
HOLE_SHARE = 0.01
HOLES_WEAK = 0.05
#: A cut: this share (0–1) of the outline has no colour step though the photo shows product
#: inside (plain backdrops); on busy ones ``CUT_WEAK`` of any outline, or one stretch longer
#: than ``CUT_RUN`` product sizes (√area).
CUT = 0.05
CUT_WEAK = 0.4
CUT_RUN = 0.6
#: Semi-transparent share of the product's body (glassware stays under it) that fails when
#: the net or the colours say the product is solid there; ``SEE_THROUGH_ALONE`` fails always.
SEE_THROUGH_SHARE = 0.2
SEE_THROUGH_ALONE = 0.35
#: ... when at least this share (0–1) of that semi-transparent area is backed by the net or
#: the colours (a light product on white is only partly backed by its colours).
SEE_BACKED = 0.4
#: Mattes made by the net (``cutout.method``): see-through from ``SEE_THROUGH_NET`` of the
#: body when ``SEE_SOLID`` of that area is nearer the body's colours than the backdrop's.
NET_MADE = ("network", "salient")
SEE_THROUGH_NET = 0.1
SEE_SOLID = 0.6
#: Outline length over that of the smoothed matte from which edges count as blotchy.
RAGGED = 1.25

LOST = gettext_noop(
    "part of the product is missing from the cutout (%(share)s of its area): the photo shows "
    "it, the cutout leaves it out"
)
FRAGMENT = gettext_noop(
    "the cutout keeps only a fragment of the product (%(share)s of what the photo shows)"
)
HOLES = gettext_noop(
    "the cutout has holes (%(share)s of the product's area) where the photo shows the product"
)
SEE_THROUGH = gettext_noop(
    "%(share)s of the product is see-through in the cutout but looks solid in the photo"
)
RAGGED_EDGES = gettext_noop(
    "the product's edges are blotchy in the cutout (outline %(ratio)s times a smooth one)"
)
CUT_THROUGH = gettext_noop(
    "the cutout's outline runs through the product where the photo shows no edge: part of "
    "the product is missing"
)
DISAGREE = gettext_noop(
    "the product check cannot confirm the cutout: independent estimates of the product "
    "agree with it on only %(share)s"
)
EMPTY = gettext_noop("the cutout is empty: no product was kept")
FAILED = gettext_noop("the product check could not run (%(error)s); review the packshot")


@dataclass
class IntegrityReport:
    """``ok``: the product looks whole. ``reasons``: why not, each ``{"template", "params"}``
    (an English ``gettext_noop`` template with named params; see :mod:`gan_imaging.i18n`).
    ``measurements``: the figures behind the verdict (shares 0–1 of the product's area)."""

    ok: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)
    measurements: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able ``{"ok", "reasons", "measurements"}``."""
        return {"ok": self.ok, "reasons": list(self.reasons),
                "measurements": dict(self.measurements)}  # fmt: skip


def _reason(template: str, **params: Any) -> dict[str, Any]:
    return {"template": template, "params": params}


def _verdict(m: dict[str, Any]) -> list[dict[str, Any]]:
    """The reasons (empty: ok) for :func:`measure`'s figures ``m``."""
    if m.get("area_px", 0) < 16:
        return [_reason(EMPTY)]

    def pct(v: float) -> str:  # never "0%" for a real finding (holes seen by their rims)
        return f"{min(v, 1.0):.0%}" if v >= 0.005 else "<1%"

    reasons: list[dict[str, Any]] = []
    # Studio: one backdrop colour all round, but where the subject leaves the frame.
    plain = m.get("plain", False)
    studio = max(m.get("plainness", 0.0), m.get("frame_rest", 0.0)) >= STUDIO
    kept, net_lost = m.get("net_kept", 1.0), m.get("net_lost", 0.0)
    lost = max(m.get("net_lost_product", 0.0), m.get("net_lost_cut", 0.0),
               net_lost if net_lost >= NET_LOST else 0.0)  # fmt: skip
    is_lost = lost >= LOST_SHARE
    if studio:  # no scene around: off-backdrop regions the net or the colours call product
        small = max(m.get("net_lost_product", 0.0), m.get("lost_colour_prod", 0.0),
                    m.get("lost_colour_net", 0.0) + m.get("lost_free_net", 0.0))
        # Large and crisp all round: the colours alone (the net may be blind to a pale body).
        sharp = m.get("lost_sharp", 0.0)
        sharp = sharp if sharp >= LOST_SHARP else 0.0
        is_lost = is_lost or small >= LOST_STUDIO or sharp > 0
        lost = max(lost, small, sharp)
    weak = m.get("edge_weak", 0.0) >= CUT_WEAK or m.get("weak_run", 0.0) >= CUT_RUN
    cut = m.get("cut_colour", 0.0) >= CUT and (studio or weak) if plain else weak
    agree = max(m.get("net_iou", 0.0), m.get("colour_iou", 0.0), m.get("foreign_iou", 0.0))
    if kept < FRAGMENT_KEPT and net_lost >= 0.3:
        reasons.append(_reason(FRAGMENT, share=pct(kept)))
    elif is_lost:  # the most specific reason first: the same cases fail either way
        reasons.append(_reason(LOST, share=pct(lost / (1 + lost))))
    elif agree < (AGREE / 2 if m.get("semi", 0.0) >= GLASSY else AGREE):
        reasons.append(_reason(DISAGREE, share=pct(agree)))
    elif cut:
        reasons.append(_reason(CUT_THROUGH))
    # Holes: on a plain backdrop they must show its colour; anywhere, their rim a colour step.
    holes = m.get("holes_colour", 0.0) if plain else min(m.get("holes_net", 0.0),
                                                         m.get("holes_odds", 0.0)) / 3
    if holes >= HOLE_SHARE or m.get("holes_weak", 0.0) >= HOLES_WEAK:
        reasons.append(_reason(HOLES, share=pct(m.get("holes", 0.0))))
    semi = m.get("semi", 0.0)
    backed = max(m.get("semi_net", 0.0), m.get("see_through_colour", 0.0))
    # A matte the net made cannot be backed by the net: there the photo's colours decide,
    # from a lower share (a t-shirt fading out at its hem in a floor shot).
    own = m.get("method") in NET_MADE and semi >= SEE_THROUGH_NET and m.get(
        "semi_solid", 0.0) >= SEE_SOLID * semi
    if own or semi >= SEE_THROUGH_ALONE or (semi >= SEE_THROUGH_SHARE
                                            and backed >= SEE_BACKED * semi):
        reasons.append(_reason(SEE_THROUGH, share=pct(semi)))
    if m.get("ragged", 1.0) >= RAGGED:
        reasons.append(_reason(RAGGED_EDGES, ratio=f"{m['ragged']:.1f}"))
    return reasons


def _own_alpha_lost(image: Image.Image, a: np.ndarray) -> dict[str, Any]:
    """An upload's own transparency is the merchant's cutout: what the final matte dropped."""
    own = np.asarray(image.getchannel("A")) >= 128
    kept = a >= 128
    return {"own_alpha": True, "area_px": int(kept.sum()),
            "lost_own": share_of(own & ~kept, float(own.sum()))}  # fmt: skip


def verdict(m: dict[str, Any]) -> list[dict[str, Any]]:
    """The reasons (empty: ok) that :func:`check_integrity` gives for its ``measurements``
    ``m`` (also after a JSON round trip): a stored report re-scored under the current
    thresholds, as ``benchmarks/render_integrity.py --rescore`` does with its ``--dump``."""
    if m.get("skipped"):
        return []
    if m.get("own_alpha"):
        if m.get("area_px", 0) == 0:
            return [_reason(EMPTY)]
        lost = m.get("lost_own", 0.0)
        return [_reason(LOST, share=f"{lost:.0%}")] if lost >= LOST_SHARE else []
    return _verdict(m)


def check_integrity(
    image: Image.Image,
    alpha: Image.Image | np.ndarray,
    *,
    method: str,
    model: SegModel | None = None,
) -> IntegrityReport:
    """Whether the matte ``alpha`` (mode "L" image or uint8 (H, W), 0–255) keeps the product
    that ``image`` (the RGB or RGBA photo it was cut from, same size) shows.

    ``method``: the cutout path that made the matte (``"alpha"``: the upload's own
    transparency, only checked for parts the final matte dropped; ``"plain"``,
    ``"network"``). ``model``: the segmentation net asked for a second opinion (default: the
    bundled one). Never raises: a check that cannot run says so in a reason (not ok).
    """
    try:
        a = np.asarray(alpha.convert("L") if isinstance(alpha, Image.Image) else alpha)
        a = np.clip(a, 0, 255).astype(np.uint8)
        if a.ndim != 2 or min(a.shape) < 1 or min(image.size) < 1:
            return IntegrityReport(False, [_reason(EMPTY)], {"area_px": 0})
        if a.shape != (image.height, image.width):
            a = np.asarray(Image.fromarray(a, "L").resize(image.size, Image.Resampling.BILINEAR))
        if min(image.size) < 16:  # too small to judge; the size rules will speak
            return IntegrityReport(True, [], {"skipped": "too small"})
        if method == "alpha" and "A" in image.getbands():
            m = _own_alpha_lost(image, a)
        else:
            m = measure(image, a, model=model)
            m["method"] = method
    except Exception as exc:  # noqa: BLE001 - an honest report says it could not look
        return IntegrityReport(False, [_reason(FAILED, error=type(exc).__name__)], {})
    reasons = verdict(m)
    return IntegrityReport(not reasons, reasons, m)
