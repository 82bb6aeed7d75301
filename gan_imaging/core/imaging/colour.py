"""Colour normalisation: every decoded image leaves here as 8-bit sRGB ``RGB`` or ``RGBA``."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms

_SRGB = ImageCms.createProfile("sRGB")


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        im.mode == "P" and "transparency" in im.info
    ) or (im.mode in ("RGB", "L") and "transparency" in im.info)


def _to_8bit(im: Image.Image) -> Image.Image:
    """Scale 16/32-bit greyscale to 8 bits by value range instead of clipping at 255."""
    arr = np.asarray(im)
    if arr.dtype == np.uint8:
        return Image.fromarray(arr, "L")
    arr = arr.astype(np.float64)
    top = 65535.0 if arr.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
    if im.mode == "F":
        top = max(1.0, float(arr.max(initial=1.0)))
    return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")


def to_srgb(im: Image.Image) -> Image.Image:
    """Convert any decoded Pillow image to 8-bit sRGB ``RGB`` (opaque) or ``RGBA``.

    An embedded ICC profile (Adobe RGB, Display P3, CMYK press profiles) is converted with
    LittleCMS; without one, sRGB is assumed. 16-bit greyscale is rescaled, not clipped.
    """
    icc = im.info.get("icc_profile")
    alpha = None
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        im = _to_8bit(im)
    if _has_alpha(im):
        im = im.convert("RGBA")
        alpha = im.getchannel("A")
        if alpha.getextrema() == (255, 255):
            alpha = None
        im = im.convert("RGB")
    elif im.mode not in ("RGB", "CMYK", "L"):
        im = im.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(
                im, src, _SRGB, outputMode="RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken profile should not lose the photo: fall back to a plain conversion.
            im = im.convert("RGB")
    if im.mode != "RGB":
        im = im.convert("RGB")
    if alpha is not None:
        im.putalpha(alpha)
    im.info = {}
    return im
