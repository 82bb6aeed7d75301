"""What a thumbnail set is made of, decided before any pixel is resized.

The crops (:class:`Mode`: fit, then one fill window per aspect, on the focal point or around
the subject), the widths each crop covers (never upscaled: :func:`plan_widths`), how far the
source may be decoded down (:func:`decode_hint`), the super-resolution factor a small source
needs (:func:`upscale_factor`) and the name of every rendition (:func:`output_key`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from gan_imaging.core.imaging.crop import fill_box, find_subject
from gan_imaging.core.imaging.encode import get_format
from gan_imaging.core.imaging.resize import height_for_width
from gan_imaging.core.specs import ThumbnailSpec, parse_aspect


def plan_widths(spec: ThumbnailSpec, source_width: float) -> list[int]:
    """Widths (px, descending) to make from a region ``source_width`` px wide: those it
    covers, never upscaled. A region narrower than every width gets one rendition at its own
    (whole-pixel) width."""
    widths = [w for w in spec.widths if w <= source_width + 1e-6]
    return widths or [max(1, math.floor(source_width + 1e-6))]


@dataclass(frozen=True)
class Mode:
    """One crop of the source: ``aspect`` None for fit; ``box`` (px floats) None = whole."""

    name: str
    aspect: tuple[int, int] | None
    box: tuple[float, float, float, float] | None

    def region(self, size: tuple[int, int]) -> tuple[float, float]:
        """(w, h) px of this crop of a source of ``size`` px."""
        if self.box is None:
            return float(size[0]), float(size[1])
        return self.box[2] - self.box[0], self.box[3] - self.box[1]

    def size_for(self, size: tuple[int, int], width: int) -> tuple[int, int]:
        """(w, h) px of this crop of a ``size`` px source made ``width`` px wide."""
        if self.aspect is None:
            return width, height_for_width(size, width)
        return width, max(1, round(width * self.aspect[1] / self.aspect[0]))


def _aspect_region(size: tuple[int, int], aspect: tuple[int, int]) -> tuple[float, float]:
    """(w, h) px of the largest ``aspect`` window inside ``size``."""
    box = fill_box(size, aspect)
    return box[2] - box[0], box[3] - box[1]


def decode_hint(spec: ThumbnailSpec, width: int, height: int) -> tuple[int, int] | None:
    """Smallest (w, h) px, as displayed, that a source of ``width`` × ``height`` may be
    decoded down to without any rendition of ``spec`` losing pixels; None when no reduction
    is possible. Pass it as ``decode(data, limits, draft_to=hint)``."""
    scale = 0.0
    regions = [(float(width), float(height))] if spec.fit else []
    regions += [_aspect_region((width, height), parse_aspect(a)) for a in spec.fill]
    if spec.max_upscale > 1 and any(rw < max(spec.widths) - 1e-6 for rw, _rh in regions):
        return None  # super-resolution of the widest renditions wants every source pixel
    for rw, _rh in regions:
        scale = max(scale, plan_widths(spec, rw)[0] / rw)
    if scale >= 0.5:  # JPEG scaling halves at least; nothing to gain
        return None
    return (math.ceil(width * scale), math.ceil(height * scale))


def plan_modes(image: Image.Image, spec: ThumbnailSpec) -> list[Mode]:
    """The crops ``spec`` asks for: fit (the whole image), then one fill window per aspect,
    on ``spec.focal_point`` or else around the subject :func:`~..imaging.crop.find_subject`
    finds."""
    modes = [Mode("fit", None, None)] if spec.fit else []
    if spec.fill:
        subject = None if spec.focal_point else find_subject(image)
        for text in spec.fill:
            aspect = parse_aspect(text)
            if spec.focal_point is not None:
                box = fill_box(image.size, aspect, spec.focal_point)
            else:
                assert subject is not None
                box = fill_box(image.size, aspect, subject.centre, subject.box)
            modes.append(Mode("fill", aspect, box))
    return modes


def output_key(
    spec: ThumbnailSpec, mode: Mode, width: int, fmt: str, quality: int | None
) -> str:
    """Stable, unique name of one rendition: every spec parameter that changes its bytes.

    ``640w.auto970.webp`` (auto, floor 0.970), ``640w.q82.jpg`` (fixed),
    ``640w.4x5.auto970.avif`` (fill, subject-centred), ``640w.1x1-f250-750.q82.jpg`` (fill
    on focal point x=0.25, y=0.75); a non-white background adds ``.bgrrggbb``.
    """
    parts = [f"{width}w"]
    if mode.aspect is not None:
        crop = f"{mode.aspect[0]}x{mode.aspect[1]}"
        if spec.focal_point is not None:
            fx, fy = (round(v * 1000) for v in spec.focal_point)
            crop += f"-f{fx}-{fy}"
        parts.append(crop)
    parts.append(f"q{quality}" if quality is not None else f"auto{round(spec.ssim_floor * 1000)}")
    if spec.background.strip().lstrip("#").lower() != "ffffff":
        parts.append("bg" + spec.background.strip().lstrip("#").lower())
    return ".".join(parts) + "." + get_format(fmt).ext


def upscale_factor(spec: ThumbnailSpec, image: Image.Image, modes: list[Mode]) -> int:
    """The super-resolution factor (1, 2 or 4) the widest requested rendition needs, capped
    by ``spec.max_upscale``; 1 when the source covers every width."""
    narrowest = min(mode.region(image.size)[0] for mode in modes)
    need = max(spec.widths) / narrowest
    if spec.max_upscale == 1 or need <= 1 + 1e-6:
        return 1
    return 2 if need <= 2 and spec.max_upscale >= 2 else spec.max_upscale
