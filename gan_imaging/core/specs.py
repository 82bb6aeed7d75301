"""Frozen specs: everything that decides an output's bytes, validated and hashable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Self

from gan_imaging.core.errors import SpecError
from gan_imaging.core.imaging.encode import FORMATS


def parse_colour(value: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → (r, g, b), each 0–255."""
    v = value.strip().lstrip("#")
    if len(v) != 6:
        raise SpecError(f"Colour {value!r} must look like #rrggbb.")
    try:
        return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))
    except ValueError:
        raise SpecError(f"Colour {value!r} must look like #rrggbb.") from None


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
            raise SpecError(f"Unknown {cls.kind} option(s): {', '.join(unknown)}.")
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
    """A responsive set: every width (px, 16–8192) in every format.

    Qualities are encoder qualities 1–100. ``background`` (``#rrggbb``) fills transparent
    areas in formats without alpha (JPEG).
    """

    kind: ClassVar[str] = "thumbnails"

    widths: tuple[int, ...] = (320, 640, 1280)
    formats: tuple[str, ...] = ("webp", "jpeg")
    jpeg_quality: int = 82
    webp_quality: int = 80
    avif_quality: int = 55
    png_quality: int = 100
    background: str = "#ffffff"

    def __post_init__(self) -> None:
        if not self.widths:
            raise SpecError("A thumbnail set needs at least one width.")
        for w in self.widths:
            if not isinstance(w, int) or not 16 <= w <= 8192:
                raise SpecError(f"Thumbnail width {w!r} must be a whole number of px, 16–8192.")
        if not self.formats:
            raise SpecError("A thumbnail set needs at least one format.")
        for f in self.formats:
            if f not in FORMATS:
                raise SpecError(f"Unknown format {f!r}; choose from {', '.join(FORMATS)}.")
        for f in FORMATS:
            q = getattr(self, f"{f}_quality")
            if not isinstance(q, int) or not 1 <= q <= 100:
                raise SpecError(f"{f} quality must be 1–100, not {q!r}.")
        parse_colour(self.background)
        object.__setattr__(self, "widths", tuple(sorted(set(self.widths), reverse=True)))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))

    def quality(self, fmt: str) -> int:
        return int(getattr(self, f"{fmt}_quality"))
