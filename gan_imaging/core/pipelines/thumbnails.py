"""Thumbnails: a responsive rendition set (widths × fit/fill modes × formats) plus placeholders.

What is made (crops, widths, upscaling, names) is planned in :mod:`.thumbnail_plan`.

Speed: the caller decodes once, reduced by :func:`~.thumbnail_plan.decode_hint` (JPEG DCT
scaling); each mode's widths are made in a cascade from its largest; encodes run in a thread
pool of one worker per core (Pillow releases the GIL while resizing and encoding, numpy while
scoring). Nothing here touches storage.

Quality: with ``quality="auto"`` each rendition gets the lowest quality on the format's grid
(:data:`~gan_imaging.core.imaging.quality.QUALITY_GRIDS`, 40–100 in steps of 4) whose
information-weighted luma SSIM against the uncompressed rendition meets ``spec.ssim_floor``.
The widths of one mode and format are searched in a chain from the smallest up, each seeded
with its smaller neighbour's answer. Bound: at most
:data:`~gan_imaging.core.imaging.quality.MAX_PROBES` = 6 encodes (+ decode + SSIM) per
rendition, 7 only when nothing on the grid reaches the floor; about 2.1 on average on the
corpus. Renditions over 0.25 MP may settle one grid step above the exact answer
(see :func:`~gan_imaging.core.imaging.quality.search_quality`, ``thorough``).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image

from gan_imaging.core.errors import gettext_noop
from gan_imaging.core.imaging import quality_model
from gan_imaging.core.imaging.encode import encode, flatten, get_format
from gan_imaging.core.imaging.placeholder import Placeholder, make_placeholder
from gan_imaging.core.imaging.quality import (
    QUALITY_GRIDS,
    STEP_RATIO,
    SsimReference,
    decoded_luma,
    luma,
    search_quality,
)
from gan_imaging.core.imaging.quality_model import (
    ChainPredictor,
    QualityModel,
    features,
    predicted_search,
)
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.pipelines.thumbnail_plan import (
    Mode,
    decode_hint,
    output_key,
    plan_modes,
    plan_widths,
    upscale_factor,
)
from gan_imaging.core.specs import ThumbnailSpec, parse_colour

VERSION = "thumbnails-3"

__all__ = ["PIPELINE", "Placeholder", "placeholder", "run"]

_RESAMPLE = Image.Resampling.LANCZOS
# Box-reduce by an integer factor first while the image is ≥ 3× the target: several times
# faster than Lanczos all the way, and indistinguishable (SSIM ≥ 0.998 on corpus photos).
_REDUCING_GAP = 3.0
# Renditions up to this many pixels get an exact grid search; larger ones may stop one grid
# step above it (see quality.search_quality, thorough=False). Replayed on 24 corpus photos ×
# every width: about a third less encode time than exact searches for ~5 % more bytes.
_THOROUGH_PIXELS = 250_000


@dataclass
class _Item:
    """One rendition's pixels: ``image`` as made (RGB/RGBA), ``flat`` on the background (what
    JPEG encodes), and the SSIM reference of ``flat``'s luma (auto quality only)."""

    mode: Mode
    width: int
    image: Image.Image
    flat: Image.Image
    ref: SsimReference | None
    upscaled: dict[str, object] | None = None
    #: The quality model's features (predicted quality only), computed once for all formats.
    feats: np.ndarray | None = None


def _probe(
    im: Image.Image,
    fmt: str,
    ref: SsimReference,
    background: tuple[int, int, int],
    means: dict[int, float],
    q: int,
) -> tuple[bytes, float]:
    """Encode at ``q``; return the bytes and their information-weighted SSIM (the floor's
    metric), noting the plain mean SSIM in ``means``."""
    data = encode(im, fmt, quality=q, background=background, threads=1)
    mean, weighted = ref.scores(decoded_luma(data, background))
    means[q] = mean
    return data, weighted


def _encode_chain(
    items: list[_Item], fmt: str, spec: ThumbnailSpec, background: tuple[int, int, int]
) -> list[Output]:
    """Encode ``items`` (one mode, ascending width) as ``fmt``; outputs in the same order."""
    alpha = get_format(fmt).alpha
    outputs: list[Output] = []
    hint: int | None = None
    model = _model(spec)
    chain = (ChainPredictor(model, fmt, QUALITY_GRIDS[fmt], STEP_RATIO[fmt])
             if model is not None and fmt in model.weights else None)
    for item in items:
        # Image.save() stores its options on the Image object (encoderinfo), so two threads
        # saving one object race; each chain encodes its own copy (a memcpy, ~1 ms per MP).
        im = (item.image if alpha else item.flat).copy()
        meta: dict[str, object] = {
            "mode": item.mode.name,
            "aspect": None if item.mode.aspect is None else "{}:{}".format(*item.mode.aspect),
        }
        if item.upscaled:
            meta["upscaled"] = item.upscaled
        if fmt == "png":  # lossless: nothing to search
            data, quality = encode(im, fmt, quality=100, background=background), 100
            meta.update(quality=quality, ssim=1.0)
            key = output_key(spec, item.mode, item.width, fmt, quality)
        elif spec.quality == "fixed" or item.ref is None:
            quality = spec.fixed_quality(fmt)
            data = encode(im, fmt, quality=quality, background=background, threads=1)
            meta["quality"] = quality
            key = output_key(spec, item.mode, item.width, fmt, quality)
        else:
            means: dict[int, float] = {}
            probe = partial(_probe, im, fmt, item.ref, background, means)
            feats = item.feats
            predicted = None if chain is None or feats is None else chain.predict(feats)
            if predicted is not None and feats is not None and chain is not None:
                choice = predicted_search(probe, QUALITY_GRIDS[fmt], spec.ssim_floor,
                                          predicted, ratio=STEP_RATIO[fmt])
                chain.learn(feats, choice, spec.ssim_floor)
            else:
                choice = search_quality(
                    probe, QUALITY_GRIDS[fmt], spec.ssim_floor, hint=hint,
                    ratio=STEP_RATIO[fmt], thorough=im.width * im.height <= _THOROUGH_PIXELS,
                )
            hint = choice.quality
            data = choice.data
            meta.update(quality=choice.quality, ssim=round(choice.score, 5),
                        ssim_mean=round(means[choice.quality], 5), probes=choice.probes,
                        floor=spec.ssim_floor)  # fmt: skip
            if not choice.met_floor:
                meta["floor_missed"] = True
            key = output_key(spec, item.mode, item.width, fmt, None)
        outputs.append(Output(key, data, fmt, im.width, im.height, meta))
    return outputs


