"""Marketplace compliance of a packshot: Amazon main image and Google Merchant Center.

Measured on the encoded bytes (what the marketplace receives), so JPEG artefacts count. The
rules (``/work/shared/notes/generative-imaging-anchors.md`` §3; Amazon figures come from
third-party guides, verify against Seller Central):

* Amazon main image: pure white RGB 255,255,255 background; product fills ≥ 85 % of the frame
  (bounding box on its longer side); longest side ≥ 1000 px for zoom (500–10 000 accepted);
  ≤ 10 MB; JPEG, PNG, TIFF or GIF (no WebP); sRGB, no transparency.
* Google Merchant Center ``image_link``: JPEG, WebP, PNG, GIF, BMP or TIFF; ≥ 100×100 px
  (apparel 250×250; 800×800 recommended); ≤ 64 MP and 16 MB; product fills 75–90 %.

Content rules (no text, logos, watermarks, props) cannot be checked from pixels and are listed
as ``not_checked``. Whether the product itself survived the cutout is
:mod:`.integrity`'s question; :func:`add_integrity` merges its verdict: a product that may be
damaged fails every marketplace with ``review_needed``.

Reasons and warnings are ``gettext_noop`` templates with named params (``"template"``,
``"params"``), so the admin shows them in the reader's language; ``reason`` keeps the English.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from gan_imaging.core.errors import gettext_noop, render_message

#: Channel distance (0–255) from the backdrop colour above which a pixel is product.
PRODUCT_TOLERANCE = 12
#: JPEG leaves ±1–2 levels on flat white; pixels this close to 255 count as pure white.
WHITE_TOLERANCE = 2
#: Share of background pixels that must be pure white (after the JPEG tolerance).
PURITY_MIN = 0.995
#: Halo (px, per 1000 px of the long side) around the product excluded from purity: JPEG
#: ringing and soft edges live there.
_HALO_PER_1000 = 6

_AMAZON_FORMATS = ("JPEG", "PNG", "TIFF", "GIF")
_GOOGLE_FORMATS = ("JPEG", "WEBP", "PNG", "GIF", "BMP", "TIFF")
MARKETS = ("amazon_main", "google_merchant")
NOT_CHECKED = ["no text, logos, watermarks, badges or borders", "no props or packaging",
               "real photo of the unchanged product"]  # fmt: skip


def measure(rgb: np.ndarray) -> dict[str, Any]:
    """Background and fill measurements of uint8 (H, W, 3) pixels.

    Returns ``background`` (median border colour), ``purity`` (share 0–1 of pixels outside the
    product box and its halo within ``WHITE_TOLERANCE`` of 255 in every channel),
    ``background_min`` (darkest channel value there), ``fill`` (product bounding box over the
    frame, the larger of the width and height ratios, 0–1), ``fill_w``/``fill_h`` and ``box``.
    """
    h, w = rgb.shape[:2]
    b = max(2, round(0.01 * min(h, w)))
    band = np.concatenate([rgb[:b].reshape(-1, 3), rgb[-b:].reshape(-1, 3),
                           rgb[:, :b].reshape(-1, 3), rgb[:, -b:].reshape(-1, 3)])  # fmt: skip
    bg = np.median(band, axis=0)
    product = (np.abs(rgb.astype(np.int16) - bg.astype(np.int16)).max(axis=2)
               > PRODUCT_TOLERANCE)  # fmt: skip
    rows = np.flatnonzero(product.sum(axis=1) >= 2)
    cols = np.flatnonzero(product.sum(axis=0) >= 2)
    if rows.size and cols.size:
        box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    else:
        box = None
    outside = np.ones((h, w), bool)
    if box is not None:
        halo = max(2, round(_HALO_PER_1000 * max(h, w) / 1000))
        outside[max(0, box[1] - halo) : box[3] + halo, max(0, box[0] - halo) : box[2] + halo] = 0
    bgpix = rgb[outside]
    if bgpix.size:
        purity = float((bgpix.min(axis=1) >= 255 - WHITE_TOLERANCE).mean())
        bg_min = int(bgpix.min())
    else:
        purity, bg_min = 0.0, 0
    fill_w = (box[2] - box[0]) / w if box else 0.0
    fill_h = (box[3] - box[1]) / h if box else 0.0
    return {
        "background": [int(v) for v in bg],
        "purity": round(purity, 4),
        "background_min": bg_min,
        "fill": round(max(fill_w, fill_h), 4),
        "fill_w": round(fill_w, 4),
        "fill_h": round(fill_h, 4),
        "box": list(box) if box else None,
    }


def _rule(name: str, ok: bool, template: str, **params: Any) -> dict[str, Any]:
    """A rule's verdict: ``reason`` in English plus its ``template``/``params`` to translate."""
    return {"rule": name, "pass": bool(ok), "reason": render_message(template, params),
            "template": template, "params": params}  # fmt: skip


def warning(template: str, about: str, **params: Any) -> dict[str, Any]:
    """A warning for the admin: ``{"template", "params"}`` (a ``gettext_noop`` template and
    its named params, see :mod:`gan_imaging.i18n`) and what it is ``about``: a market
    (``"amazon_main"``, ``"google_merchant"``), ``"integrity"`` or ``"photo"``."""
    return {"template": template, "params": params, "about": about}


def _pct(share: float, digits: int = 0) -> str:
    return f"{share:.{digits}%}"


