"""Metadata-free encoding to the web formats we serve."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from gan_imaging.core.errors import SpecError, gettext_noop


@dataclass(frozen=True)
class Format:
    """An output format: Pillow's name, MIME type, file extension, alpha support."""

    name: str
    pil: str
    mime: str
    ext: str
    alpha: bool


FORMATS: dict[str, Format] = {
    "jpeg": Format("jpeg", "JPEG", "image/jpeg", "jpg", False),
    "webp": Format("webp", "WEBP", "image/webp", "webp", True),
    "avif": Format("avif", "AVIF", "image/avif", "avif", True),
    "png": Format("png", "PNG", "image/png", "png", True),
}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise SpecError(
            gettext_noop("Unknown output format %(name)s; choose from %(choices)s."),
            params={"name": repr(name), "choices": ", ".join(FORMATS)},
        ) from None


def flatten(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite an ``RGBA`` image onto an opaque background colour (0–255 per channel)."""
    if im.mode != "RGBA":
        return im.convert("RGB") if im.mode != "RGB" else im
    base = Image.new("RGB", im.size, background)
    base.paste(im, mask=im.getchannel("A"))
    return base


def encode(
    im: Image.Image,
    fmt: str,
    *,
    quality: int,
    background: tuple[int, int, int] = (255, 255, 255),
    threads: int | None = None,
    full_chroma: bool = False,
) -> bytes:
    """Encode ``im`` (``RGB``/``RGBA``, sRGB) as ``fmt`` with encoder quality 1–100.

    No EXIF, XMP, ICC or comments are written: pixels are sRGB, which browsers assume.
    Alpha is kept where the format supports it, else composited on ``background``.
    Deterministic: the same pixels and arguments give the same bytes. ``threads`` caps the
    AVIF encoder's worker threads (None: one per core); callers that already encode several
    images in parallel pass 1 so the cores are not oversubscribed. ``full_chroma`` encodes
    JPEG 4:4:4 (no colour bleeding into a pure white backdrop: packshots).

    Encoder effort (fixed, so outputs are comparable across runs): JPEG optimised Huffman
    tables, progressive, 4:2:0; WebP ``method=4``; AVIF ``speed=8`` (libavif/aom); PNG zlib 6.
    """
    spec = get_format(fmt)
    if not 1 <= quality <= 100:
        raise SpecError(
            gettext_noop("Quality must be between 1 and 100, not %(quality)s."),
            params={"quality": quality},
        )
    if im.mode == "RGBA" and not spec.alpha:
        im = flatten(im, background)
    elif im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if spec.alpha and "A" in im.getbands() else "RGB")
    # A fresh header: drop anything Pillow would carry over from im.info (COM, ICC, EXIF).
    im.info = {}
    buf = io.BytesIO()
    if spec.pil == "JPEG":
        im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True,
                subsampling=0 if full_chroma else 2)
    elif spec.pil == "WEBP":
        im.save(buf, "WEBP", quality=quality, method=4, exact=False)
    elif spec.pil == "AVIF":
        extra = {} if threads is None else {"max_threads": threads}
        im.save(buf, "AVIF", quality=quality, speed=8, **extra)
    else:
        im.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()
