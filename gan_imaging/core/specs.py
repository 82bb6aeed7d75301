"""Frozen specs: everything that decides an output's bytes, validated and hashable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Self

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.imaging.encode import FORMATS


def parse_colour(value: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → (r, g, b), each 0–255."""
    v = value.strip().lstrip("#")
    if len(v) != 6:
        raise SpecError(
            gettext_noop("Colour %(value)s must look like #rrggbb."), params={"value": repr(value)}
        )
    try:
        return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))
    except ValueError:
        raise SpecError(
            gettext_noop("Colour %(value)s must look like #rrggbb."), params={"value": repr(value)}
        ) from None


@dataclass(frozen=True)
class Spec:
    """Base of all specs: canonical JSON round-trip and a stable digest."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise SpecError(
                gettext_noop("Unknown %(kind)s option(s): %(names)s."),
                params={"kind": cls.kind, "names": ", ".join(unknown)},
            )
        for f in fields(cls):
            if f.name in data and isinstance(data[f.name], list):
                data[f.name] = tuple(data[f.name])
        return cls(**data)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form (hex, 64 chars)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class ThumbnailSpec(Spec):
    """A responsive rendition set: every width (px, 16–8192) × mode × format.

    Modes: ``fit`` keeps the photo's aspect; each ``fill`` aspect (``"W:H"``, e.g. ``"1:1"``,
    ``"4:5"``) crops to that shape, centred on ``focal_point`` ((x, y) fractions 0–1 of width
    and height, set by the merchant) or else on the product found in the photo.

    ``quality="auto"`` picks, per rendition, the lowest encoder quality whose luma SSIM
    (information-weighted, against the uncompressed resize) is at least ``ssim_floor``
    (0.80–0.995); ``"fixed"`` uses the per-format qualities (encoder qualities 1–100).
    ``background`` (``#rrggbb``) fills transparent areas in formats without alpha (JPEG) and is
    what SSIM is measured against. ``quality_search``: ``"predict"`` (default) encodes once at
    the quality the bundled model (:mod:`~gan_imaging.core.imaging.quality_model`) predicts
    from the rendition's content, verifies and corrects at most once before falling back to the
    search; ``"exact"`` always runs the bounded grid search. Both meet the floor.

    ``max_upscale`` (1, 2 or 4): widths above what the source covers are made with the
    super-resolution model, up to this factor (1: never, such widths are skipped). Plain
    resampling never upscales.
    """

    kind: ClassVar[str] = "thumbnails"

    widths: tuple[int, ...] = (1920, 1280, 960, 640, 480, 320)
    formats: tuple[str, ...] = ("avif", "webp", "jpeg")
    fit: bool = True
    fill: tuple[str, ...] = ()
    focal_point: tuple[float, float] | None = None
    quality: str = "auto"
    quality_search: str = "predict"
    # Information-weighted luma SSIM (see imaging.quality). On 24 corpus photos × all widths
    # the calibrated fixed defaults (JPEG 82, WebP 80, AVIF 55) score a median of 0.97–0.98
    # but dip to 0.90–0.92 on busy photos; a 0.97 floor holds every rendition to the typical
    # default's quality and is still 12 % smaller than those defaults in total (benchmark).
    ssim_floor: float = 0.97
    jpeg_quality: int = 82
    webp_quality: int = 80
    avif_quality: int = 55
    png_quality: int = 100
    background: str = "#ffffff"
    max_upscale: int = 1

    def __post_init__(self) -> None:
        if self.max_upscale not in (1, 2, 4) or isinstance(self.max_upscale, bool):
            raise SpecError(
                gettext_noop("max_upscale must be 1 (never upscale), 2 or 4, not %(value)s."),
                params={"value": repr(self.max_upscale)},
            )
        if not self.widths:
            raise SpecError(gettext_noop("A thumbnail set needs at least one width."))
        for w in self.widths:
            if isinstance(w, bool) or not isinstance(w, int) or not 16 <= w <= 8192:
                raise SpecError(
                    gettext_noop(
                        "Thumbnail width %(width)s must be a whole number of px, 16–8192."
                    ),
                    params={"width": repr(w)},
                )
        if not self.formats:
            raise SpecError(gettext_noop("A thumbnail set needs at least one format."))
        for f in self.formats:
            if f not in FORMATS:
                raise SpecError(
                    gettext_noop("Unknown format %(format)s; choose from %(choices)s."),
                    params={"format": repr(f), "choices": ", ".join(FORMATS)},
                )
        for f in FORMATS:
            q = getattr(self, f"{f}_quality")
            if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 100:
                raise SpecError(
                    gettext_noop("%(format)s quality must be 1–100, not %(quality)s."),
                    params={"format": f, "quality": repr(q)},
                )
        if self.quality_search not in ("predict", "exact"):
            raise SpecError(
                gettext_noop('quality_search must be "predict" or "exact", not %(value)s.'),
                params={"value": repr(self.quality_search)},
            )
        if self.quality not in ("auto", "fixed"):
            raise SpecError(
                gettext_noop(
                    "Thumbnail quality must be \"auto\" (chosen per photo) or \"fixed\" "
                    "(the per-format qualities), not %(quality)s."
                ),
                params={"quality": repr(self.quality)},
            )
        floor = self.ssim_floor
        if isinstance(floor, bool) or not isinstance(floor, int | float) or not (
            0.80 <= floor <= 0.995
        ):
            raise SpecError(
                gettext_noop(
                    "The quality floor (ssim_floor) must be a number from 0.80 to 0.995, "
                    "not %(floor)s; 0.95 suits most shops."
                ),
                params={"floor": repr(floor)},
            )
        if not isinstance(self.fit, bool):
            raise SpecError(
                gettext_noop("fit must be true or false, not %(fit)s."),
                params={"fit": repr(self.fit)},
            )
        if isinstance(self.fill, str):
            raise SpecError(
                gettext_noop('fill must be a list of aspect ratios like ["1:1"], not %(fill)s.'),
                params={"fill": repr(self.fill)},
            )
        for a in self.fill:
            parse_aspect(a)
        if not self.fit and not self.fill:
            raise SpecError(
                gettext_noop("A thumbnail set needs fit=True or at least one fill aspect ratio.")
            )
        focal = self.focal_point
        if focal is not None:
            if (
                not isinstance(focal, tuple | list)
                or len(focal) != 2
                or any(isinstance(v, bool) or not isinstance(v, int | float) for v in focal)
                or not all(0.0 <= v <= 1.0 for v in focal)
            ):
                raise SpecError(
                    gettext_noop(
                        "The focal point must be two fractions (x, y) from 0 to 1, not %(point)s."
                    ),
                    params={"point": repr(focal)},
                )
            object.__setattr__(self, "focal_point", (float(focal[0]), float(focal[1])))
        parse_colour(self.background)
        object.__setattr__(self, "ssim_floor", float(floor))
        object.__setattr__(self, "widths", tuple(sorted(set(self.widths), reverse=True)))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))
        object.__setattr__(self, "fill", tuple(dict.fromkeys(self.fill)))

    def fixed_quality(self, fmt: str) -> int:
        """The configured encoder quality (1–100) for ``fmt``, used when quality="fixed"."""
        return int(getattr(self, f"{fmt}_quality"))


def parse_aspect(value: str) -> tuple[int, int]:
    """``"4:5"`` → (4, 5): whole numbers 1–100, a ratio between 1:10 and 10:1."""
    parts = value.split(":") if isinstance(value, str) else []
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        w = h = 0
    if len(parts) != 2 or not (1 <= w <= 100 and 1 <= h <= 100) or not 0.1 <= w / h <= 10:
        raise SpecError(
            gettext_noop(
                "Crop aspect ratio %(value)s must look like \"1:1\" or \"4:5\" "
                "(whole numbers, between 1:10 and 10:1)."
            ),
            params={"value": repr(value)},
        )
    return (w, h)
