"""A learned colour/light harmoniser for a product composited into a scene.

The net never redraws the product. It looks at the whole composite at :data:`SIZE` px (the
product, its mask and the scene around it) and predicts one global colour transform for the
product's pixels: a per-channel gamma, then a 3x3 colour matrix plus an offset (15 numbers,
identity at initialisation). The transform is applied at full resolution, so the cost does
not grow with the scene (a few ms for the net plus one pass over the product's pixels).

Trained adversarially by :mod:`.harmonise_train` on composites made from real product
photos: the product of a real photo is re-coloured and re-lit, the net restores it (a
reconstruction loss), and a patch discriminator that compares restored composites with real
photos adds a GAN loss. Checkpoints are safetensors + a JSON sidecar (format
:data:`FORMAT`), loaded without pickle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from gan_imaging.core.errors import ModelError, gettext_noop
from gan_imaging.core.gan.checkpoint import model_version, round_to_half
from gan_imaging.core.gan.small_models import (
    LOAD_ERRORS,
    PathCache,
    load_small,
    save_small,
    sidecar_of,
)

FORMAT = "gan_imaging.harmoniser/1"
#: Side (px) of the square the net sees; composites are resized (not cropped) to it.
SIZE = 64
N_PARAMS = 15
#: The bundled harmoniser (``scripts/train_harmoniser.py`` writes it).
BUNDLED_HARMONISER = Path(__file__).resolve().parent.parent / "weights" / "harmoniser.safetensors"
_LUMA = (0.299, 0.587, 0.114)


def _stats(rgb: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per channel of (B, 3, H, W) over the region weighted by (B, 1, H, W): mean, std, and
    the brightest and darkest value (white and black points) -> (B, 12)."""
    n = w.sum(dim=(2, 3)).clamp_min(1e-3)
    mean = (rgb * w).sum(dim=(2, 3)) / n
    var = ((rgb - mean[..., None, None]) ** 2 * w).sum(dim=(2, 3)) / n
    inside = w > 0.5
    hi = torch.where(inside, rgb, torch.zeros_like(rgb)).amax(dim=(2, 3))
    lo = torch.where(inside, rgb, torch.ones_like(rgb)).amin(dim=(2, 3))
    return torch.cat([mean, var.clamp_min(1e-6).sqrt(), hi, lo], dim=1)


class HarmoniserNet(nn.Module):
    """Composite -> colour transform of its foreground.

    Inputs: ``rgb`` float32 (B, 3, S, S) in [0, 1] (the composite), ``mask`` float32
    (B, 1, S, S) in [0, 1] (the product). Output: float32 (B, 15) transform parameters for
    :func:`apply_transform` (all zero = identity).
    """

    def __init__(self, *, width: int = 16):
        super().__init__()
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(4, w, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, w, S/2, S/2)
            nn.Conv2d(w, 2 * w, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 2w, S/4, S/4)
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 4w, S/8, S/8)
            nn.Conv2d(4 * w, 4 * w, 3, 1, 1), nn.LeakyReLU(0.2),
        )  # fmt: skip
        last = nn.Linear(64, N_PARAMS)
        nn.init.zeros_(last.weight)  # identity transform at initialisation
        nn.init.zeros_(last.bias)
        self.head = nn.Sequential(nn.Linear(8 * w + 24, 64), nn.LeakyReLU(0.2), last)

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        feats = self.encoder(torch.cat([rgb * 2 - 1, mask], dim=1))  # (B, 4w, S/8, S/8)
        m = F.interpolate(mask, size=feats.shape[2:], mode="area")
        fg = (feats * m).sum(dim=(2, 3)) / m.sum(dim=(2, 3)).clamp_min(1e-3)
        bg = (feats * (1 - m)).sum(dim=(2, 3)) / (1 - m).sum(dim=(2, 3)).clamp_min(1e-3)
        colour = torch.cat([_stats(rgb, mask), _stats(rgb, 1 - mask)], dim=1)  # (B, 24)
        return self.head(torch.cat([fg, bg, colour], dim=1))  # (B, 15)


class PatchDiscriminator(nn.Module):
    """Real photo or harmonised composite? ``rgb`` (B, 3, S, S) in [0, 1] and ``mask``
    (B, 1, S, S) -> logits (B, S/8 * S/8), one per overlapping patch."""

    def __init__(self, *, width: int = 32):
        super().__init__()
        w = width
        sn = nn.utils.parametrizations.spectral_norm
        self.main = nn.Sequential(
            sn(nn.Conv2d(4, w, 4, 2, 1)), nn.LeakyReLU(0.2),  # (B, w, S/2, S/2)
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2),  # (B, 2w, S/4, S/4)
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2),  # (B, 4w, S/8, S/8)
            sn(nn.Conv2d(4 * w, 1, 3, 1, 1)),  # (B, 1, S/8, S/8)
        )  # fmt: skip

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.main(torch.cat([rgb * 2 - 1, mask], dim=1)).flatten(1)


