"""A tiny U-Net for product/background segmentation, and its checkpoint files.

Checkpoints follow the house convention (see :mod:`gan_imaging.core.gan.checkpoint`): a
``.safetensors`` file of tensors plus a ``.json`` sidecar naming the architecture and its
keyword arguments, a model version (hash of the weights), metrics and provenance. Loading
builds the module from :data:`ARCHS` and reads tensors with safetensors: no pickle, no code
from the files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from gan_imaging.core.errors import ModelError, gettext_noop
from gan_imaging.core.gan.checkpoint import model_version, round_to_half
from gan_imaging.core.gan.small_models import PathCache, save_small
from gan_imaging.core.registry import Registry

FORMAT = "gan_imaging.segmentation/1"
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
#: The bundled cutout model (``scripts/train_cutout.py`` writes it).
BUNDLED_CUTOUT = WEIGHTS_DIR / "cutout.safetensors"


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class TinyUNet(nn.Module):
    """Encoder–decoder with skip connections; one logit per pixel.

    Input: float32 (N, 3, H, W), RGB scaled to [-1, 1], H and W multiples of ``2**(levels-1)``.
    Output: float32 (N, 1, H, W) logits (sigmoid → foreground probability 0–1).
    """

    def __init__(self, *, width: int = 12, levels: int = 4, max_width: int = 96) -> None:
        super().__init__()
        widths = [min(width * 2**i, max_width) for i in range(levels)]
        self.widths = widths
        self.down = nn.ModuleList()
        c = 3
        for w in widths:
            self.down.append(_block(c, w))
            c = w
        self.up = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(_block(c + w, w))
            c = w
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips: list[torch.Tensor] = []
        for i, block in enumerate(self.down):
            if i:
                x = nn.functional.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for block, skip in zip(self.up, reversed(skips[:-1])):
            x = nn.functional.interpolate(x, size=skip.shape[-2:], mode="bilinear",
                                          align_corners=False)  # fmt: skip
            x = block(torch.cat([x, skip], 1))
        out: torch.Tensor = self.head(x)
        return out


def _copy_block(old: nn.Module, new: nn.Module, in_map: torch.Tensor) -> None:
    """Copy ``old``'s two conv + BN layers (a :func:`_block`) into the leading output channels
    of ``new``; input channel k of ``old`` reads channel ``in_map[k]`` of ``new``. The old
    channels get zero weights from the new ones, so they compute what they computed before."""
    assert isinstance(old, nn.Sequential) and isinstance(new, nn.Sequential)
    for i in (0, 3):
        conv_old, conv_new = old[i], new[i]
        bn_old, bn_new = old[i + 1], new[i + 1]
        assert isinstance(conv_old, nn.Conv2d) and isinstance(conv_new, nn.Conv2d)
        assert isinstance(bn_old, nn.BatchNorm2d) and isinstance(bn_new, nn.BatchNorm2d)
        o = conv_old.out_channels
        conv_new.weight[:o] = 0
        conv_new.weight[:o, in_map] = conv_old.weight
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(bn_new, name)[:o] = getattr(bn_old, name)
        tracked = bn_old.num_batches_tracked
        if tracked is not None and bn_new.num_batches_tracked is not None:
            bn_new.num_batches_tracked.copy_(tracked)
        in_map = torch.arange(o)


@torch.no_grad()
def widen(net: TinyUNet, *, width: int, max_width: int) -> TinyUNet:
    """A wider :class:`TinyUNet` (same levels) that computes exactly what ``net`` computes:
    ``net``'s weights fill the leading channels of every layer and the new channels start
    with no influence on the old ones (Net2Net-style growth, so fine-tuning starts from the
    trained net). Every level must be at least as wide as before."""
    levels = len(net.widths)
    out = TinyUNet(width=width, levels=levels, max_width=max_width)
    if any(n < o for n, o in zip(out.widths, net.widths, strict=True)):
        raise ValueError(f"widen: {out.widths} is narrower than {net.widths} somewhere")
    for i, (old, new) in enumerate(zip(net.down, out.down, strict=True)):
        _copy_block(old, new, torch.arange(3 if i == 0 else net.widths[i - 1]))
    c_old, c_new = net.widths[-1], out.widths[-1]
    for j, (old, new) in enumerate(zip(net.up, out.up, strict=True)):
        w_old = net.widths[levels - 2 - j]
        in_map = torch.cat([torch.arange(c_old), c_new + torch.arange(w_old)])
        _copy_block(old, new, in_map)
        c_old, c_new = w_old, out.widths[levels - 2 - j]
    head_old, head_new = net.head, out.head
    assert isinstance(head_old, nn.Conv2d) and isinstance(head_new, nn.Conv2d)
    head_new.weight.zero_()
    head_new.weight[:, :c_old] = head_old.weight
    assert head_old.bias is not None and head_new.bias is not None
    head_new.bias.copy_(head_old.bias)
    return out


ARCHS: Registry[type[nn.Module]] = Registry("segmentation architecture")
ARCHS.add("tiny_unet", TinyUNet)


@dataclass
class SegModel:
    """A loaded segmentation network. ``input_size``: side (px) of the square it was trained
    on; ``net`` is in eval mode; ``metrics``/``info`` come from the sidecar."""

    arch: str
    arch_kwargs: dict[str, Any]
    net: nn.Module
    input_size: int
    name: str = "cutout"
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        """``<arch>-<name>-<8 hex>``, a hash of the weights (stable across save/load)."""
        return model_version(self.arch, self.name, self.net)


def save_model(model: SegModel, prefix: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<prefix>.safetensors`` (float16) and ``<prefix>.json``; returns both paths.
    The in-memory weights are rounded to float16 first so the recorded version matches."""
    round_to_half(model.net)
    meta = {"model_version": model.model_version, "arch": model.arch,
            "arch_kwargs": model.arch_kwargs, "name": model.name,
            "input_size": model.input_size, "metrics": model.metrics,
            "info": model.info}  # fmt: skip
    return save_small(model.net, prefix, meta, FORMAT)


