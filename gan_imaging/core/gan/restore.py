"""Restoration inference: remove JPEG blocking, ringing and noise from a Pillow image (x1).

- **Model files.** safetensors (float16) + a JSON sidecar of format :data:`FORMAT` (arch
  kwargs, model version = a hash of the weights, metrics, provenance); loaded without pickle,
  once per process and path (:func:`get_model`).
- **Tiles on the JPEG grid.** The image is edge-padded to a multiple of 8 px and cut into
  ``tile`` px tiles, each read with ``context`` px around it (the net's receptive radius
  rounded up to 8 by default). Tile origins and contexts are multiples of 8, so the net sees
  the 8 x 8 block grid where the untiled image has it and tiled == untiled up to float
  rounding: no seams.
- **Alpha.** Transparency is kept exactly. Colour is restored premultiplied by alpha (the
  colour hidden under clear pixels never bleeds into edges), then un-premultiplied with
  ``colour <= alpha``; tiles that are clear throughout (context included) are skipped.
- **Conditioning.** A conditioned net (``net.cond == 2``) is told the damage the photo shows:
  :func:`conditioning` of its noise sigma and effective JPEG quality, as the restoration step's
  assessment reads them (passed in, or assessed here from the pixels), folded into the weights
  of a blind net for the photo (:meth:`RestoreNet.baked`): every tile, same numbers, same speed.
- **Devices and precision.** ``precision="auto"``: bfloat16 autocast on CUDA and on CPUs with
  native bf16 instructions (AVX-512 BF16 or AMX; 1.8x faster on one core of the EPYC VM the
  benchmark ran on, outputs within one level of fp32), fp32 on other CPUs; ``"fp32"`` and
  ``"bf16"`` force one. Out of GPU memory the image is restored on the CPU. Deterministic on a
  given machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from gan_imaging.core.bundled import restore_path
from gan_imaging.core.errors import ModelError, SpecError, gettext_noop
from gan_imaging.core.gan.checkpoint import model_version, round_to_half
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.inference import is_oom
from gan_imaging.core.gan.nets.restore import RestoreNet
from gan_imaging.core.gan.small_models import (
    LOAD_ERRORS,
    PathCache,
    load_small,
    save_small,
    sidecar_of,
)
from gan_imaging.core.imaging.artefacts import assess

FORMAT = "gan_imaging.restore/1"
GRID = 8  # JPEG block side: tiles and context are multiples of it
COND = 2  # conditioning numbers of a conditioned net: noise, JPEG strength


def conditioning(noise: float, quality: int | None) -> tuple[float, float]:
    """A conditioned net's input for a photo whose noise reads ``noise`` (sigma, 0-255 scale)
    and whose effective JPEG quality is ``quality`` (1-100; None: not JPEG-compressed):
    ``(sigma / 20, capped at 2.5; (100 - quality) / 100, 0 when None)``."""
    strength = 0.0 if quality is None else (100 - min(max(int(quality), 1), 100)) / 100
    return min(max(float(noise), 0.0), 50.0) / 20.0, strength


@dataclass
class RestoreModel:
    """A loaded restoration net (eval mode, CPU unless moved) and its sidecar data."""

    net: RestoreNet
    name: str = "restore"
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        """``restore-<name>-<8 hex>``: a hash of the weights, stable across save/load."""
        return model_version("restore", self.name, self.net)


def save_model(model: RestoreModel, prefix: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<prefix>.safetensors`` (float16) and ``<prefix>.json``; returns both paths."""
    round_to_half(model.net)
    net = model.net
    meta = {"model_version": model.model_version, "arch": "restore", "name": model.name,
            "arch_kwargs": {"features": net.features, "convs": net.convs, "factor": net.factor,
                            **({"cond": net.cond} if net.cond else {})},
            "metrics": model.metrics, "info": model.info}  # fmt: skip
    return save_small(net, prefix, meta, FORMAT)


