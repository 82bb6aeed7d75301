"""The format gate of an upload: which files get as far as Pillow, judged by bytes and name.

A file must start like a format we can scan (:func:`~.headers.identify`) that ``limits``
allows; its structure is then scanned (:func:`~.headers.scan`), HEIC needs the pillow-heif
plugin and AVIF its own permission, and a TIFF or HEIC must be named as what it is (a TIFF
named ``.png`` walks past an extension filter into a far bigger decoder). A well-known format
we refuse is named in the refusal (:func:`sniff_refused`), so the merchant is told what the
file is without it being handed to a risky decoder.
"""

from __future__ import annotations

from gan_imaging.core.errors import InvalidImageError, UnsupportedFormatError, gettext_noop
from gan_imaging.core.imaging.headers import Header, identify, scan
from gan_imaging.core.imaging.policy import FORMAT_NAMES, Limits, allowed_names

# Magic numbers of formats Pillow could open but we refuse.
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
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", 0, "JPEG XL"),
)

#: File-name extensions and the format they claim.
_EXTENSION_FORMAT = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "jpe": "JPEG",
    "jfif": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "gif": "GIF",
    "avif": "AVIF",
    "tif": "TIFF",
    "tiff": "TIFF",
    "heic": "HEIF",
    "heif": "HEIF",
}
# A web format under another web format's name is an everyday mistake and harmless. A TIFF
# named .png is format confusion: it walks past an extension filter into a far bigger decoder.
_NAMED_ONLY = frozenset({"TIFF", "HEIF"})

_heif_registered = False


def sniff_refused(head: bytes) -> str | None:
    """Name a well-known non-allowed format from its first bytes (≥ 16 advised), or None."""
    stripped = head.lstrip()
    if stripped[:5].lower() in (b"<?xml", b"<svg ") or stripped[:4].lower() == b"<svg":
        return "SVG"
    if stripped[:5].lower() in (b"<!doc", b"<html"):
        return "HTML"
    for magic, offset, name in _KNOWN_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _heif_available(limits: Limits) -> bool:
    """True if HEIC is allowed and a maintained plugin (pillow-heif) is importable."""
    global _heif_registered
    if not {"HEIF", "HEIC"} & set(limits.formats):
        return False
    try:
        import pillow_heif  # optional plugin, imported only when HEIC is allowed
    except ImportError:
        return False
    if not _heif_registered:
        pillow_heif.register_heif_opener()
        _heif_registered = True
    return True


def _refuse_unknown(data: bytes, limits: Limits) -> InvalidImageError:
    if not data:
        return InvalidImageError(gettext_noop("The file is empty. Please upload a photo."))
    named = sniff_refused(data[:64])
    if named:
        return UnsupportedFormatError(
            gettext_noop("%(format)s files are not accepted. Please upload a %(allowed)s image."),
            params={"format": named, "allowed": allowed_names(limits)},
        )
    return InvalidImageError(
        gettext_noop("The file is not an image we can read. Please upload a %(allowed)s image."),
        params={"allowed": allowed_names(limits)},
    )


def _check_name(filename: str | None, fmt: str, limits: Limits) -> None:
    if not filename:
        return
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if fmt in _NAMED_ONLY and _EXTENSION_FORMAT.get(ext) != fmt:
        raise UnsupportedFormatError(
            gettext_noop(
                "The file is named .%(ext)s but is really a %(real)s image. Please save it as "
                "a %(allowed)s image with a matching file name."
            ),
            params={"ext": ext or "(no extension)", "real": FORMAT_NAMES[fmt],
                    "allowed": allowed_names(limits)},
        )


def admit(data: bytes, limits: Limits, filename: str | None = None) -> Header:
    """Identify and scan ``data`` (:func:`~.headers.scan`) and check its format against
    ``limits`` and ``filename``; raise a typed, merchant-readable refusal or return the header.
    """
    kind = identify(data[:16])
    if kind is None:
        raise _refuse_unknown(data, limits)
    if kind != "ISOBMFF" and kind not in limits.formats:
        raise UnsupportedFormatError(
            gettext_noop("%(format)s files are not accepted. Please upload a %(allowed)s image."),
            params={"format": FORMAT_NAMES[kind], "allowed": allowed_names(limits)},
        )
    header = scan(data, limits)
    if header.format == "HEIF" and not _heif_available(limits):
        raise UnsupportedFormatError(gettext_noop(
            "HEIC photos (the iPhone camera format) are not accepted. Please export the photo "
            "as JPEG (on iPhone: Settings › Camera › Formats › Most Compatible) and upload it."
        ))
    if header.format == "AVIF" and "AVIF" not in limits.formats:
        raise UnsupportedFormatError(
            gettext_noop("AVIF files are not accepted. Please upload a %(allowed)s image."),
            params={"allowed": allowed_names(limits)},
        )
    _check_name(filename, header.format, limits)
    return header