def load_model(path: str | os.PathLike[str]) -> SegModel:
    """Load a segmentation checkpoint (the .safetensors, the .json or their prefix) on the
    CPU. Raises :class:`ModelError` with an actionable message on missing or damaged files."""
    p = Path(path)
    sidecar = p.with_suffix(".json") if p.suffix else Path(f"{p}.json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            gettext_noop(
                "The cutout model %(path)s is missing; reinstall gan_imaging or run "
                "scripts/train_cutout.py."
            ),
            params={"path": str(sidecar)},
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(
            gettext_noop("The cutout model %(path)s is unreadable (%(error)s)."),
            params={"path": str(sidecar), "error": str(exc)},
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelError(
            gettext_noop("%(path)s is not a segmentation model (format %(format)s)."),
            params={"path": str(sidecar), "format": repr(meta.get("format"))},
        )
    weights = sidecar.with_name(meta["weights_file"])
    try:
        tensors = load_file(str(weights), device="cpu")
        with torch.random.fork_rng(devices=[]):
            net = ARCHS.get(meta["arch"])(**meta["arch_kwargs"])
        ref = net.state_dict()
        net.load_state_dict({k: v.to(ref[k].dtype) if k in ref else v
                             for k, v in tensors.items()}, strict=True)  # fmt: skip
    except FileNotFoundError:
        raise ModelError(
            gettext_noop("The cutout weights %(path)s are missing; reinstall gan_imaging."),
            params={"path": str(weights)},
        ) from None
    except (SafetensorError, OSError, KeyError, TypeError, RuntimeError) as exc:
        raise ModelError(
            gettext_noop(
                "The cutout weights %(path)s are damaged or do not match their architecture "
                "(%(error)s); run scripts/train_cutout.py."
            ),
            params={"path": str(weights), "error": str(exc)},
        ) from None
    net.eval().requires_grad_(False)
    model = SegModel(meta["arch"], dict(meta["arch_kwargs"]), net, int(meta["input_size"]),
                     meta.get("name", "cutout"), meta.get("metrics", {}),
                     meta.get("info", {}))  # fmt: skip
    if meta.get("model_version") and model.model_version != meta["model_version"]:
        raise ModelError(
            gettext_noop(
                "The cutout weights %(name)s do not match their recorded version; the file was "
                "altered. Reinstall gan_imaging or run scripts/train_cutout.py."
            ),
            params={"name": weights.name},
        )
    return model


_MODELS = PathCache(load_model)


def get_model(path: str | os.PathLike[str] = BUNDLED_CUTOUT) -> SegModel:
    """:func:`load_model`, once per process and path."""
    return _MODELS.get(path)


@torch.no_grad()
def predict(model: SegModel, rgb: torch.Tensor) -> torch.Tensor:
    """Foreground probability for float32 (N, 3, S, S) RGB in [-1, 1] at the model's input
    size: float32 (N, 1, S, S) in [0, 1]."""
    return torch.sigmoid(model.net(rgb))
