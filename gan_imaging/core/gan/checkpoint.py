"""Checkpoints are data: a ``.safetensors`` file of tensors plus a ``.json`` sidecar.

Loading never executes code from the files: the JSON names an architecture from
``nets.ARCHS`` and its keyword arguments, the modules are built from that, and the tensors are
read with safetensors (no pickle, no ``torch.load``).

Tensor groups in the ``.safetensors`` file:

- ``g.*``      the generator to sample from (the EMA weights when training used EMA)
- ``g_raw.*``  the live generator (only with EMA; needed to resume)
- ``d.*``      the discriminator (needed to resume)
- ``state.*``  Adam moments and the training RNG state (needed to resume)

An inference export (``save(..., inference_only=True)``) keeps only ``g.*``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

import gan_imaging
from gan_imaging.core.errors import ModelError, gettext_noop
from gan_imaging.core.gan.nets import build_nets

FORMAT = "gan_imaging.gan/1"
_GROUPS = ("g", "g_raw", "d", "state")


@dataclass
class Checkpoint:
    """A trained (or partially trained) GAN.

    generator: the module to sample from, in eval mode after :func:`load`.
    raw_generator / discriminator / train_state: present in training checkpoints, ``None`` /
    empty in inference exports. config: ``TrainConfig.to_dict()`` of the run. step: optimiser
    steps done. metrics: floats (losses, timings, quality figures). info: free provenance,
    e.g. ``{"source": ..., "licence": ...}`` for bundled weights.
    """

    arch: str
    arch_kwargs: dict[str, Any]
    generator: nn.Module
    raw_generator: nn.Module | None = None
    discriminator: nn.Module | None = None
    train_state: dict[str, torch.Tensor] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    torch_version: str = torch.__version__

    @property
    def model_version(self) -> str:
        """``<arch>[-<name>]-<8 hex>``: a hash of the generator weights, stable across save/load.

        Two checkpoints share a version exactly when their sampling weights are identical, so a
        rendition recorded with this string can always be traced to the weights that made it.
        """
        return model_version(self.arch, self.name, self.generator)


def weights_hash(module: nn.Module) -> str:
    """sha256 over the state dict: sorted names, shapes, float32 little-endian values."""
    h = hashlib.sha256()
    for key, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().to("cpu")
        t = t.float() if t.is_floating_point() else t
        h.update(key.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


def model_version(arch: str, name: str, generator: nn.Module) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{arch}-{name}".lower()).strip("-")
    return f"{slug}-{weights_hash(generator)[:8]}"


@torch.no_grad()
def round_to_half(module: nn.Module) -> None:
    """Round floating weights to float16 precision in place (kept as float32)."""
    for t in module.state_dict().values():
        if t.is_floating_point():
            t.copy_(t.half().to(t.dtype))


def _prefix(dir_or_prefix: str | os.PathLike[str], ckpt: Checkpoint) -> Path:
    path = Path(dir_or_prefix)
    if path.is_dir() or str(dir_or_prefix).endswith(os.sep):
        return path / ckpt.model_version
    if path.suffix in (".safetensors", ".json"):
        return path.with_suffix("")
    return path


def save(
    ckpt: Checkpoint,
    dir_or_prefix: str | os.PathLike[str],
    *,
    inference_only: bool = False,
    half: bool = False,
) -> tuple[Path, Path]:
    """Write ``<prefix>.safetensors`` and ``<prefix>.json``; returns both paths.

    dir_or_prefix: an existing directory (files are named after the model version) or a path
    prefix such as ``weights/texture_brick``. inference_only: drop D, the live G and the
    optimiser state (what bundled weights ship). half: store the generator as float16 (half the
    size); the in-memory generator is rounded the same way first, so the model version written
    matches what :func:`load` will compute.
    """
    if half:
        round_to_half(ckpt.generator)
    prefix = _prefix(dir_or_prefix, ckpt)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    groups: dict[str, dict[str, torch.Tensor]] = {"g": ckpt.generator.state_dict()}
    if not inference_only:
        if ckpt.raw_generator is not None:
            groups["g_raw"] = ckpt.raw_generator.state_dict()
        if ckpt.discriminator is not None:
            groups["d"] = ckpt.discriminator.state_dict()
        groups["state"] = dict(ckpt.train_state)
    tensors: dict[str, torch.Tensor] = {}
    for group, state in groups.items():
        for key, t in state.items():
            t = t.detach().to("cpu").contiguous()
            if group == "g" and half and t.is_floating_point():
                t = t.half()
            tensors[f"{group}.{key}"] = t.clone()  # clone: safetensors refuses shared storage
    weights = prefix.with_name(prefix.name + ".safetensors")
    sidecar = prefix.with_name(prefix.name + ".json")
    meta = {
        "format": FORMAT,
        "model_version": ckpt.model_version,
        "arch": ckpt.arch,
        "arch_kwargs": ckpt.arch_kwargs,
        "name": ckpt.name,
        "step": ckpt.step,
        "config": ckpt.config,
        "metrics": ckpt.metrics,
        "info": ckpt.info,
        "created": ckpt.created,
        "torch_version": ckpt.torch_version,
        "gan_imaging_version": gan_imaging.__version__,
        "groups": sorted(groups),
        "generator_dtype": "float16" if half else "float32",
        "weights_file": weights.name,
    }
    save_file(tensors, str(weights), metadata={"format": FORMAT})
    # safetensors may create the file 0600; package data and shared volumes need it readable.
    weights.chmod(0o644)
    sidecar.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return weights, sidecar


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON sidecar of a checkpoint (given the .json, the .safetensors or the prefix)."""
    sidecar = Path(path)
    sidecar = sidecar.with_suffix(".json") if sidecar.suffix else Path(f"{sidecar}.json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            gettext_noop("Model file %(path)s is missing; re-install or re-train the model."),
            params={"path": str(sidecar)},
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(
            gettext_noop("Model file %(path)s is unreadable (%(error)s); re-train the model."),
            params={"path": str(sidecar), "error": str(exc)},
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelError(
            gettext_noop(
                "Model file %(path)s has format %(format)s, expected %(expected)s; it was "
                "written by another version of gan_imaging. Re-train the model."
            ),
            params={"path": str(sidecar), "format": repr(meta.get("format")),
                    "expected": repr(FORMAT)},
        )
    meta["_sidecar"] = str(sidecar)
    return meta


def _load_group(
    module: nn.Module, tensors: dict[str, torch.Tensor], group: str, where: str
) -> None:
    state = {k[len(group) + 1 :]: v for k, v in tensors.items() if k.startswith(group + ".")}
    ref = module.state_dict()
    state = {k: v.to(ref[k].dtype) if k in ref else v for k, v in state.items()}
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(
            gettext_noop(
                "Model weights in %(path)s do not match their architecture (%(error)s). "
                "The file is damaged or was edited; re-train the model."
            ),
            params={"path": where, "error": str(exc)},
        ) from None


def load(
    path: str | os.PathLike[str],
    *,
    device: str | torch.device = "cpu",
    inference_only: bool = False,
) -> Checkpoint:
    """Rebuild a checkpoint from ``path`` (the .safetensors, the .json or the common prefix).

    The generator is returned in eval mode. ``inference_only`` skips D, the live G and the
    optimiser state even when the file has them. Raises :class:`ModelError` with an actionable
    message on missing, damaged or mismatched files.
    """
    meta = read_meta(path)
    weights = Path(meta["_sidecar"]).with_name(meta["weights_file"])
    try:
        tensors = load_file(str(weights), device=str(device))
    except FileNotFoundError:
        raise ModelError(
            gettext_noop("Model weights %(path)s are missing; re-install or re-train."),
            params={"path": str(weights)},
        ) from None
    except (SafetensorError, OSError) as exc:
        raise ModelError(
            gettext_noop("Model weights %(path)s are damaged (%(error)s); re-train the model."),
            params={"path": str(weights), "error": str(exc)},
        ) from None
    try:
        # Building draws the (discarded) random init from the global RNG; keep callers' state.
        with torch.random.fork_rng(devices=[]):
            nets = build_nets(meta["arch"], meta["arch_kwargs"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            gettext_noop(
                "Model %(name)s needs architecture %(arch)s with %(arch_kwargs)s, which this "
                "version cannot build (%(error)s)."
            ),
            params={"name": weights.name, "arch": repr(meta.get("arch")),
                    "arch_kwargs": str(meta.get("arch_kwargs")), "error": str(exc)},
        ) from None
    groups = set(meta["groups"])
    want_training = not inference_only and {"d", "state"} <= groups
    _load_group(nets.generator, tensors, "g", str(weights))
    ckpt = Checkpoint(
        arch=meta["arch"],
        arch_kwargs=dict(meta["arch_kwargs"]),
        generator=nets.generator.to(device).eval(),
        config=meta.get("config", {}),
        step=int(meta.get("step", 0)),
        metrics=meta.get("metrics", {}),
        info=meta.get("info", {}),
        name=meta.get("name", ""),
        created=meta.get("created", ""),
        torch_version=meta.get("torch_version", ""),
    )
    if meta.get("model_version") and ckpt.model_version != meta["model_version"]:
        raise ModelError(
            gettext_noop(
                "Model weights %(name)s do not match their recorded version %(recorded)s "
                "(found %(found)s); the file was altered. Re-install or re-train the model."
            ),
            params={"name": weights.name, "recorded": repr(meta["model_version"]),
                    "found": repr(ckpt.model_version)},
        )
    if want_training:
        _load_group(nets.discriminator, tensors, "d", str(weights))
        ckpt.discriminator = nets.discriminator.to(device)
        if "g_raw" in groups:
            with torch.random.fork_rng(devices=[]):
                raw = build_nets(meta["arch"], meta["arch_kwargs"]).generator
            _load_group(raw, tensors, "g_raw", str(weights))
            ckpt.raw_generator = raw.to(device)
        ckpt.train_state = {k[6:]: v for k, v in tensors.items() if k.startswith("state.")}
    return ckpt
