"""Encode an image to a byte budget (an ad network's K-weight) by encoder-quality search.

JPEG and WebP: the *highest* quality from ``max_quality`` down to ``min_quality`` whose file
fits the budget — one encode when the top quality already fits (most display units), else a
binary search over whole qualities (≤ 7 encodes; file size grows with quality for these
encoders up to noise, and every answer is checked against the budget by its real length).
PNG is lossless: one encode, which fits or not.

A budget that cannot be met is never hidden: :func:`encode_to_budget` returns ``met=False``
and the smallest file it tried, and :func:`require_budget` turns that into
:class:`BudgetExceededError` for callers that must not ship it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from gan_imaging.core.errors import GanImagingError, gettext_noop
from gan_imaging.core.imaging.encode import encode, get_format


class BudgetExceededError(GanImagingError):
    """A banner cannot be made small enough for its file-size budget at acceptable quality."""

    code = "over_budget"


@dataclass(frozen=True)
class Budgeted:
    """An encoded file: ``data``, its format, encoder ``quality`` (1–100; 100 for PNG), the
    ``budget`` in bytes, whether it was ``met`` and how many encodes (``probes``) it took."""

    data: bytes
    format: str
    quality: int
    budget: int
    met: bool
    probes: int


def encode_to_budget(
    image: Image.Image,
    fmt: str,
    budget: int,
    *,
    max_quality: int = 90,
    min_quality: int = 40,
) -> Budgeted:
    """Encode ``image`` (RGB) as ``fmt`` in at most ``budget`` bytes at the highest quality in
    [``min_quality``, ``max_quality``] (1–100) that fits. Deterministic."""
    name = get_format(fmt).name
    if name == "png":
        data = encode(image, "png", quality=100)
        return Budgeted(data, name, 100, budget, len(data) <= budget, 1)
    tried: dict[int, bytes] = {}

    def size_at(q: int) -> int:
        if q not in tried:
            tried[q] = encode(image, name, quality=q, threads=1)
        return len(tried[q])

    if size_at(max_quality) <= budget:
        return Budgeted(tried[max_quality], name, max_quality, budget, True, 1)
    lo, hi = min_quality, max_quality - 1  # invariant: everything above hi is too big
    best: int | None = None
    while lo <= hi:
        mid = (lo + hi + 1) // 2
        if size_at(mid) <= budget:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return Budgeted(tried[best], name, best, budget, True, len(tried))
    q = min(tried, key=lambda k: len(tried[k]))
    return Budgeted(tried[q], name, q, budget, False, len(tried))


def require_budget(result: Budgeted, size: str) -> Budgeted:
    """``result`` unchanged when it met its budget, else :class:`BudgetExceededError` with a
    message naming the banner ``size`` (e.g. ``"728x90"``), the file size reached and the
    budget."""
    if not result.met:
        raise BudgetExceededError(
            gettext_noop(
                "The %(size)s banner is %(kb)s kB as %(format)s even at quality %(quality)s, "
                "over its %(budget_kb)s kB budget. Raise the budget, use JPEG or WebP, or "
                "choose a simpler (gradient) background."
            ),
            params={"size": size, "kb": f"{len(result.data) / 1000:.0f}",
                    "format": result.format.upper(), "quality": result.quality,
                    "budget_kb": f"{result.budget / 1000:.0f}"},
        )
    return result
