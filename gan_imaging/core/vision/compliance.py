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
as ``not_checked``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

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


def _rule(name: str, ok: bool, reason: str) -> dict[str, Any]:
    return {"rule": name, "pass": bool(ok), "reason": reason}


def check(data: bytes, *, apparel: bool = False) -> dict[str, Any]:
    """The compliance report (JSON-able dict) of an encoded image.

    Keys: ``format``, ``width``, ``height``, ``bytes``, ``mode``, ``icc`` (profile present),
    the :func:`measure` figures, ``amazon_main`` and ``google_merchant`` — each
    ``{"pass": bool, "rules": [{"rule", "pass", "reason"}...]}`` — ``not_checked`` (content
    rules a person must review) and ``warnings`` (every failed rule's reason, for the admin).
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
    bg_reason = (f"background is pure white ({m['purity']:.1%} of it within {WHITE_TOLERANCE} "
                 f"levels of 255)" if pure else
                 f"background is not pure white: border colour {tuple(m['background'])}, only "
                 f"{m['purity']:.1%} of it is RGB 255,255,255 (needs {PURITY_MIN:.1%}); "
                 "turn the shadow off and re-render")  # fmt: skip
    fill = m["fill"]
    amazon = [
        _rule("white_background", pure, bg_reason),
        _rule("fill", round(fill, 2) >= 0.85,
              f"product fills {fill:.0%} of the frame (needs at least 85 %)"),
        _rule("size", 1000 <= long_side <= 10000,
              f"longest side {long_side} px (needs 1000–10000 px for zoom)"),
        _rule("file_size", size <= 10 * 1024 * 1024, f"{size / 1e6:.2f} MB (at most 10 MB)"),
        _rule("format", fmt in _AMAZON_FORMATS and not has_alpha,
              f"{fmt or 'unknown'}{' with transparency' if has_alpha else ''} "
              "(JPEG, PNG, TIFF or GIF without transparency; no WebP)"),
        _rule("colour_space", mode in ("RGB", "L") and not icc,
              f"mode {mode}{', embedded ICC profile' if icc else ''} (untagged sRGB expected)"),
    ]  # fmt: skip
    min_side = 250 if apparel else 100
    google = [
        _rule("format", fmt in _GOOGLE_FORMATS,
              f"{fmt or 'unknown'} (JPEG, WebP, PNG, GIF, BMP or TIFF)"),
        _rule("size", min(w, h) >= min_side and w * h <= 64_000_000,
              f"{w}x{h} px (needs at least {min_side}x{min_side}, at most 64 MP; "
              "800x800 recommended)"),
        _rule("file_size", size <= 16 * 1024 * 1024, f"{size / 1e6:.2f} MB (at most 16 MB)"),
        _rule("fill", 0.75 <= round(fill, 2) <= 0.90,
              f"product fills {fill:.0%} of the frame (75–90 % recommended)"),
    ]  # fmt: skip
    report: dict[str, Any] = {
        "format": fmt, "width": w, "height": h, "bytes": size, "mode": mode, "icc": icc, **m,
        "amazon_main": {"pass": all(r["pass"] for r in amazon), "rules": amazon},
        "google_merchant": {"pass": all(r["pass"] for r in google), "rules": google},
        "not_checked": NOT_CHECKED,
    }  # fmt: skip
    report["warnings"] = [
        f"{market}: {r['reason']}"
        for market in ("amazon_main", "google_merchant")
        for r in report[market]["rules"]
        if not r["pass"]
    ]
    return report