def apply_transform(params: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
    """Apply (B, 15) parameters to ``rgb`` float32 (B, 3, H, W) in [0, 1] -> the same range.

    Per channel ``c``: ``x_c ** exp(p_c)`` (gamma bounded to 0.5–2), then ``(I + P) x + b``
    with ``P`` the 3x3 matrix ``p[3:12]`` and ``b = p[12:15]``.
    """
    gamma = torch.exp(params[:, :3].clamp(-0.7, 0.7))[..., None, None]
    x = rgb.clamp(1e-4, 1) ** gamma
    mat = torch.eye(3, device=rgb.device) + params[:, 3:12].reshape(-1, 3, 3)
    out = torch.einsum("bij,bjhw->bihw", mat, x) + params[:, 12:15, None, None]
    return out.clamp(0, 1)


def harmonise_batch(net: HarmoniserNet, rgb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The harmonised composite: ``rgb`` (B, 3, H, W) in [0, 1] whose ``mask`` (B, 1, H, W)
    region is transformed as the net predicts from the composite resized to :data:`SIZE`."""
    small = F.interpolate(rgb, size=(SIZE, SIZE), mode="area")
    small_m = F.interpolate(mask, size=(SIZE, SIZE), mode="area")
    params = net(small, small_m)
    return rgb * (1 - mask) + apply_transform(params, rgb) * mask


@dataclass
class HarmoniserModel:
    """A loaded harmoniser: ``net`` in eval mode; ``metrics``/``info`` from the sidecar."""

    net: HarmoniserNet
    width: int
    name: str = "harmoniser"
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        """``harmoniser-<name>-<8 hex>``, a hash of the weights (stable across save/load)."""
        return model_version("harmoniser", self.name, self.net)


def save_model(model: HarmoniserModel, prefix: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<prefix>.safetensors`` (float16) and ``<prefix>.json``; returns both paths."""
    round_to_half(model.net)
    meta = {"model_version": model.model_version, "arch": "harmoniser",
            "arch_kwargs": {"width": model.width}, "name": model.name, "input_size": SIZE,
            "metrics": model.metrics, "info": model.info}  # fmt: skip
    return save_small(model.net, prefix, meta, FORMAT)


def load_model(path: str | os.PathLike[str] = BUNDLED_HARMONISER) -> HarmoniserModel:
    """Load a harmoniser (the .safetensors, the .json or their prefix) on the CPU. Raises
    :class:`ModelError` with an actionable message on missing, damaged or altered files."""
    sidecar = sidecar_of(path)
    try:
        net, meta = load_small(sidecar, FORMAT, lambda meta: HarmoniserNet(
            width=int(meta["arch_kwargs"]["width"])))
    except LOAD_ERRORS as exc:
        raise ModelError(
            gettext_noop(
                "The harmoniser model %(path)s is missing or damaged (%(error)s); reinstall "
                "gan_imaging or run scripts/train_harmoniser.py."
            ),
            params={"path": str(sidecar), "error": str(exc)},
        ) from None
    assert isinstance(net, HarmoniserNet)
    model = HarmoniserModel(net, int(meta["arch_kwargs"]["width"]),
                            meta.get("name", "harmoniser"), meta.get("metrics", {}),
                            meta.get("info", {}))  # fmt: skip
    if meta.get("model_version") and model.model_version != meta["model_version"]:
        raise ModelError(
            gettext_noop(
                "The harmoniser weights %(path)s do not match their recorded version; the file "
                "was altered. Reinstall gan_imaging or run scripts/train_harmoniser.py."
            ),
            params={"path": str(sidecar)},
        )
    return model


_MODELS = PathCache(load_model)


def get_model(path: str | os.PathLike[str] = BUNDLED_HARMONISER) -> HarmoniserModel:
    """:func:`load_model`, once per process and path."""
    return _MODELS.get(path)


@torch.no_grad()
def predict_transform(model: HarmoniserModel, scene: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Transform parameters float32 (15,) for the product ``mask`` (float32 (H, W) in 0–1) of
    ``scene`` (uint8 (H, W, 3), the product already composited), any size."""
    rgb = torch.from_numpy(np.ascontiguousarray(scene)).permute(2, 0, 1)[None].float() / 255
    m = torch.from_numpy(np.ascontiguousarray(mask, np.float32))[None, None]
    small = F.interpolate(rgb, size=(SIZE, SIZE), mode="area")
    small_m = F.interpolate(m, size=(SIZE, SIZE), mode="area")
    return model.net(small, small_m)[0].numpy().astype(np.float32)


def transform_pixels(params: np.ndarray, rgb: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Apply :func:`apply_transform`'s parameters (scaled by ``strength`` 0–1 towards the
    identity) to uint8 (..., 3) pixels; returns uint8 of the same shape."""
    p = np.asarray(params, np.float32) * float(np.clip(strength, 0, 1))
    gamma = np.exp(np.clip(p[:3], -0.7, 0.7))
    # A 256-entry table per channel: the gamma costs nothing per pixel.
    lut = np.clip(np.arange(256, dtype=np.float32) / 255, 1e-4, 1)[:, None] ** gamma[None, :]
    x = np.stack([lut[rgb[..., c], c] for c in range(3)], axis=-1)
    mat = np.eye(3, dtype=np.float32) + p[3:12].reshape(3, 3)
    out = x @ mat.T + p[12:15]
    return np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of float or uint8 (..., 3) pixels, float32 in the input's scale."""
    return np.asarray(rgb, np.float32) @ np.array(_LUMA, np.float32)
