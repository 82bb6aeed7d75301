"""Sampling from trained generators in a worker process.

- Models load lazily, once per process, from a small cache keyed by (checkpoint path, device).
- Sampling is batched; latents are drawn on the CPU from the seed, so an image depends only on
  (model, seed, index), never on the batch size, the chunking or the device.
- On CUDA out-of-memory the work is retried with half the batch (or chunk), then on the CPU,
  and finally :class:`OutOfMemoryError` is raised. The model call is injectable
  (:func:`run_with_oom_fallback` takes any ``fn(batch)``) so tests can simulate an OOM.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from gan_imaging.core.errors import ModelError, OutOfMemoryError, SpecError, gettext_noop
from gan_imaging.core.gan import checkpoint as ckpt_io
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.nets import LATENT_SPATIAL, LATENT_VECTOR
from gan_imaging.core.gan.spatial import DEFAULT_CHUNK, generate_texture

T = TypeVar("T")
ModelRef = Checkpoint | str | os.PathLike[str]

_CACHE: dict[tuple[str, str], Checkpoint] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 8  # generators are small; the bound only guards against unbounded growth


def get_model(path: str | os.PathLike[str], device: str | torch.device = "auto") -> Checkpoint:
    """Load an inference checkpoint once per process and device; later calls hit the cache."""
    dev = resolve_device(device)
    key = (str(Path(path).resolve()), str(dev))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        ckpt = ckpt_io.load(path, device=dev, inference_only=True)
        ckpt.generator.requires_grad_(False)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = ckpt
        return ckpt


def clear_cache() -> None:
    """Forget every loaded model (tests; freeing GPU memory)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def is_oom(exc: BaseException) -> bool:
    """True for CUDA (or CPU allocator) out-of-memory errors."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def run_with_oom_fallback(
    fn: Callable[[int], T],
    batch: int,
    *,
    min_batch: int = 1,
    cpu_fallback: Callable[[int], T] | None = None,
    what: str = "generating images",
) -> T:
    """Call ``fn(batch)``; on out-of-memory retry with half the batch down to ``min_batch``,
    then ``cpu_fallback(batch)`` once (if given), then raise :class:`OutOfMemoryError`.

    ``fn`` must produce the same result for any batch size (it is only a memory knob). Errors
    other than out-of-memory propagate unchanged.
    """
    size = batch
    while size >= min_batch:
        try:
            return fn(size)
        except Exception as exc:
            if not is_oom(exc):
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            size //= 2
    if cpu_fallback is not None:
        try:
            return cpu_fallback(batch)
        except Exception as exc:
            if not is_oom(exc):
                raise
    raise OutOfMemoryError(
        gettext_noop(
            "Not enough memory for %(what)s, even with batch %(batch)s and on the CPU. "
            "Request a smaller output or run the job on a worker with more memory."
        ) if cpu_fallback is not None else gettext_noop(
            "Not enough memory for %(what)s, even with batch %(batch)s. "
            "Request a smaller output or run the job on a worker with more memory."
        ),
        params={"what": what, "batch": min_batch},
    )


def _resolve(model: ModelRef, device: str | torch.device) -> Checkpoint:
    return model if isinstance(model, Checkpoint) else get_model(model, device)


def cpu_copy(ckpt: Checkpoint) -> torch.nn.Module:
    """A CPU copy of ``ckpt``'s generator (the out-of-memory fallback runs on it)."""
    return copy.deepcopy(ckpt.generator).to("cpu")


def latents(G: Any, n: int, seed: int) -> torch.Tensor:
    """The (n, z_dim) float32 CPU latents sample_images draws for ``seed`` (before truncation)."""
    return torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(int(seed)))


@torch.no_grad()
def sample_images(
    model: ModelRef, n: int, *, seed: int = 0, batch_size: int = 64, device: str = "auto",
    truncation: float = 1.0,
) -> torch.Tensor:
    """``n`` images from a vector-latent GAN: float32 (n, C, H, W) in [-1, 1] on the CPU.

    Image ``i`` depends only on (model, seed, truncation, i). OOM falls back as in
    run_with_oom_fallback. truncation: in (0, 1], 1 = off. The truncation trick (BigGAN, with
    StyleGAN's linear psi): the latent's continuous entries are scaled by it towards their
    mean, trading variety for typical, cleaner samples. A generator with a categorical code
    keeps its code entries, so each image's code, and the spread over codes, is unchanged.
    """
    if not 0.0 < truncation <= 1.0:
        raise SpecError(
            gettext_noop("truncation must be in (0, 1], not %(truncation)s."),
            params={"truncation": repr(truncation)},
        )
    ckpt = _resolve(model, device)
    G: Any = ckpt.generator  # a registry-built net: z_dim, latent_kind are its attributes
    if G.latent_kind != LATENT_VECTOR:
        raise ModelError(
            gettext_noop("Model %(version)s makes textures; use sample_texture()."),
            params={"version": ckpt.model_version},
        )
    if n < 0 or batch_size < 1:
        raise SpecError(
            gettext_noop("The number of images must be >= 0 and the batch size >= 1.")
        )
    z = latents(G, n, seed)
    z[:, getattr(G, "n_codes", 0) :] *= truncation

    def run(gen: torch.nn.Module, size: int) -> torch.Tensor:
        dev = next(gen.parameters()).device
        parts = [gen(z[i : i + size].to(dev)).float().cpu() for i in range(0, n, size)]
        return torch.cat(parts) if parts else torch.empty(0)

    on_gpu = next(G.parameters()).device.type != "cpu"
    return run_with_oom_fallback(
        lambda size: run(G, size),
        batch_size,
        cpu_fallback=(lambda size: run(cpu_copy(ckpt), size)) if on_gpu else None,
        what=f"sampling {n} images",
    )


def sample_texture(
    model: ModelRef,
    width: int,
    height: int,
    *,
    seed: int = 0,
    chunk: int = DEFAULT_CHUNK,
    device: str = "auto",
) -> torch.Tensor:
    """A ``width`` x ``height`` texture: float32 (C, height, width) in [-1, 1] on the CPU.

    Any size from 1 to 16384 pixels per side; no tiling (see :mod:`.spatial`). On OOM the
    chunk side is halved (down to 64 px), then the CPU is used.
    """
    ckpt = _resolve(model, device)
    G = ckpt.generator
    if G.latent_kind != LATENT_SPATIAL:
        raise ModelError(
            gettext_noop("Model %(version)s is not a texture model; use sample_images()."),
            params={"version": ckpt.model_version},
        )
    on_gpu = next(G.parameters()).device.type != "cpu"
    return run_with_oom_fallback(
        lambda size: generate_texture(G, width, height, seed=seed, chunk=size),
        chunk,
        min_batch=64,
        cpu_fallback=(
            (lambda size: generate_texture(cpu_copy(ckpt), width, height, seed=seed, chunk=size))
            if on_gpu
            else None
        ),
        what=f"a {width}x{height} texture",
    )


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float [-1, 1] (C, H, W) or (N, C, H, W) -> uint8 (H, W, C) or (N, H, W, C), for Pillow."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).numpy()
