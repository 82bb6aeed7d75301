"""Safe image decoding: allow-listed formats, size caps checked before any pixel is decoded.

Every failure raises an :class:`~gan_imaging.core.errors.InvalidImageError` subclass whose
message a merchant can act on. Pillow's global settings are never changed: truncated files stay
errors and the decompression-bomb warning is escalated to an error locally.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from gan_imaging.core.errors import (
    CorruptImageError,
    ImageTooLargeError,
    InvalidImageError,
    UnsupportedFormatError,
)
from gan_imaging.core.imaging.colour import to_srgb

#: Formats a shop photo may arrive in. TIFF, PSD, EPS, SVG, ICO, BMP are refused by default.
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF")

_FORMAT_NAMES = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "AVIF": "AVIF",
    "TIFF": "TIFF",
}

# Magic numbers of formats Pillow could open but we refuse, so the merchant is told what the
# file is without handing it to a risky decoder.
_KNOWN_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"8BPS", 0, "Photoshop (PSD)"),
    (b"%!PS", 0, "PostScript (EPS)"),
    (b"\xc5\xd0\xd3\xc6", 0, "PostScript (EPS)"),
    (b"%PDF", 0, "PDF"),
    (b"BM", 0, "BMP"),
    (b"\x00\x00\x01\x00", 0, "ICO"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
)


@dataclass(frozen=True)
class Limits:
    """What an upload may be.

    ``max_pixels`` caps width × height of one frame (default 50 MP, well under Pillow's own
    89.5 MP warning); ``max_side`` caps either side in px; ``max_frames`` caps animation frames
    (only the first is used); ``max_bytes`` caps the encoded file size.
    """

    formats: tuple[str, ...] = DEFAULT_FORMATS
    max_pixels: int = 50_000_000
    max_side: int = 20_000
    max_frames: int = 1_000
    max_bytes: int = 30 * 1024 * 1024


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`probe` learned from the header: format, size in px, mode, frame count."""

    format: str
    width: int
    height: int
    mode: str
    frames: int


def allowed_names(limits: Limits) -> str:
    return ", ".join(_FORMAT_NAMES.get(f, f) for f in limits.formats)


def sniff_refused(head: bytes) -> str | None:
    """Name a well-known non-allowed format from its first bytes, or None."""
    stripped = head.lstrip()
    if stripped[:5].lower() in (b"<?xml", b"<svg ") or stripped[:4].lower() == b"<svg":
        return "SVG"
    if stripped[:5].lower() in (b"<!doc", b"<html"):
        return "HTML"
    for magic, offset, name in _KNOWN_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def read_limited(fp: BinaryIO | bytes, limits: Limits) -> bytes:
    """Read a whole file into memory, refusing files over ``limits.max_bytes``."""
    if isinstance(fp, bytes | bytearray | memoryview):
        data = bytes(fp)
    else:
        data = fp.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(
            f"The file is larger than {limits.max_bytes // (1024 * 1024)} MB. "
            "Please upload a smaller photo."
        )
    if not data:
        raise InvalidImageError("The file is empty. Please upload a photo.")
    return data


def content_hash(data: bytes) -> str:
    """SHA-256 hex digest of the encoded bytes; the source's identity everywhere."""
    return hashlib.sha256(data).hexdigest()


def _open(data: bytes, limits: Limits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=list(limits.formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(
            "The image has too many pixels to process safely. "
            "Please upload a photo of at most "
            f"{limits.max_pixels / 1e6:.0f} megapixels."
        ) from exc
    except UnidentifiedImageError as exc:
        named = sniff_refused(data[:64])
        if named:
            raise UnsupportedFormatError(
                f"{named} files are not accepted. Please upload a {allowed_names(limits)} image."
            ) from exc
        raise InvalidImageError(
            "The file is not an image we can read. "
            f"Please upload a {allowed_names(limits)} image."
        ) from exc
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        raise CorruptImageError(
            "The image file is damaged and cannot be read. Please export it again and re-upload."
        ) from exc


def _check_header(im: Image.Image, limits: Limits) -> ImageInfo:
    width, height = im.size
    if width < 1 or height < 1:
        raise CorruptImageError("The image has no pixels. Please upload another photo.")
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {limits.max_pixels / 1e6:.0f} megapixels. Please upload a smaller photo."
        )
    if max(width, height) > limits.max_side:
        raise ImageTooLargeError(
            f"The image is {width}×{height} pixels; no side may exceed {limits.max_side} pixels."
        )
    try:
        frames = int(getattr(im, "n_frames", 1))
    except (OSError, ValueError, EOFError) as exc:
        raise CorruptImageError(
            "The animation in this file is damaged. Please upload a still photo."
        ) from exc
    if frames > limits.max_frames:
        raise ImageTooLargeError(
            f"The animation has {frames} frames; at most {limits.max_frames} are accepted. "
            "Please upload a still photo."
        )
    return ImageInfo(format=im.format or "", width=width, height=height, mode=im.mode, frames=frames)


def probe(data: bytes, limits: Limits = Limits()) -> ImageInfo:
    """Check format and size from the header only. Cheap: no pixel data is decoded."""
    im = _open(data, limits)
    try:
        return _check_header(im, limits)
    finally:
        im.close()


def _load(im: Image.Image, draft_to: tuple[int, int] | None) -> None:
    if im.format == "JPEG" and draft_to is not None:
        # DCT scaling still walks the whole entropy-coded stream, so truncation is detected.
        im.draft(im.mode if im.mode in ("RGB", "L", "CMYK") else "RGB", draft_to)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im.seek(0)
            im.load()
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        raise CorruptImageError(
            "The image file is damaged or incomplete and cannot be read. "
            "Please export it again and re-upload."
        ) from exc


def validate(data: bytes, limits: Limits = Limits()) -> ImageInfo:
    """Full safety check of an upload: header caps, then a real (reduced) decode.

    Uses JPEG DCT scaling so a 12 MP photo validates in a few milliseconds while truncated or
    corrupt files are still caught.
    """
    im = _open(data, limits)
    try:
        info = _check_header(im, limits)
        _load(im, draft_to=(max(1, info.width // 8), max(1, info.height // 8)))
        return info
    finally:
        im.close()


def decode(
    data: bytes, limits: Limits = Limits(), *, draft_to: tuple[int, int] | None = None
) -> tuple[Image.Image, ImageInfo]:
    """Decode the first frame, apply EXIF orientation, convert to sRGB ``RGB`` or ``RGBA``.

    ``draft_to`` (px) lets JPEG decode at a reduced scale no smaller than that size.
    Returns the image (metadata dropped) and the header info of the original.
    """
    im = _open(data, limits)
    info = _check_header(im, limits)
    _load(im, draft_to)
    try:
        im = ImageOps.exif_transpose(im) or im
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptImageError("The photo's orientation data is damaged.") from exc
    out = to_srgb(im)
    out.info = {}
    return out, info
