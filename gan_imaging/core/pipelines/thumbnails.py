"""Thumbnails: a responsive rendition set (widths × fit/fill modes × formats) plus placeholders.

What is made (crops, widths, upscaling, names) is planned in :mod:`.thumbnail_plan`.

Speed: the caller decodes once, reduced by :func:`~.thumbnail_plan.decode_hint` (JPEG DCT
scaling); each mode's widths are made in a cascade from its largest; encodes run in a thread
pool of one worker per core (Pillow releases the GIL while resizing and encoding, numpy while
scoring). Nothing here touches storage.

Quality: with ``quality="auto"`` each rendition gets the lowest quality on the format's grid
(:data:`~gan_imaging.core.imaging.quality.QUALITY_GRIDS`, 40–100 in steps of 4) whose
information-weighted luma SSIM against the uncompressed rendition meets ``spec.ssim_floor``.
With the bundled quality model (``quality_search="predict"``, the default) each rendition
is encoded once at the quality predicted from its own pixels, verified, and corrected at most
once before the bounded search takes over (about 1.17 encodes per rendition on the corpus);
with ``"exact"`` the widths are searched from the smallest up, each seeded with its smaller
neighbour's answer (at most :data:`~gan_imaging.core.imaging.quality.MAX_PROBES` = 6 encodes,
+ decode + SSIM, per rendition; about 2.1 on average). How the chains of one mode and format
are scheduled: :mod:`.thumbnail_encode`.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future

from PIL import Image

from gan_imaging.core.errors import gettext_noop
from gan_imaging.core.imaging.encode import flatten
from gan_imaging.core.imaging.placeholder import Placeholder, make_placeholder
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.pipelines.priority_pool import PriorityPool
from gan_imaging.core.pipelines.thumbnail_encode import (
    Chain,
    Item,
    Prepared,
    cost,
    encode_fixed,
    model_for,
)
from gan_imaging.core.pipelines.thumbnail_encode import prepare as prepare_item
from gan_imaging.core.pipelines.thumbnail_plan import (
    Mode,
    decode_hint,
    plan_modes,
    plan_widths,
    upscale_factor,
)
from gan_imaging.core.specs import ThumbnailSpec, parse_colour

VERSION = "thumbnails-7"  # 7: quality model refitted (margins chosen with 8 % bytes slack)

__all__ = ["PIPELINE", "Placeholder", "placeholder", "run"]

_RESAMPLE = Image.Resampling.LANCZOS
# Box-reduce by an integer factor first while the image is ≥ 3× the target: several times
# faster than Lanczos all the way, and indistinguishable (SSIM ≥ 0.998 on corpus photos).
_REDUCING_GAP = 3.0
def _resize(
    im: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float] | None
) -> Image.Image:
    if box is None and size == im.size:
        return im
    return im.resize(size, _RESAMPLE, box=box, reducing_gap=_REDUCING_GAP)


# Encode cost per pixel, highest first: long tasks are queued first so the pool's tail is short.
_COST_ORDER = {"avif": 0, "webp": 1, "jpeg": 2, "png": 3}


def _scaled_box(
    box: tuple[float, float, float, float] | None, factor: int
) -> tuple[float, float, float, float] | None:
    return None if box is None else (box[0] * factor, box[1] * factor,
                                     box[2] * factor, box[3] * factor)


def _mode_items(
    image: Image.Image,
    mode: Mode,
    widths: list[int],
    *,
    factor: int,
    background: tuple[int, int, int],
    upscaled: dict[str, object] | None,
    prepare: Callable[[Image.Image], Future[Prepared]] | None,
) -> Iterator[Item]:
    """Resize ``image`` (the source, or its ``factor``× upscale) to each of ``widths``
    (descending) in a cascade: after the first (cropping) resize, each shrinks the last.
    Yields each item as soon as it is made, so its encodes (or, with ``prepare``, its SSIM
    reference and features) can start while the next width is resized. (Making the smallest
    widths straight from the source first, so that the quality chains could start sooner,
    cost 40 % more resize CPU on the corpus and no wall time.)"""
    current, box = image, _scaled_box(mode.box, factor)
    region = _region(image, mode, factor)
    for width in widths:
        current = _resize(current, mode.size_for(region, width), box)
        box = None
        flat = flatten(current, background) if current.mode == "RGBA" else current
        yield Item(mode, width, current, flat, upscaled, prepare(flat) if prepare else None)


def _region(image: Image.Image, mode: Mode, factor: int) -> tuple[int, int]:
    """(w, h) px of ``mode``'s crop of ``image`` (the source or its ``factor``× upscale)."""
    # A fill box is in source px; fit regions scale with the image.
    region = mode.region(image.size) if mode.box is None else (
        (mode.box[2] - mode.box[0]) * factor, (mode.box[3] - mode.box[1]) * factor)
    return round(region[0]), round(region[1])


