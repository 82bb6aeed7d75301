"""The photo a job is made from: checking an upload, preparing what is stored, reading it back.

An upload is validated by content (``check_upload``), then ``prepare_upload`` removes location
and identity metadata losslessly (``STRIP_PRIVATE_METADATA``), hashes the bytes that will be
stored and makes the inline placeholder. Workers read the stored photo with ``read_source``
and compare its hash with the job's, so a replaced file is never processed under an old job.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError, StorageError, gettext_noop
from gan_imaging.core.imaging.decode import content_hash, decode, read_limited, validate
from gan_imaging.core.imaging.policy import Limits
from gan_imaging.core.imaging.privacy import strip_private_metadata
from gan_imaging.core.pipelines import Output


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


def check_upload(fileobj: Any, filename: str | None = None) -> tuple[bytes, str]:
    """Read and validate an upload (a file object or bytes); returns (bytes, Pillow format).

    Raises ``InvalidImageError`` subclasses with a message for the merchant.
    """
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = read_limited(fileobj, upload_limits())
    # The name lets the check refuse a TIFF or HEIC dressed up as a web format.
    info = validate(data, upload_limits(), filename=filename or getattr(fileobj, "name", None))
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    return data, info.format


@dataclass(frozen=True)
class PreparedUpload:
    """A checked upload, ready to store: ``data`` is the cleaned file when metadata was removed
    (``removed`` names what, e.g. ``("gps", "serial_numbers")``), else None (store the upload
    as it is); ``sha256`` is the hash of what is stored; ``placeholder`` the LQIP, or None."""

    format: str
    sha256: str
    data: bytes | None
    removed: tuple[str, ...]
    placeholder: Output | None


def prepare_upload(data: bytes, fmt: str, filename: str | None) -> PreparedUpload:
    """What to store for a validated upload (see :class:`PreparedUpload`)."""
    cleaned: bytes | None = None
    removed: tuple[str, ...] = ()
    if gan_settings.STRIP_PRIVATE_METADATA:
        result = strip_private_metadata(data)
        if result.removed:
            cleaned, removed = result.data, result.removed
    stored = cleaned if cleaned is not None else data
    return PreparedUpload(fmt, content_hash(stored), cleaned, removed,
                          upload_placeholder(stored, filename))


def upload_placeholder(data: bytes, filename: str | None) -> Output | None:
    """The LQIP of an upload, computed in the request (≈ 2 ms for a JPEG thanks to DCT
    scaling) so pages show it while renditions are pending; None if it cannot be made."""
    from gan_imaging.core.pipelines.thumbnails import PLACEHOLDER_DRAFT, placeholder

    try:
        image, _ = decode(data, upload_limits(), filename=filename, draft_to=PLACEHOLDER_DRAFT)
        p = placeholder(image)
        with Image.open(io.BytesIO(p.webp)) as im:
            size = im.size
    except (GanImagingError, OSError):
        return None
    meta = {"blurhash": p.blurhash, "data_uri": p.data_uri, "placeholder": True}
    return Output("lqip", p.webp, "webp", size[0], size[1], meta)


def read_source(fieldfile: Any) -> bytes:
    """Bytes of a stored field file, with the upload size cap applied."""
    try:
        fieldfile.open("rb")
        try:
            return read_limited(fieldfile.file, upload_limits())
        finally:
            fieldfile.close()
    except (OSError, ValueError) as exc:
        raise StorageError(
            gettext_noop("The photo could not be read from storage: %(error)s"),
            params={"error": str(exc)},
        ) from exc
