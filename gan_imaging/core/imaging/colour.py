"""Colour normalisation: every decoded image leaves here as 8-bit sRGB ``RGB`` or ``RGBA``.

Order matters: alpha is split off first (so a greyscale or CMYK profile still matches its
colour channels), then 16-bit and float data are scaled to 8 bits (Pillow's own ``convert``
clips ``I;16`` at 255, which turns a 16-bit photo white), then an embedded ICC profile is
applied with LittleCMS (``convert`` ignores profiles: CMYK and Adobe RGB come out visibly too
saturated), and only then is alpha put back, if any pixel is not opaque.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms, ImageFile

from gan_imaging.core.errors import UnsupportedFormatError, gettext_noop

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

#: Pillow mode whose channels an ICC profile of each colour space describes.
_MODE_OF_SPACE = {"RGB ": "RGB", "GRAY": "L", "CMYK": "CMYK", "LAB ": "LAB", "Lab ": "LAB"}

#: Modes holding more than 8 bits per sample, scaled by :func:`_to_8bit`.
_DEEP = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")

#: Modes ``convert("RGB")`` turns into sRGB-ish RGB without a profile.
_NATIVE = ("L", "RGB", "CMYK", "LAB")


def _split_alpha(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Return (colour channels, alpha as ``L`` or None); premultiplied modes are undone."""
    trns = im.info.get("transparency")
    if im.mode == "La":  # TIFF associated alpha; Pillow converts La only to LA
        im = im.convert("LA")
    elif im.mode == "RGBa":
        im = im.convert("RGBA")
    if im.mode == "LA":
        return im.getchannel("L"), im.getchannel("A")
    if im.mode == "RGBA":
        return im.convert("RGB"), im.getchannel("A")
    if im.mode == "PA" or (im.mode == "P" and trns is not None):
        rgba = im.convert("RGBA")
        return rgba.convert("RGB"), rgba.getchannel("A")
    if im.mode in ("1", "L", "RGB") and trns is not None:
        # convert() turns the colour-key ("tRNS") into alpha for these modes.
        return im.convert("L") if im.mode == "1" else im, im.convert("RGBA").getchannel("A")
    if im.mode in _DEEP and isinstance(trns, int):
        key = np.asarray(im) == trns
        return im, Image.fromarray(np.where(key, 0, 255).astype(np.uint8), "L")
    return im, None


def _to_8bit(im: Image.Image) -> Image.Image:
    """Scale 16-bit (``I;16*``, ``I``) or float (``F``) greyscale to ``L`` without clipping.

    16-bit values 0–65535 map to 0–255 by rounding ``v / 257``, so a full ramp keeps all 256
    levels; ``I`` is treated as 16-bit (Pillow's mode for signed 16-bit TIFF and older PNG
    readers), negative values clip to 0. Float data in 0–1 maps to 0–255; larger floats are
    scaled by their maximum.
    """
    arr = np.asarray(im)
    if im.mode == "F":
        arr = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        top = max(1.0, float(arr.max(initial=0.0)))
        scaled = arr / top * 255.0
    else:
        scaled = arr.astype(np.float64) / 257.0
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _profile(icc: bytes | None) -> ImageCms.ImageCmsProfile | None:
    if not icc:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile must not lose the photo: treat it as untagged


def _apply_profile(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert ``im`` (``L``/``RGB``/``CMYK``/``LAB``) to sRGB ``RGB`` using ``icc`` if it fits."""
    src = _profile(icc)
    if src is not None and _MODE_OF_SPACE.get(src.profile.xcolor_space) == im.mode:
        try:
            return ImageCms.profileToProfile(  # type: ignore[return-value]  # not inPlace
                im, src, _SRGB, outputMode="RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: fall through to the untagged conversion
    # Untagged: RGB and grey are taken as sRGB; CMYK gets Pillow's naive conversion, the
    # best available without a profile; LAB is converted by Pillow's D50 formula.
    return im.convert("RGB")


def to_srgb(im: Image.Image) -> Image.Image:
    """Convert any decoded Pillow image to 8-bit sRGB ``RGB`` (opaque) or ``RGBA``.

    An embedded ICC profile (``im.info["icc_profile"]``: Adobe RGB, Display P3, CMYK press
    profiles, grey gamma profiles) is converted with LittleCMS, perceptual intent; a profile
    whose colour space does not match the pixels, or that LittleCMS cannot read, is ignored.
    Alpha is kept only if some pixel is not fully opaque. The result is a new, loaded image
    with ``info == {}``; ``im`` is not modified.
    """
    icc = im.info.get("icc_profile")
    colour, alpha = _split_alpha(im)
    if colour.mode in _DEEP:
        colour = _to_8bit(colour)
    elif colour.mode not in _NATIVE:
        try:
            colour = colour.convert("RGB")
        except ValueError as exc:
            raise UnsupportedFormatError(
                gettext_noop(
                    "The image uses a colour format (%(mode)s) we cannot convert. "
                    "Please export it as an 8-bit RGB JPEG or PNG."
                ),
                params={"mode": colour.mode},
            ) from exc
    out = _apply_profile(colour, icc)
    if isinstance(out, ImageFile.ImageFile):
        out = out.copy()  # detach from the file object and its cached EXIF
    if alpha is not None and alpha.getextrema() != (255, 255):
        out.putalpha(alpha)
    out.info = {}
    return out