def run(image: Image.Image, spec: ThumbnailSpec, ctx: Context) -> list[Output]:
    """``image`` is decoded sRGB RGB/RGBA (optionally reduced per
    :func:`~.thumbnail_plan.decode_hint`).

    Returns, per mode (fit, then each fill aspect) and width (descending), one output per
    format in spec order, then the ``"lqip"`` placeholder output. Widths above the source are
    made from one super-resolution pass (``ctx.models["upscale"]``) when ``spec.max_upscale``
    allows it and an upscaler is given; their outputs record ``meta["upscaled"]``.
    Deterministic: the bytes and order never depend on thread timing.
    """
    background = parse_colour(spec.background)
    auto = spec.quality == "auto"
    floor = spec.ssim_floor if auto and model_for(spec) is not None else None
    formats = sorted(spec.formats, key=_COST_ORDER.__getitem__)
    modes = plan_modes(image, spec)
    upscaler = ctx.models.get("upscale")
    factor = upscale_factor(spec, image, modes) if upscaler is not None and modes else 1
    big: Image.Image | None = None
    upscaled: dict[str, object] | None = None
    if factor > 1:
        assert upscaler is not None
        big = upscaler(image, factor)
        upscaled = {"scale": factor, "model": big.info.get("model_version", "")}
        ctx.progress(0.2)
    smallest_fit: Image.Image | None = None
    # Each task's outputs and their places: (mode index, width index).
    futures: list[tuple[Future[list[Output]], list[tuple[int, int]]]] = []
    with PriorityPool(os.cpu_count() or 1) as pool:
        # Deadlock-free: a chain's encodes wait only on their own mode's preparations, all
        # queued (FIFO) before the chain starts, so each is running or done by then.
        def submit_prepare(flat: Image.Image) -> Future[Prepared]:
            return pool.submit(prepare_item, flat, floor, priority=math.inf)  # gates chains

        prepare = submit_prepare if auto else None
        for m, mode in enumerate(modes):
            region_w = mode.region(image.size)[0]
            made: list[Iterator[Item]] = []
            wide: list[int] = []
            if big is not None:
                wide = [w for w in spec.widths if region_w + 1e-6 < w <= region_w * factor + 1e-6]
                made.append(_mode_items(big, mode, wide, factor=factor, background=background,
                                        upscaled=upscaled, prepare=prepare))  # fmt: skip
            own = [w for w in spec.widths if w <= region_w + 1e-6]
            widths = own if (own or wide) else plan_widths(spec, region_w)
            made.append(_mode_items(image, mode, widths, factor=1, background=background,
                                    upscaled=None, prepare=prepare))  # fmt: skip
            # Places are (mode, width index, descending); chains count widths ascending: they
            # run smallest first, as those searches are cheapest and teach the larger ones.
            ascending = sorted(wide + widths)
            place = {w: (m, len(ascending) - 1 - k) for k, w in enumerate(ascending)}
            region = _region(image, mode, 1)
            chains = [Chain([mode.size_for(region, w) for w in ascending],
                            image.mode == "RGBA", fmt, spec, background, pool)
                      for fmt in formats if auto and fmt != "png"]  # fmt: skip
            futures += [(chain.done, [place[w] for w in ascending]) for chain in chains]
            smallest: Item | None = None
            for item in itertools.chain(*made):
                for chain in chains:
                    chain.add(ascending.index(item.width), item)
                # No chain to wait for (fixed quality, lossless PNG): encode while the next
                # width is resized.
                for fmt in (f for f in formats if not auto or f == "png"):
                    priority = cost(item.image.size, fmt, item.image.mode == "RGBA")
                    futures.append((pool.submit(_fixed, item, fmt, spec, background,
                                                priority=priority),
                                    [place[item.width]]))  # fmt: skip
                if smallest is None or item.width < smallest.width:
                    smallest = item
            if mode.aspect is None and smallest is not None:
                smallest_fit = smallest.image
        keyed: list[tuple[tuple[int, int], Output]] = []
        for n, (future, places) in enumerate(futures, 1):
            keyed += zip(places, future.result(), strict=True)
            ctx.progress((0.2 if big is not None else 0.0) + 0.78 * n / len(futures))
    fmt_rank = {f: i for i, f in enumerate(spec.formats)}
    keyed.sort(key=lambda pair: (pair[0][0], pair[0][1], fmt_rank[pair[1].format]))
    outputs = [out for _key, out in keyed]
    outputs.append(_lqip_output(smallest_fit if smallest_fit is not None else image, background))
    ctx.progress(1.0)
    return outputs


