"""Safe image decoding: allow-listed formats, size caps checked before any pixel is decoded.

Three layers, cheapest first: :func:`~.admission.admit` checks the format and reads the file's
structure with bounded loops (``headers.scan``), refusing bombs and odd structures before
Pillow parses anything; Pillow then opens the file
with ``formats=`` narrowed to the one format found, and its reported size and frame count are
checked again; only then are pixels decoded. Every failure raises an
:class:`~gan_imaging.core.errors.InvalidImageError` subclass whose message a merchant can act
on. Pillow's global settings are never changed: truncated files stay errors
(``LOAD_TRUNCATED_IMAGES`` is left False) and the decompression-bomb warning is escalated to an
error locally. (``warnings.catch_warnings`` swaps process-wide filters, so under threads an
escalation can be lost; the explicit pixel caps, below Pillow's warning threshold, still hold.)
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from PIL import ExifTags, Image, ImageChops, UnidentifiedImageError

from gan_imaging.core.errors import (
    ImageTooLargeError,
    InvalidImageError,
    UnsupportedFormatError,
    gettext_noop,
)
from gan_imaging.core.imaging.admission import admit
from gan_imaging.core.imaging.colour import to_srgb
from gan_imaging.core.imaging.pngcheck import verify_png_pixels
from gan_imaging.core.imaging.policy import (
    DEFAULT_FORMATS,
    ImageInfo,
    Limits,
    allowed_names,
    check_frames,
    check_size,
    damaged,
)

__all__ = [
    "DEFAULT_FORMATS",
    "ImageInfo",
    "Limits",
    "allowed_names",
    "content_hash",
    "decode",
    "probe",
    "read_limited",
    "validate",
]

#: Every mode the allowed formats decode to; ``to_srgb`` converts each of them.
_MODES = frozenset(
    ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB")
    + ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")
)

_PILLOW_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,  # libavif and libwebp decode failures ("Failed to decode frame 0")
)

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_DEFAULT_LIMITS = Limits()

#: A decode size (width, height px, as displayed) or None: no reduction.
DraftSize = tuple[int, int] | None


def read_limited(fp: BinaryIO | bytes, limits: Limits) -> bytes:
    """Read a whole file into memory, refusing files over ``limits.max_bytes`` or empty."""
    if isinstance(fp, bytes | bytearray | memoryview):
        data = bytes(fp)
    else:
        data = fp.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(
            gettext_noop("The file is larger than %(mb)s MB. Please upload a smaller photo."),
            params={"mb": limits.max_bytes // (1024 * 1024)},
        )
    if not data:
        raise InvalidImageError(gettext_noop("The file is empty. Please upload a photo."))
    return data


def content_hash(data: bytes) -> str:
    """SHA-256 hex digest of the encoded bytes; the source's identity everywhere."""
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _pillow_errors(limits: Limits) -> Iterator[None]:
    """Run Pillow on untrusted bytes: bomb warning as error, its exceptions as typed errors."""
    # Reached only when limits.max_pixels is above Pillow's own threshold (read, never set).
    cap = min(limits.max_pixels, Image.MAX_IMAGE_PIXELS or limits.max_pixels)
    too_big = ImageTooLargeError(
        gettext_noop(
            "The image has too many pixels to process safely. Please upload a photo of at most "
            "%(mp)s megapixels."
        ),
        params={"mp": f"{cap / 1e6:.0f}"},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_big from exc
    except MemoryError as exc:
        # The caps held but this process ran short (RLIMIT_AS, other jobs): worth a retry.
        raise ImageTooLargeError(
            gettext_noop(
                "There was not enough memory to process this image. Please try again later, "
                "or upload a smaller photo."
            ),
            retryable=True,
        ) from exc
    except UnidentifiedImageError as exc:
        raise damaged("it is not a valid file of its type") from exc
    except _PILLOW_ERRORS as exc:
        raise damaged() from exc


def _inspect(data: bytes, limits: Limits, filename: str | None) -> tuple[Image.Image, ImageInfo]:
    """Scan, open with Pillow and check; the caller closes the returned image."""
    header = admit(data, limits, filename)
    with _pillow_errors(limits):
        im = Image.open(io.BytesIO(data), formats=[header.format])
    try:
        width, height = im.size
        check_size(width, height, limits)
        frames = header.frames
        if header.format in ("WEBP", "AVIF", "HEIF"):
            # Read by libwebp's demuxer / libavif's parser at open, without decoding frames.
            frames = max(frames, int(getattr(im, "n_frames", 1)))
        # TIFF pages are separate pictures we never decode, so only the page cap applies.
        budget = 0 if header.format == "TIFF" else frames * width * height
        check_frames(frames, budget, limits, at_least=False)
        if im.mode not in _MODES:
            raise UnsupportedFormatError(
                gettext_noop(
                    "The image uses a colour format (%(mode)s) we cannot convert. "
                    "Please export it as an 8-bit RGB JPEG or PNG."
                ),
                params={"mode": im.mode},
            )
    except BaseException:
        im.close()
        raise
    fmt = "JPEG" if im.format == "MPO" else header.format
    return im, ImageInfo(format=fmt, width=width, height=height, mode=im.mode, frames=frames)


def probe(
    data: bytes, limits: Limits = _DEFAULT_LIMITS, *, filename: str | None = None
) -> ImageInfo:
    """Check format, size and frame count from the headers only; no pixel is decoded.

    ``filename`` (optional) lets a TIFF or HEIC named as another format be refused.
    """
    im, info = _inspect(data, limits, filename)
    im.close()
    return info


def validate(
    data: bytes, limits: Limits = _DEFAULT_LIMITS, *, filename: str | None = None
) -> ImageInfo:
    """Upload-time safety check: header caps, then a real but reduced decode.

    JPEG decodes with 1/8 DCT scaling (every scan is still entropy-decoded, so truncation and
    corruption are caught); a still PNG has its pixel stream inflated and checked without
    building the image (``pngcheck``: ~1 MB of memory instead of the whole bitmap); other
    formats decode their first frame. ``validate()`` is never more lenient than
    :func:`decode`; it may refuse a PNG whose compressed stream is short or damaged where
    Pillow would pad it with black. Measured on a busy 2-core x86 CPU
    (``benchmarks/hostile_inputs.py``): 12 MP JPEG (1.7 MB) 26–70 ms, 12 MP PNG (20.6 MB)
    320–470 ms, against 83–214 ms and 420–550 ms for a plain full Pillow load.
    """
    im, info = _inspect(data, limits, filename)
    try:
        if info.format == "PNG" and info.frames == 1:
            verify_png_pixels(data)
        else:
            _load(im, limits, (max(1, info.width // 8), max(1, info.height // 8)))
    finally:
        im.close()
    return info


def _orientation(im: Image.Image) -> int:
    """EXIF orientation 1–8 (AVIF: from its irot/imir boxes); 1 if absent or unreadable."""
    if im.format == "TIFF":
        return 1  # Pillow's TIFF plugin applies the tag itself during load()
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        # Damaged EXIF must not cost the merchant the photo; Pillow's EXIF parser raises a
        # long tail of types (struct.error, KeyError, UnicodeDecodeError, ...) on bad IFDs.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _load(im: Image.Image, limits: Limits, draft_to: tuple[int, int] | None) -> None:
    with _pillow_errors(limits):
        if draft_to is not None and im.format in ("JPEG", "MPO"):
            mode = im.mode if im.mode in ("RGB", "L", "CMYK") else "RGB"
            im.draft(mode, draft_to)
        im.load()


def decode(
    data: bytes,
    limits: Limits = _DEFAULT_LIMITS,
    *,
    draft_to: DraftSize | Callable[[int, int], DraftSize] = None,
    filename: str | None = None,
) -> tuple[Image.Image, ImageInfo]:
    """Decode the first frame, apply EXIF orientation, convert to 8-bit sRGB.

    Returns a new ``RGB`` image (``RGBA`` if any pixel is not opaque) with ``info == {}``, and
    the header info of the original. ``draft_to`` (width, height px, as displayed) lets a JPEG
    decode at a reduced DCT scale no smaller than that size; other formats ignore it. It may
    be a function of the displayed (width, height) px returning that size or None, for
    callers whose reduction depends on the photo's orientation.
    """
    im, info = _inspect(data, limits, filename)
    try:
        # Orientation is read before load() only where the draft size needs it: PNG's
        # getexif() loads the image itself, and a failed load must surface from _load().
        orientation = None
        if draft_to is not None and im.format in ("JPEG", "MPO"):
            orientation = _orientation(im)
            on_side = orientation in (5, 6, 7, 8)
            if callable(draft_to):
                w, h = im.size
                draft_to = draft_to(h, w) if on_side else draft_to(w, h)
            if draft_to is not None and on_side:
                draft_to = (draft_to[1], draft_to[0])  # the stored image is on its side
        elif callable(draft_to):
            draft_to = None
        _load(im, limits, draft_to)
        if orientation is None:
            orientation = _orientation(im)
        with _pillow_errors(limits):
            frame: Image.Image = im
            if im.format in ("JPEG", "MPO") and im.mode == "CMYK" and "adobe" not in im.info:
                # Pillow reads every CMYK JPEG as Adobe-inverted; without Adobe's APP14
                # marker the samples are plain CMYK, so undo that inversion.
                frame = ImageChops.invert(im)
            if orientation in _TRANSPOSE:
                frame = frame.transpose(_TRANSPOSE[orientation])
            out = to_srgb(frame)
    finally:
        im.close()
    return out, info
