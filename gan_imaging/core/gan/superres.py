"""Super-resolution inference: upscale a Pillow image x2 or x4 with an ``sr`` model.

- **Tiles without seams.** The low-resolution image is edge-padded once and cut into tiles of
  ``tile`` px, each read with ``overlap`` px of context per side. With the default overlap (the
  net's receptive radius, ``generator.margin``) every output pixel sees exactly the input it
  would see untiled, so tiled == untiled up to float rounding and no seam can appear; a smaller
  overlap trades exactness for speed.
- **Bounded memory.** Tiles run ``batch`` at a time and are written straight into the uint8
  output, so peak memory is the output plus one batch (a 4096 x 4096 RGBA output: 64 MiB).
- **Alpha.** Colour is upscaled premultiplied by alpha, so the colour hidden under transparent
  pixels never bleeds into edges (no black or white fringes); alpha itself goes through the same
  net as a grey image (sharp, consistent with the colour edges), then colour is un-premultiplied
  with ``colour <= alpha`` enforced. Tiles that are entirely transparent or opaque skip the
  alpha pass.
- **Deterministic.** No randomness; fp32 on the CPU, bfloat16 autocast on CUDA.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator

import numpy as np
import torch
from PIL import Image

from gan_imaging.core.bundled import sr_path as bundled_sr_path  # re-exported
from gan_imaging.core.errors import ModelError, SpecError, gettext_noop
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.inference import cpu_copy, get_model, run_with_oom_fallback
from gan_imaging.core.gan.nets.sr import SCALES, SRGenerator

ModelRef = Checkpoint | str | os.PathLike[str]


def is_held_out(name: str, fraction: float = 0.2) -> bool:
    """Deterministic train / evaluation split of a photo folder by file name.

    True for about ``fraction`` (0-1) of names: those whose sha256 (of the UTF-8 name, e.g.
    ``"magento-luma/lt01.jpg"``) falls in the first ``fraction`` of the hash space. Training
    uses the others; benchmarks use only held-out names.
    """
    h = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return h < fraction * 2**32


def _windows(size: int, tile: int, context: int) -> Iterator[tuple[int, int, int]]:
    """(keep_start, keep_end, window_start) along one axis of the padded image.

    The window ``[window_start, window_start + min(tile, size) + 2 * context)`` of the image
    padded by ``context`` covers the kept range plus ``context`` on both sides; windows at the
    end are shifted inwards so all have the same length (they batch together).
    """
    span = min(tile, size) + 2 * context
    for start in range(0, size, tile):
        end = min(start + tile, size)
        yield start, end, min(start, size + 2 * context - span)


def _net_input(arr: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8-valued float (N, H, W, C) in [0, 255] -> (N, C, H, W) in [-1, 1]."""
    return torch.from_numpy(arr).to(device).permute(0, 3, 1, 2) / 127.5 - 1.0


@torch.no_grad()
def _run_tiles(
    G: SRGenerator,
    src: np.ndarray,
    out: np.ndarray,
    tile: int,
    context: int,
    batch: int,
    device: torch.device,
    *,
    skip: np.ndarray | None = None,
    skip_values: tuple[int, ...] = (),
) -> None:
    """Upscale ``src`` float32 (H, W, 3) in [0, 255] into ``out`` uint8 (sH, sW, C).

    C is 3, or 1 to store the mean of the three output channels (alpha run as grey).
    ``skip`` (H, W) uint8 / ``skip_values``: tiles whose whole input window (context
    included) of ``skip`` holds one value from ``skip_values`` are left as ``out`` has them.
    """
    s = G.scale
    h, w = src.shape[:2]
    pad = ((context, context), (context, context))
    padded = np.pad(src, (*pad, (0, 0)), mode="edge")
    mask = np.pad(skip, pad, mode="edge") if skip is not None else None
    th, tw = min(tile, h) + 2 * context, min(tile, w) + 2 * context
    jobs = []
    for ys, ye, wy in _windows(h, tile, context):
        for xs, xe, wx in _windows(w, tile, context):
            if mask is not None:
                win = mask[wy : wy + th, wx : wx + tw]
                lo = int(win.min())
                if lo in skip_values and lo == int(win.max()):
                    continue
            jobs.append((ys, ye, wy, xs, xe, wx))
    autocast = (
        torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        if device.type == "cuda"
        else contextlib.nullcontext()
    )
    for i in range(0, len(jobs), batch):
        part = jobs[i : i + batch]
        x = np.stack([padded[wy : wy + th, wx : wx + tw] for _, _, wy, _, _, wx in part])
        with autocast:
            y = G(_net_input(x, device))
        y = (y.float().clamp(-1, 1) + 1) * 127.5
        if out.shape[2] == 1:
            y = y.mean(dim=1, keepdim=True)
        y = y.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        for k, (ys, ye, wy, xs, xe, wx) in enumerate(part):
            oy, ox = (ys - wy + context) * s, (xs - wx + context) * s
            out[ys * s : ye * s, xs * s : xe * s] = y[
                k, oy : oy + (ye - ys) * s, ox : ox + (xe - xs) * s
            ]