def load_model(path: str | os.PathLike[str]) -> RestoreModel:
    """Load a restoration model (its .safetensors, .json or their prefix) on the CPU.
    Raises :class:`ModelError` on missing, damaged or altered files."""
    sidecar = sidecar_of(path)
    try:
        net, meta = load_small(sidecar, FORMAT, lambda meta: RestoreNet(
            **{k: int(v) for k, v in meta["arch_kwargs"].items()}))
    except LOAD_ERRORS as exc:
        raise ModelError(
            gettext_noop(
                "The restoration model %(path)s is missing or damaged (%(error)s); reinstall "
                "gan_imaging or run scripts/train_restore.py."
            ),
            params={"path": str(sidecar), "error": str(exc)},
        ) from None
    assert isinstance(net, RestoreNet)
    model = RestoreModel(net, meta.get("name", "restore"), meta.get("metrics", {}),
                         meta.get("info", {}))  # fmt: skip
    if meta.get("model_version") and model.model_version != meta["model_version"]:
        raise ModelError(
            gettext_noop(
                "The restoration weights %(path)s do not match their recorded version; the "
                "file was altered. Reinstall gan_imaging or run scripts/train_restore.py."
            ),
            params={"path": str(sidecar)},
        )
    return model


_MODELS = PathCache(load_model)


def get_model(path: str | os.PathLike[str] | None = None) -> RestoreModel:
    """:func:`load_model` once per process and path (default: the bundled PSNR model)."""
    return _MODELS.get(path if path is not None else restore_path())


