"""Thumbnails: a responsive width ladder in several web formats.

The production engine (per-image quality, smart crop, LQIP) builds on this; here every width
that fits the source is made in every format, downscaled in a cascade from the largest.
"""

from __future__ import annotations

from PIL import Image

from gan_imaging.core.imaging.encode import encode, get_format
from gan_imaging.core.imaging.resize import fit_width
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.specs import ThumbnailSpec, parse_colour

VERSION = "thumbnails-1"


def plan_widths(spec: ThumbnailSpec, source_width: int) -> list[int]:
    """Widths (px, descending) to make: those the source covers, never upscaled.

    A source narrower than every width still gets one rendition at its own width.
    """
    widths = [w for w in spec.widths if w <= source_width]
    return widths or [source_width]


def run(image: Image.Image, spec: ThumbnailSpec, ctx: Context) -> list[Output]:
    """``image`` is decoded sRGB RGB/RGBA; returns ``len(widths) × len(formats)`` outputs."""
    background = parse_colour(spec.background)
    widths = plan_widths(spec, image.width)
    outputs: list[Output] = []
    current = image
    total = len(widths) * len(spec.formats)
    for width in widths:
        # Cascade: each step only needs to shrink the previous (larger) rendition.
        current = fit_width(current, width)
        for fmt in spec.formats:
            quality = spec.quality(fmt)
            data = encode(current, fmt, quality=quality, background=background)
            outputs.append(
                Output(
                    key=f"{width}w.q{quality}.{get_format(fmt).ext}",
                    data=data,
                    format=fmt,
                    width=current.width,
                    height=current.height,
                    meta={"quality": quality},
                )
            )
            ctx.progress(len(outputs) / total)
    return outputs


PIPELINE = Pipeline(
    kind="thumbnails",
    version=VERSION,
    device="cpu",
    spec_type=ThumbnailSpec,
    run=run,
    label="Thumbnails",
)