def check(data: bytes, *, apparel: bool = False) -> dict[str, Any]:
    """The compliance report (JSON-able dict) of an encoded image.

    Keys: ``format``, ``width``, ``height``, ``bytes``, ``mode``, ``icc`` (profile present),
    the :func:`measure` figures, ``amazon_main`` and ``google_merchant`` — each
    ``{"pass": bool, "rules": [{"rule", "pass", "reason", "template", "params"}...]}`` —
    ``not_checked`` (content rules a person must review) and ``warnings`` (every failed rule,
    as :func:`warning` items for the admin). :func:`add_integrity` adds the product check.
    """
    with Image.open(io.BytesIO(data)) as im:
        fmt = (im.format or "").upper()
        mode = im.mode
        icc = bool(im.info.get("icc_profile"))
        has_alpha = "A" in im.getbands() or "transparency" in im.info
        rgb = np.asarray(im.convert("RGB"))
    h, w = rgb.shape[:2]
    m = measure(rgb)
    long_side, size = max(w, h), len(data)
    pure = m["purity"] >= PURITY_MIN and m["background"] == [255, 255, 255]
    if pure:
        bg = _rule("white_background", True, gettext_noop(
            "background is pure white (%(purity)s of it within %(tolerance)s levels of 255)"),
            purity=_pct(m["purity"], 1), tolerance=WHITE_TOLERANCE)  # fmt: skip
    else:
        bg = _rule("white_background", False, gettext_noop(
            "background is not pure white: border colour %(colour)s, only %(purity)s of it is "
            "RGB 255,255,255 (needs %(needed)s); turn the shadow off and re-render"),
            colour=str(tuple(m["background"])), purity=_pct(m["purity"], 1),
            needed=_pct(PURITY_MIN, 1))  # fmt: skip
    fill = m["fill"]
    fills = _pct(fill)
    mb = f"{size / 1e6:.2f}"
    fmt_name = fmt or "unknown"
    amazon = [
        bg,
        _rule("fill", round(fill, 2) >= 0.85,
              gettext_noop("product fills %(fill)s of the frame (needs at least 85 %%)"),
              fill=fills),
        _rule("size", 1000 <= long_side <= 10000,
              gettext_noop("longest side %(side)s px (needs 1000–10000 px for zoom)"),
              side=long_side),
        _rule("file_size", size <= 10 * 1024 * 1024,
              gettext_noop("%(size)s MB (at most %(limit)s MB)"), size=mb, limit=10),
        _rule("format", fmt in _AMAZON_FORMATS and not has_alpha,
              gettext_noop("%(format)s with transparency (JPEG, PNG, TIFF or GIF without "
                           "transparency; no WebP)") if has_alpha else
              gettext_noop("%(format)s (JPEG, PNG, TIFF or GIF without transparency; no WebP)"),
              format=fmt_name),
        _rule("colour_space", mode in ("RGB", "L") and not icc,
              gettext_noop("mode %(mode)s, embedded ICC profile (untagged sRGB expected)")
              if icc else gettext_noop("mode %(mode)s (untagged sRGB expected)"), mode=mode),
    ]  # fmt: skip
    min_side = 250 if apparel else 100
    google = [
        _rule("format", fmt in _GOOGLE_FORMATS,
              gettext_noop("%(format)s (JPEG, WebP, PNG, GIF, BMP or TIFF)"), format=fmt_name),
        _rule("size", min(w, h) >= min_side and w * h <= 64_000_000,
              gettext_noop("%(width)sx%(height)s px (needs at least %(min)sx%(min)s, at most "
                           "64 MP; 800x800 recommended)"),
              width=w, height=h, min=min_side),
        _rule("file_size", size <= 16 * 1024 * 1024,
              gettext_noop("%(size)s MB (at most %(limit)s MB)"), size=mb, limit=16),
        _rule("fill", 0.75 <= round(fill, 2) <= 0.90,
              gettext_noop("product fills %(fill)s of the frame (75–90 %% recommended)"),
              fill=fills),
    ]  # fmt: skip
    report: dict[str, Any] = {
        "format": fmt, "width": w, "height": h, "bytes": size, "mode": mode, "icc": icc, **m,
        "amazon_main": {"pass": all(r["pass"] for r in amazon), "rules": amazon},
        "google_merchant": {"pass": all(r["pass"] for r in google), "rules": google},
        "not_checked": NOT_CHECKED,
    }  # fmt: skip
    report["warnings"] = [
        warning(r["template"], market, **r["params"])
        for market in MARKETS
        for r in report[market]["rules"]
        if not r["pass"]
    ]
    return report


def add_integrity(report: dict[str, Any], integrity: dict[str, Any]) -> dict[str, Any]:
    """Merge a product-integrity verdict (``{"ok", "reasons", ...}`` from
    :func:`gan_imaging.core.vision.integrity.check_integrity`) into a :func:`check` report,
    in place, and return it.

    ``report["integrity"]`` holds the verdict and ``report["review_needed"]`` is True when the
    product may be damaged; then every marketplace gets a failed ``product_intact`` rule, so
    none passes, and each reason leads the warnings. A damaged product is never ticked.
    """
    ok = bool(integrity.get("ok", False))
    reasons = [r for r in integrity.get("reasons", []) if isinstance(r, dict)]
    report["integrity"] = {**integrity, "ok": ok, "reasons": reasons}
    report["review_needed"] = not ok
    template = (
        gettext_noop("the product looks whole in the packshot")
        if ok
        else gettext_noop("review needed: the cutout may have damaged the product")
    )
    for market in MARKETS:
        section = report[market]
        section["rules"] = [r for r in section["rules"] if r["rule"] != "product_intact"]
        section["rules"].append(_rule("product_intact", ok, template))
        section["pass"] = all(r["pass"] for r in section["rules"])
    if not ok:
        report["warnings"] = [warning(r["template"], "integrity", **r.get("params", {}))
                              for r in reasons] + report["warnings"]  # fmt: skip
    return report