def _up(n: int, m: int) -> int:
    return -(-n // m) * m


@torch.no_grad()
def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 convolutions natively (CUDA; a CPU with AVX-512
    BF16 or AMX), where bf16 autocast is faster than fp32 rather than emulated."""
    if device.type == "cuda":
        return True
    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


PRECISIONS = ("auto", "fp32", "bf16")


def _run(net: RestoreNet, src: np.ndarray, tile: int, context: int, device: torch.device,
         skip: np.ndarray | None, bf16: bool) -> np.ndarray:
    """Restore float32 (H, W, 3) in [0, 255] (H, W multiples of :data:`GRID`) -> uint8
    (H, W, 3) with a blind (or baked) net. ``skip``: a bool (H, W) mask; tiles whose window
    is all True stay 0. ``bf16``: run the convolutions under bfloat16 autocast (the residual
    sum stays float32)."""
    h, w = src.shape[:2]
    pad = ((context, context), (context, context), (0, 0))
    padded = np.pad(src, pad, mode="edge")
    out = np.zeros((h, w, 3), dtype=np.uint8)
    autocast = (torch.autocast(device_type=device.type, dtype=torch.bfloat16)
                if bf16 else contextlib.nullcontext())  # fmt: skip
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            if skip is not None and bool(
                skip[max(0, y0 - context) : y1 + context, max(0, x0 - context) : x1 + context]
                .all()
            ):
                continue
            win = padded[y0 : y1 + 2 * context, x0 : x1 + 2 * context]
            x = torch.from_numpy(np.ascontiguousarray(win)).to(device)
            x = (x.permute(2, 0, 1)[None] / 127.5 - 1.0).contiguous(
                memory_format=torch.channels_last)
            with autocast:
                y = net(x)
            y = ((y.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
            y = y[0, :, context : context + y1 - y0, context : context + x1 - x0]
            out[y0:y1, x0:x1] = y.permute(1, 2, 0).cpu().numpy()
    return out


def restore(
    image: Image.Image,
    model: RestoreModel | str | os.PathLike[str] | None = None,
    *,
    device: str = "cpu",
    tile: int = 512,
    context: int | None = None,
    noise: float | None = None,
    quality: int | None = None,
    precision: str = "auto",
) -> Image.Image:
    """``image`` with JPEG artefacts and noise removed, same size and mode family.

    model: a RestoreModel or a model path (default: the bundled PSNR model). device:
    ``"cpu"``, ``"cuda"``, ``"auto"``... tile: tile side in px (a multiple of 8, >= 16; each
    tile also reads ``context`` px around it, so larger tiles waste less).
    context: px read around each tile (a multiple of 8; default the net's receptive radius
    rounded up, which makes tiling exact). noise / quality: the photo's noise sigma (0-255
    scale) and effective JPEG quality (1-100, None: not compressed) as the restoration step
    assessed them, for a conditioned net; when ``noise`` is None they are assessed here from
    the pixels (the file's tables are not seen). precision: ``"auto"`` (bf16 where the device
    has it natively, see :func:`native_bf16`), ``"fp32"`` or ``"bf16"``. Returns ``"RGBA"``
    for inputs with transparency (alpha unchanged), ``"L"`` for grey inputs, else ``"RGB"``.
    Out of GPU memory it runs on the CPU.
    """
    if tile < 16 or tile % GRID or (context is not None and (context < 0 or context % GRID)):
        raise SpecError(gettext_noop(
            "Restoration tiles must be >= 16 px and tiles and context multiples of 8 px."))
    if precision not in PRECISIONS:
        raise SpecError(gettext_noop("Restoration precision must be auto, fp32 or bf16."))
    m = model if isinstance(model, RestoreModel) else get_model(model)
    ctx = _up(m.net.margin, GRID) if context is None else context
    dev = resolve_device(device)
    net = m.net
    if net.cond:  # told the damage: the FiLM folded into a blind net's weights
        if noise is None:
            a = assess(image)
            noise, quality = a.noise, a.quality
        net = net.baked(torch.tensor(conditioning(noise, quality), dtype=torch.float32))
    # Channels-last (NHWC) convolutions run ~1.4x faster on one CPU core for these widths.
    try:
        return _restore(_nhwc(net, dev), image, tile, ctx, dev, _use_bf16(dev, precision))
    except Exception as exc:
        if dev.type == "cpu" or not is_oom(exc):
            raise
        torch.cuda.empty_cache()
        cpu = torch.device("cpu")
        return _restore(_nhwc(net, cpu), image, tile, ctx, cpu, _use_bf16(cpu, precision))


def _use_bf16(device: torch.device, precision: str) -> bool:
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def _nhwc(net: RestoreNet, device: torch.device) -> RestoreNet:
    """``net`` moved to ``device`` with channels-last weights (in place, returned)."""
    net.to(device)
    for p in net.parameters():
        if p.dim() == 4:
            p.data = p.data.contiguous(memory_format=torch.channels_last)
    return net


def _restore(net: RestoreNet, image: Image.Image, tile: int, context: int,
             device: torch.device, bf16: bool) -> Image.Image:
    grey = image.mode in ("L", "LA", "I", "I;16", "F", "1")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    rgba = np.asarray(image.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32)
    h, w = rgba.shape[:2]
    ph, pw = _up(h, GRID) - h, _up(w, GRID) - w
    rgba = np.pad(rgba, ((0, ph), (0, pw), (0, 0)), mode="edge")
    if not has_alpha or rgba[..., 3].min() == 255:
        out = _run(net, np.ascontiguousarray(rgba[..., :3]), tile, context, device, None,
                   bf16)[:h, :w]
        rgb = Image.fromarray(out, "RGB")
        if has_alpha:
            rgb.putalpha(255)
        return rgb.convert("L") if grey and not has_alpha else rgb
    alpha = rgba[..., 3:4]
    premult = rgba[..., :3] * (alpha / 255.0)
    colour = _run(net, premult, tile, context, device, alpha[..., 0] == 0, bf16)
    colour = colour.astype(np.float32)
    a = alpha.astype(np.float32)
    c = np.minimum(colour, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        straight = np.where(a > 0, c * 255.0 / a, 0.0)
    result = np.concatenate([straight.round().clip(0, 255), a], axis=2).astype(np.uint8)
    return Image.fromarray(result[:h, :w], "RGBA")
