"""Encoding a thumbnail mode's renditions: fixed quality, or the per-image quality search run
as chains (one per mode and format, smallest width first) scheduled rendition by rendition.

A chain's renditions teach each other: with the quality model, the prediction for rendition
*k* is corrected by the errors measured on renditions 0 … *k* − 2 (:data:`PREDICT_LAG` = 1:
not on its immediate neighbour), so two renditions of one chain may encode at once and the
three formats' chains keep both cores busy to the end (one long chain holding a core while the
other idles was the biggest loss of wall time). With the exact search each rendition starts
from its smaller neighbour's answer, so that chain runs strictly in order. Either way a
rendition starts only after every rendition it learns from has finished: the bytes never
depend on thread timing.

Replayed on the quality model's recorded corpus curves (60 photos × the ladder × 3 formats),
the lag of one costs +0.7 % pixel-weighted encodes and +1.2 % bytes against learning from the
neighbour too (``scripts/train_quality_model.py`` replays the same rule).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image

from gan_imaging.core.imaging import quality_model
from gan_imaging.core.imaging.encode import encode, get_format
from gan_imaging.core.imaging.quality import (
    QUALITY_GRIDS,
    STEP_RATIO,
    Choice,
    SsimReference,
    decoded_luma,
    luma,
    search_quality,
)
from gan_imaging.core.imaging.quality_model import (
    PREDICT_LAG,
    ChainPredictor,
    QualityModel,
    features,
    predicted_search,
)
from gan_imaging.core.pipelines.base import Output
from gan_imaging.core.pipelines.priority_pool import PriorityPool
from gan_imaging.core.pipelines.thumbnail_plan import Mode, output_key
from gan_imaging.core.specs import ThumbnailSpec

# Renditions up to this many pixels get an exact grid search; larger ones may stop one grid
# step above it (see quality.search_quality, thorough=False). Replayed on 24 corpus photos ×
# every width: about a third less encode time than exact searches for ~5 % more bytes.
_THOROUGH_PIXELS = 250_000

#: An auto-quality rendition's SSIM reference and, with a quality model, its features.
Prepared = tuple[SsimReference, np.ndarray | None]


@dataclass
class Item:
    """One rendition's pixels: ``image`` as made (RGB/RGBA), ``flat`` on the background (what
    JPEG encodes); with auto quality, ``prep`` makes the SSIM reference of ``flat``'s luma and
    the quality model's features once for all formats, in the pool while the cascade goes on."""

    mode: Mode
    width: int
    image: Image.Image
    flat: Image.Image
    upscaled: dict[str, object] | None = None
    prep: Future[Prepared] | None = None


def prepare(flat: Image.Image, floor: float | None) -> Prepared:
    """The SSIM reference of ``flat``'s luma and, with a ``floor`` (0–1), the model's features."""
    ref = SsimReference(luma(flat))
    return ref, (features(ref, floor) if floor is not None else None)


#: Relative CPU cost per pixel of an encode + verifying decode (one core, corpus ladders).
_COST_PER_PX = {"avif": 1.5, "webp": 1.0, "jpeg": 0.17, "png": 0.5}
#: WebP compresses an alpha plane losslessly (Pillow's default alpha_quality=100): a 1920 px
#: RGBA packshot took 540 ms against 143 ms without alpha.
_WEBP_ALPHA = 3.5


def cost(size: tuple[int, int], fmt: str, alpha: bool) -> float:
    """The relative cost of encoding a ``size`` px rendition (with ``alpha`` or not) as
    ``fmt``: the pool runs dearer tasks first (longest-processing-time-first), so no large
    encode is left alone at the end."""
    extra = _WEBP_ALPHA if fmt == "webp" and alpha else 1.0
    return size[0] * size[1] * _COST_PER_PX.get(fmt, 1.0) * extra


def model_for(spec: ThumbnailSpec) -> QualityModel | None:
    """The bundled quality model when the spec asks for predictions, else None."""
    return quality_model.bundled() if spec.quality_search == "predict" else None


def _view(im: Image.Image) -> Image.Image:
    """A new Image object over ``im``'s pixels (no copy). Image.save() stores its options on
    the object (``encoderinfo``), so two threads saving one object race; each encode saves its
    own view instead. Encoders only read the shared pixels. (A ``copy()`` costs a memcpy,
    ~1 ms per MP, three times per rendition.)"""
    return im._new(im.im)


def _probe(
    im: Image.Image,
    fmt: str,
    ref: SsimReference,
    background: tuple[int, int, int],
    means: dict[int, float],
    alpha: Image.Image | None,
    q: int,
) -> tuple[bytes, float]:
    """Encode at ``q``; return the bytes and their information-weighted SSIM (the floor's
    metric), noting the plain mean SSIM in ``means``. ``alpha``: ``im``'s alpha plane for a
    WebP, whose alpha is lossless (:func:`~...imaging.quality.decoded_luma`)."""
    data = encode(im, fmt, quality=q, background=background, threads=1)
    mean, weighted = ref.scores(decoded_luma(data, background, alpha))
    means[q] = mean
    return data, weighted


def _meta(item: Item) -> dict[str, object]:
    meta: dict[str, object] = {
        "mode": item.mode.name,
        "aspect": None if item.mode.aspect is None else "{}:{}".format(*item.mode.aspect),
    }
    if item.upscaled:
        meta["upscaled"] = item.upscaled
    return meta


