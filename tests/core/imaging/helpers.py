"""Small image factories shared by the imaging tests (pure: numpy and Pillow)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: Display-space colours of the four quadrants of :func:`quadrant_card`.
QUADRANTS = {"tl": (255, 0, 0), "tr": (0, 255, 0), "bl": (0, 0, 255), "br": (255, 255, 255)}


def save(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def quadrant_card(width: int = 48, height: int = 32) -> np.ndarray:
    """H×W×3 uint8: red top-left, green top-right, blue bottom-left, white bottom-right."""
    arr = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    arr[:h2, :w2], arr[:h2, w2:] = QUADRANTS["tl"], QUADRANTS["tr"]
    arr[h2:, :w2], arr[h2:, w2:] = QUADRANTS["bl"], QUADRANTS["br"]
    return arr


def stored_for(display: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that EXIF ``orientation`` shows ``display``.

    Written from the EXIF 2.32 table (where row 0 and column 0 of the stored image sit on
    the display), not from Pillow's transpose constants, so it checks the decoder
    independently: e.g. 6 = "row 0 is the visual right side, column 0 the visual top".
    """
    d = display
    return {
        1: lambda: d,
        2: lambda: d[:, ::-1],
        3: lambda: d[::-1, ::-1],
        4: lambda: d[::-1, :],
        5: lambda: d.transpose(1, 0, 2),
        6: lambda: np.rot90(d, 1),
        7: lambda: d[::-1, ::-1].transpose(1, 0, 2),
        8: lambda: np.rot90(d, -1),
    }[orientation]().copy()


def quadrant_centres(im: Image.Image) -> dict[str, tuple[int, ...]]:
    """RGB at the centre of each quadrant of ``im``."""
    w, h = im.size
    rgb = im.convert("RGB")
    at = {
        "tl": (w // 4, h // 4),
        "tr": (3 * w // 4, h // 4),
        "bl": (w // 4, 3 * h // 4),
        "br": (3 * w // 4, 3 * h // 4),
    }
    return {k: rgb.getpixel(xy) for k, xy in at.items()}


def exif_with(orientation: int | None = None, *, gps: bool = False, make: str = "") -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if make:
        exif[0x010F] = make
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return exif.tobytes()
