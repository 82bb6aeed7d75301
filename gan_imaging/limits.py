"""Upload limits from settings, as the pure core's :class:`Limits`."""

from __future__ import annotations

from gan_imaging.conf import gan_settings
from gan_imaging.core.imaging.decode import Limits


def upload_limits() -> Limits:
    return Limits(
        formats=tuple(f.upper() for f in gan_settings.ALLOWED_FORMATS),
        max_pixels=int(gan_settings.MAX_PIXELS),
        max_side=int(gan_settings.MAX_SIDE),
        max_frames=int(gan_settings.MAX_FRAMES),
        max_bytes=int(gan_settings.MAX_UPLOAD_BYTES),
        max_total_pixels=int(gan_settings.MAX_TOTAL_PIXELS),
        max_aspect=float(gan_settings.MAX_ASPECT),
    )


#: File name extensions accepted for each allowed format.
EXTENSIONS = {
    "JPEG": ("jpg", "jpeg", "jpe", "jfif"),
    "PNG": ("png",),
    "WEBP": ("webp",),
    "GIF": ("gif",),
    "AVIF": ("avif",),
    "TIFF": ("tif", "tiff"),
}


def allowed_extensions() -> list[str]:
    exts: list[str] = []
    for fmt in gan_settings.ALLOWED_FORMATS:
        exts.extend(EXTENSIONS.get(fmt.upper(), (fmt.lower(),)))
    return exts