def encode_fixed(
    item: Item, fmt: str, spec: ThumbnailSpec, background: tuple[int, int, int]
) -> Output:
    """``item`` as ``fmt`` at the spec's fixed quality (PNG: lossless)."""
    im = _view(item.image if get_format(fmt).alpha else item.flat)
    meta = _meta(item)
    if fmt == "png":
        data, quality = encode(im, fmt, quality=100, background=background), 100
        meta.update(quality=quality, ssim=1.0)
    else:
        quality = spec.fixed_quality(fmt)
        data = encode(im, fmt, quality=quality, background=background, threads=1)
        meta["quality"] = quality
    return Output(output_key(spec, item.mode, item.width, fmt, quality), data, fmt, im.width,
                  im.height, meta)  # fmt: skip


class Chain:
    """The auto-quality encodes of one mode's renditions (planned ``sizes`` in px, ascending
    width) in ``fmt``, run on ``pool`` as their pixels arrive (:meth:`add`, in any order) and
    their dependencies allow (see the module doc). :attr:`done` resolves to the outputs in
    ascending width, or to the first error."""

    def __init__(self, sizes: list[tuple[int, int]], alpha: bool, fmt: str,
                 spec: ThumbnailSpec, background: tuple[int, int, int],
                 pool: PriorityPool):  # fmt: skip
        self.fmt, self.spec, self.background, self.pool = fmt, spec, background, pool
        self.items: list[Item | None] = [None] * len(sizes)
        model = model_for(spec)
        self.predictor = (ChainPredictor(model, fmt, QUALITY_GRIDS[fmt], STEP_RATIO[fmt])
                          if model is not None and fmt in model.weights else None)
        # Predictions learn from renditions up to k - 1 - lag; exact searches take k - 1's hint.
        self.lag = PREDICT_LAG if self.predictor is not None else 0
        # A rendition's priority is the longest path of encodes from it to the chain's end
        # (its "upward rank"): a cheap rendition that gates a dear one is not left last.
        costs = [cost(size, fmt, alpha) for size in sizes]
        self.rank = [0.0] * len(sizes)
        for k in reversed(range(len(sizes))):
            later = self.rank[k + 1 + self.lag:]  # the renditions that wait on k
            self.rank[k] = costs[k] + (max(later) if later else 0.0)
        self.choices: list[Choice | None] = [None] * len(sizes)
        self.outputs: list[Output | None] = [None] * len(sizes)
        self.started = [False] * len(sizes)
        self.finished = 0  # renditions 0 … finished - 1 are all done
        # Re-entrant: a task that is already done runs its callback inside submit's caller.
        self.lock = threading.RLock()
        self.done: Future[list[Output]] = Future()

        if not sizes:
            self.done.set_result([])

    def add(self, k: int, item: Item) -> None:
        """Rendition ``k``'s pixels (0 = the smallest width) are made."""
        with self.lock:
            self.items[k] = item
            self._launch()

    def _launch(self) -> None:
        """Submit every made rendition whose teachers have all finished (lock held)."""
        for k, item in enumerate(self.items):
            if item is not None and not self.started[k] and k - self.lag <= self.finished:
                self.started[k] = True
                task = self.pool.submit(self._run, k, priority=self.rank[k])
                task.add_done_callback(partial(self._ended, k))

    def _ended(self, k: int, future: Future[Output]) -> None:
        with self.lock:
            if self.done.done():
                return
            if (error := future.exception()) is not None:
                self.done.set_exception(error)
                return
            self.outputs[k] = future.result()
            while self.finished < len(self.items) and self.outputs[self.finished] is not None:
                self.finished += 1
            if self.finished == len(self.items):
                self.done.set_result([o for o in self.outputs if o is not None])
                return
            try:
                self._launch()
            except RuntimeError as exc:  # the pool was shut down after another chain failed
                self.done.set_exception(exc)

    def _run(self, k: int) -> Output:
        item, fmt, spec = self.items[k], self.fmt, self.spec
        assert item is not None and item.prep is not None
        im = _view(item.image if get_format(fmt).alpha else item.flat)
        means: dict[int, float] = {}
        ref, feats = item.prep.result()
        alpha = im.getchannel("A") if fmt == "webp" and im.mode == "RGBA" else None
        probe: Callable[[int], tuple[bytes, float]] = partial(
            _probe, im, fmt, ref, self.background, means, alpha)
        grid, floor, ratio = QUALITY_GRIDS[fmt], spec.ssim_floor, STEP_RATIO[fmt]
        predicted = (None if self.predictor is None or feats is None
                     else self.predictor.predict(feats, index=k))  # fmt: skip
        if predicted is not None and feats is not None and self.predictor is not None:
            choice = predicted_search(probe, grid, floor, predicted, ratio=ratio)
            self.predictor.learn(feats, choice, floor, index=k)
        else:
            hint = None if k == 0 or (prev := self.choices[k - 1]) is None else prev.quality
            choice = search_quality(probe, grid, floor, hint=hint, ratio=ratio,
                                    thorough=im.width * im.height <= _THOROUGH_PIXELS)
        self.choices[k] = choice
        meta = _meta(item)
        meta.update(quality=choice.quality, ssim=round(choice.score, 5),
                    ssim_mean=round(means[choice.quality], 5), probes=choice.probes,
                    floor=floor)  # fmt: skip
        if not choice.met_floor:
            meta["floor_missed"] = True
        return Output(output_key(spec, item.mode, item.width, fmt, None), choice.data, fmt,
                      im.width, im.height, meta)  # fmt: skip
