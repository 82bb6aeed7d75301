"""What an upload may be (:class:`Limits`), what we learned about it (:class:`ImageInfo`), and
the merchant-facing refusals shared by the header scanners and the decoder.

Kept apart from ``decode`` so the scanners in ``headers`` can raise the same messages without
an import cycle; ``decode`` re-exports every public name here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gan_imaging.core.errors import CorruptImageError, ImageTooLargeError, gettext_noop

#: Formats a shop photo may arrive in. PSD, EPS, SVG, ICO, BMP, JPEG 2000 and HEIC (unless a
#: maintained plugin is installed and "HEIF" is listed) are refused.
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "TIFF")

FORMAT_NAMES = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "AVIF": "AVIF",
    "TIFF": "TIFF",
    "HEIF": "HEIC",
}


@dataclass(frozen=True)
class Limits:
    """What an upload may be.

    ``max_pixels`` caps width × height of the decoded frame (default 50 MP, under Pillow's own
    89.5 MP warning, so values above that are in effect capped by Pillow); ``max_side`` caps
    either side in px; ``max_frames`` caps animation frames and TIFF pages (only the first is
    used); ``max_bytes`` caps the encoded file size; ``max_total_pixels`` caps frames × canvas
    pixels of an animation (default 50 MP, as imgproxy and Cloudflare Images do), which is what
    refuses a 15 KB GIF of 300 frames of 2000 × 2000 px; ``max_aspect`` caps longest side /
    shortest side (default 50:1, far beyond any product photo or panorama), which refuses the
    10799 × 1 px "image" of a GIF/JavaScript polyglot.
    """

    formats: tuple[str, ...] = DEFAULT_FORMATS
    max_pixels: int = 50_000_000
    max_side: int = 20_000
    max_frames: int = 1_000
    max_bytes: int = 30 * 1024 * 1024
    max_total_pixels: int = 50_000_000
    max_aspect: float = 50.0


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`~gan_imaging.core.imaging.decode.probe` learned from the header.

    ``format`` is Pillow's name (``JPEG``, ``PNG``, ``WEBP``, ``GIF``, ``AVIF``, ``TIFF``);
    ``width``/``height`` in px as Pillow reports them (TIFF: after its orientation tag);
    ``mode`` is Pillow's mode before colour conversion; ``frames`` ≥ 1 (frames or pages).
    """

    format: str
    width: int
    height: int
    mode: str
    frames: int


def allowed_names(limits: Limits) -> str:
    """The allowed formats as a merchant reads them, e.g. ``"JPEG, PNG or WebP"``."""
    names = [FORMAT_NAMES.get(f, f) for f in limits.formats] or ["supported"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _mp(pixels: int) -> str:
    # One decimal below 10 MP so "0.3 megapixels" is not printed as "0 megapixels".
    value = pixels / 1e6
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def check_size(width: int, height: int, limits: Limits) -> None:
    """Refuse a frame of ``width`` × ``height`` px that is empty, over the caps or absurdly
    long and thin."""
    if width < 1 or height < 1:
        raise CorruptImageError(gettext_noop(
            "The image has no pixels (its width or height is 0). Please upload another photo."
        ))
    if max(width, height) > limits.max_side:
        raise ImageTooLargeError(
            gettext_noop(
                "The image is %(width)s×%(height)s pixels; no side may be longer than "
                "%(max_side)s pixels. Please resize it and upload it again."
            ),
            params={"width": width, "height": height, "max_side": limits.max_side},
        )
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            gettext_noop(
                "The image is %(width)s×%(height)s pixels (%(mp)s megapixels); the limit is "
                "%(max_mp)s megapixels. Please upload a smaller photo."
            ),
            params={"width": width, "height": height, "mp": _mp(width * height),
                    "max_mp": _mp(limits.max_pixels)},
        )
    if max(width, height) > limits.max_aspect * min(width, height):
        raise ImageTooLargeError(
            gettext_noop(
                "The image is %(width)s×%(height)s pixels, far too long and thin for a product "
                "photo (at most %(max_aspect)s:1). Please upload the photo itself."
            ),
            params={"width": width, "height": height, "max_aspect": f"{limits.max_aspect:g}"},
        )


def check_frames(frames: int, canvas_pixels: int, limits: Limits, *, at_least: bool) -> None:
    """Refuse an animation or multi-page file over the frame cap or the total pixel budget.

    ``canvas_pixels`` is the total over the frames counted so far; ``at_least`` says the count
    stopped early (the scanner gives up as soon as a cap is passed).
    """
    if frames > limits.max_frames:
        raise ImageTooLargeError(
            gettext_noop(
                "The file has at least %(frames)s frames or pages; at most %(max_frames)s are "
                "accepted. Please upload a still photo."
            ) if at_least else gettext_noop(
                "The file has %(frames)s frames or pages; at most %(max_frames)s are "
                "accepted. Please upload a still photo."
            ),
            params={"frames": frames, "max_frames": limits.max_frames},
        )
    if frames > 1 and canvas_pixels > limits.max_total_pixels:
        raise ImageTooLargeError(
            gettext_noop(
                "The animation has at least %(frames)s frames, %(mp)s megapixels in total; "
                "the limit is %(max_mp)s megapixels. Please upload a still photo."
            ) if at_least else gettext_noop(
                "The animation has %(frames)s frames, %(mp)s megapixels in total; "
                "the limit is %(max_mp)s megapixels. Please upload a still photo."
            ),
            params={"frames": frames, "mp": _mp(canvas_pixels),
                    "max_mp": _mp(limits.max_total_pixels)},
        )


def damaged(detail: str = "") -> CorruptImageError:
    """The one message for a file that is damaged, incomplete or built oddly."""
    if detail:
        return CorruptImageError(
            gettext_noop(
                "The image file is damaged or incomplete and cannot be read safely "
                "(%(detail)s). Please export it again and re-upload."
            ),
            params={"detail": detail},
        )
    return CorruptImageError(gettext_noop(
        "The image file is damaged or incomplete and cannot be read safely. "
        "Please export it again and re-upload."
    ))