def _model(spec: ThumbnailSpec) -> QualityModel | None:
    """The bundled quality model when the spec asks for predictions, else None."""
    return quality_model.bundled() if spec.quality_search == "predict" else None


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
    auto: bool,
    background: tuple[int, int, int],
    upscaled: dict[str, object] | None,
    floor: float | None = None,
) -> Iterator[_Item]:
    """Resize ``image`` (the source, or its ``factor``× upscale) to each of ``widths``
    (descending) in a cascade: after the first (cropping) resize, each shrinks the last.
    Yields each item as soon as it is made, so its encodes can start while the next
    width is resized. With a ``floor`` the quality model's features come along."""
    current, box = image, _scaled_box(mode.box, factor)
    # A fill box is in source px; fit regions scale with the image.
    region = mode.region(image.size) if mode.box is None else (
        (mode.box[2] - mode.box[0]) * factor, (mode.box[3] - mode.box[1]) * factor)
    for width in widths:
        current = _resize(current, mode.size_for((round(region[0]), round(region[1])), width),
                          box)  # fmt: skip
        box = None
        flat = flatten(current, background) if current.mode == "RGBA" else current
        ref = SsimReference(luma(flat)) if auto else None
        feats = features(ref, floor) if ref is not None and floor is not None else None
        yield _Item(mode, width, current, flat, ref, upscaled, feats)


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
    floor = spec.ssim_floor if auto and _model(spec) is not None else None
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
    # Each task returns [(mode index, width index, format index), Output)...].
    futures: list[Future[list[tuple[tuple[int, int, int], Output]]]] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for m, mode in enumerate(modes):
            region_w = mode.region(image.size)[0]
            made: list[Iterator[_Item]] = []
            wide: list[int] = []
            if big is not None:
                wide = [w for w in spec.widths if region_w + 1e-6 < w <= region_w * factor + 1e-6]
                made.append(_mode_items(big, mode, wide, factor=factor, auto=auto,
                                        background=background, upscaled=upscaled,
                                        floor=floor))  # fmt: skip
            own = [w for w in spec.widths if w <= region_w + 1e-6]
            widths = own if (own or wide) else plan_widths(spec, region_w)
            made.append(_mode_items(image, mode, widths, factor=1, auto=auto,
                                    background=background, upscaled=None,
                                    floor=floor))  # fmt: skip
            items: list[_Item] = []
            for item in itertools.chain(*made):
                if not auto:  # no chain to wait for: encode while the next width is resized
                    for fmt in formats:
                        futures.append(pool.submit(_task, [item], [len(items)], m, fmt, spec,
                                                   background))  # fmt: skip
                items.append(item)
            if mode.aspect is None and items:
                smallest_fit = items[-1].image
            if auto:
                # Chains run smallest first: those searches are cheapest and seed larger ones
                # (the exact search's hint, or the predictor's correction).
                order = list(reversed(range(len(items))))
                for fmt in formats:
                    futures.append(pool.submit(_task, [items[k] for k in order], order, m, fmt,
                                               spec, background))  # fmt: skip
        keyed: list[tuple[tuple[int, int, int], Output]] = []
        for n, future in enumerate(futures, 1):
            keyed += future.result()
            ctx.progress((0.2 if big is not None else 0.0) + 0.78 * n / len(futures))
    fmt_rank = {f: i for i, f in enumerate(spec.formats)}
    keyed.sort(key=lambda pair: (pair[0][0], pair[0][1], fmt_rank[pair[1].format]))
    outputs = [out for _key, out in keyed]
    outputs.append(_lqip_output(smallest_fit if smallest_fit is not None else image, background))
    ctx.progress(1.0)
    return outputs


def _task(
    items: list[_Item],
    indexes: list[int],
    mode_index: int,
    fmt: str,
    spec: ThumbnailSpec,
    background: tuple[int, int, int],
) -> list[tuple[tuple[int, int, int], Output]]:
    outs = _encode_chain(items, fmt, spec, background)
    return [((mode_index, k, 0), out) for k, out in zip(indexes, outs, strict=True)]


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
