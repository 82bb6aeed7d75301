"""How ``benchmarks/thumbnails.py`` judges outputs: every method's renditions scored against
the same reference (:class:`Scorer`), and the fixed-quality baseline that per-image quality's
bytes are compared with (:func:`fixed_baseline`)."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from thumbnail_anchors import FORMATS, WIDTHS

from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.imaging.encode import encode, flatten
from gan_imaging.core.imaging.quality import SsimReference, luma
from gan_imaging.core.specs import ThumbnailSpec

# --------------------------------------------------------------------------- scoring


class Scorer:
    """Scores outputs against Lanczos resizes of the full-resolution decode (on white)."""

    def __init__(self, data: bytes):
        full, _ = decode(data)
        self.alpha = full.mode == "RGBA"
        self.full = flatten(full, (255, 255, 255))
        self.refs: dict[tuple[int, int], SsimReference] = {}

    def __call__(self, encoded: bytes) -> tuple[int, int, float, float]:
        with Image.open(io.BytesIO(encoded)) as im:
            im.load()
            size = im.size
            plane = luma(im, (255, 255, 255))
        if size not in self.refs:
            ref = self.full.resize(size, Image.Resampling.LANCZOS)
            self.refs[size] = SsimReference(luma(ref))
        mean, iw = self.refs[size].scores(plane)
        return size[0], size[1], mean, iw


# --------------------------------------------------------------------------- fixed baseline


def fixed_baseline(photos, auto_runs, floor: float,
                   ours: Callable[[bytes, ThumbnailSpec], list]) -> dict[str, tuple[int, int]]:
    """Per format: (lowest integer quality meeting ``floor`` on every rendition, total bytes).
    ``ours(data, spec)``: our pipeline's outputs for a photo's bytes.

    Rendition pixels come from our pipeline with PNG output (lossless, same planning), so a
    quality here gives exactly the bytes ``quality="fixed"`` would. Exact, assuming only that
    the score rises with quality per rendition: renditions are visited from the highest auto
    answer down (each auto answer passes, so it bounds that rendition's own minimum); one whose
    minimum may exceed the running answer Q is bisected over (Q, its auto answer]; finally
    every rendition is checked at Q, raising Q until all pass.
    """
    png_spec = ThumbnailSpec(widths=WIDTHS, formats=("png",), quality="fixed")
    items = []  # (photo index, rendition key width, image, reference)
    for i, (_name, data) in enumerate(photos):
        for out in ours(data, png_spec):
            if out.key == "lqip":
                continue
            with Image.open(io.BytesIO(out.data)) as im:
                im.load()
                pixels = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
            items.append((i, out.width, pixels, SsimReference(luma(pixels))))

    def score(item, fmt, q):
        data = encode(item[2], fmt, quality=q, threads=1)
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return data, item[3].score_iw(luma(im))

    result = {}
    for fmt in FORMATS:
        chosen = {(i, o.width): o.meta["quality"] for i, outs in enumerate(auto_runs)
                  for o in outs if o.format == fmt and o.key != "lqip"}  # fmt: skip
        q_star = 1
        for item in sorted(items, key=lambda it: -chosen[(it[0], it[1])]):
            upper = chosen[(item[0], item[1])]
            if upper <= q_star or score(item, fmt, q_star)[1] >= floor:
                continue  # this rendition's minimum is ≤ the running answer
            lo, hi = q_star + 1, upper
            if score(item, fmt, upper)[1] < floor:  # auto missed the floor at the grid top
                lo, hi = upper + 1, 100
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if score(item, fmt, mid)[1] >= floor else (mid + 1, hi)
            q_star = lo
        while True:
            total, failed = 0, False
            for item in items:
                data, s = score(item, fmt, q_star)
                total += len(data)
                failed |= s < floor
            if not failed or q_star == 100:
                break
            q_star += 1
        result[fmt] = (q_star, total)
    return result