def _resolve(model: ModelRef | None, scale: int, device: str | torch.device) -> Checkpoint:
    if model is None:
        model = bundled_sr_path(scale)
    ckpt = model if isinstance(model, Checkpoint) else get_model(model, device)
    G = ckpt.generator
    if not isinstance(G, SRGenerator):
        raise ModelError(
            gettext_noop("Model %(version)s is not an upscaler."),
            params={"version": ckpt.model_version},
        )
    if G.scale != scale:
        raise SpecError(
            gettext_noop("Model %(version)s upscales x%(model)s, not x%(scale)s."),
            params={"version": ckpt.model_version, "model": G.scale, "scale": scale},
        )
    return ckpt


def upscale(
    image: Image.Image,
    model: ModelRef | None = None,
    *,
    scale: int,
    device: str = "cpu",
    tile: int = 128,
    overlap: int | None = None,
    batch: int = 4,
) -> Image.Image:
    """``image`` upscaled ``scale`` times (2 or 4) by ``model`` (default: the bundled PSNR one).

    model: a Checkpoint, or a checkpoint path (loaded once per process and device).
    tile: tile side in input pixels (>= 8). overlap: context per tile side in input pixels
    (default: the net's receptive radius, which makes tiling exact). batch: tiles per forward.
    Returns ``"RGBA"`` for inputs with transparency, ``"L"`` for grey inputs, else ``"RGB"``;
    the size is exactly ``(width * scale, height * scale)``. Out of GPU memory, the tile
    batch is halved down to 1, then the CPU is used, then :class:`OutOfMemoryError` is raised
    (the result does not depend on the batch).
    """
    if scale not in SCALES:
        raise SpecError(
            gettext_noop("Upscaling works x2 or x4, not x%(scale)s."), params={"scale": scale}
        )
    if tile < 8 or batch < 1 or (overlap is not None and overlap < 0):
        raise SpecError(gettext_noop("Tiles must be >= 8 px, batches >= 1, overlap >= 0."))
    ckpt = _resolve(model, scale, device)
    G = ckpt.generator.eval()
    assert isinstance(G, SRGenerator)  # checked by _resolve
    context = G.margin if overlap is None else overlap
    on_gpu = next(G.parameters()).device.type != "cpu"

    return run_with_oom_fallback(
        lambda size: _upscale(G, image, tile, context, size),
        batch,
        cpu_fallback=(
            (lambda size: _upscale(cpu_copy(ckpt), image, tile, context, size)) if on_gpu else None
        ),
        what=f"upscaling a {image.width}x{image.height} image x{scale}",
    )


def _upscale(G: torch.nn.Module, image: Image.Image, tile: int, context: int, batch: int
             ) -> Image.Image:
    """:func:`upscale` with a resolved net (an :class:`SRGenerator`), its context (px) and a
    tile batch size."""
    assert isinstance(G, SRGenerator)
    scale = G.scale
    dev = next(G.parameters()).device
    grey = image.mode in ("L", "LA", "I", "I;16", "F", "1")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    rgba = np.asarray(image.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32)
    h, w = rgba.shape[:2]
    out_size = (h * scale, w * scale)
    if not has_alpha or rgba[..., 3].min() == 255:
        out = np.empty((*out_size, 3), dtype=np.uint8)
        _run_tiles(G, np.ascontiguousarray(rgba[..., :3]), out, tile, context, batch, dev)
        rgb = Image.fromarray(out, "RGB")
        if has_alpha:
            rgb.putalpha(255)
        return rgb.convert("L") if grey and not has_alpha else rgb
    alpha = rgba[..., 3]
    alpha8 = alpha.astype(np.uint8)
    premult = rgba[..., :3] * (alpha[..., None] / 255.0)
    del rgba
    colour = np.zeros((*out_size, 3), dtype=np.uint8)
    _run_tiles(G, premult, colour, tile, context, batch, dev, skip=alpha8, skip_values=(0,))
    del premult
    # Tiles that are all clear or all opaque (context included) keep the nearest-neighbour
    # alpha, which is then exact; the others go through the net.
    a_out = np.repeat(np.repeat(alpha8, scale, 0), scale, 1)[..., None]
    alpha3 = np.repeat(alpha[..., None], 3, 2)
    _run_tiles(G, alpha3, a_out, tile, context, batch, dev, skip=alpha8, skip_values=(0, 255))
    # Un-premultiply row band by row band to keep float temporaries small.
    result = np.empty((*out_size, 4), dtype=np.uint8)
    band = 256
    for y0 in range(0, out_size[0], band):
        a = a_out[y0 : y0 + band].astype(np.float32)
        c = np.minimum(colour[y0 : y0 + band].astype(np.float32), a)
        with np.errstate(divide="ignore", invalid="ignore"):
            straight = np.where(a > 0, c * 255.0 / a, 0.0)
        result[y0 : y0 + band, :, :3] = straight.round().clip(0, 255).astype(np.uint8)
        result[y0 : y0 + band, :, 3] = a_out[y0 : y0 + band, :, 0]
    return Image.fromarray(result, "RGBA")