def _fixed(
    item: Item, fmt: str, spec: ThumbnailSpec, background: tuple[int, int, int]
) -> list[Output]:
    return [encode_fixed(item, fmt, spec, background)]


def _lqip_output(image: Image.Image, background: tuple[int, int, int]) -> Output:
    p = make_placeholder(image, background)
    meta = {"blurhash": p.blurhash, "data_uri": p.data_uri, "placeholder": True}
    with Image.open(io.BytesIO(p.webp)) as im:
        size = im.size
    return Output("lqip", p.webp, "webp", size[0], size[1], meta)


def placeholder(image: Image.Image, background: str = "#ffffff") -> Placeholder:
    """BlurHash + inline WebP LQIP for an upload (see :mod:`..imaging.placeholder`).

    Decode with ``draft_to=PLACEHOLDER_DRAFT`` first: then a 12 MP JPEG costs ≈ 1–2 ms here
    (≈ 60–150 ms if given the full-size pixels, all in one box reduction).
    """
    return make_placeholder(image, parse_colour(background))


#: The preview's format: the first of these the spec asks for (fastest encode first; every
#: browser shows JPEG, so a ``<picture>`` of the preview alone still shows everywhere).
PREVIEW_FORMATS = ("jpeg", "webp", "png", "avif")


def preview_spec(spec: ThumbnailSpec) -> ThumbnailSpec | None:
    """The first, fast pass of ``spec``: the same widths (those the photo covers) and modes in
    one format (:data:`PREVIEW_FORMATS`) at its fixed quality, without super-resolution; None
    when ``spec`` is already one fixed-quality format without upscaling. About a tenth of the
    auto run's CPU time for the default three formats (a 12 MP JPEG: 0.4–0.6 s on one core)."""
    fmt = next(f for f in PREVIEW_FORMATS if f in spec.formats)
    if spec.quality == "fixed" and spec.max_upscale == 1 and spec.formats == (fmt,):
        return None
    return dataclasses.replace(spec, quality="fixed", max_upscale=1, formats=(fmt,))


#: ``draft_to`` for the upload-time decode whose only use is :func:`placeholder`.
PLACEHOLDER_DRAFT = (64, 64)


PIPELINE = Pipeline(
    kind="thumbnails",
    version=VERSION,
    device="cpu",
    spec_type=ThumbnailSpec,
    run=run,
    label=gettext_noop("Thumbnails"),
    decode_hint=decode_hint,
    models=lambda spec: [("sr", "x2"), ("sr", "x4")][: {1: 0, 2: 1, 4: 2}[spec.max_upscale]],
    preview=preview_spec,
)
