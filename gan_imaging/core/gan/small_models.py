"""Small single-net models (the cutout segmenter, the harmoniser, the restorer): one
``.safetensors`` file of float16 weights beside a JSON sidecar, its loader, and a
once-per-process cache of loaded models.

The GAN checkpoints (:mod:`.checkpoint`) hold generator, discriminator and EMA groups; these
hold one net and the sidecar fields their loaders need (``format``, ``model_version``,
``weights_file`` and the model's own).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from gan_imaging.core.gan.checkpoint import round_to_half

M = TypeVar("M")


def save_small(
    net: nn.Module, prefix: str | os.PathLike[str], meta: dict[str, Any], fmt: str
) -> tuple[Path, Path]:
    """Write ``<prefix>.safetensors`` (floating tensors as float16) and ``<prefix>.json``
    (``meta`` plus ``format`` ``fmt``, ``created``, ``torch_version``, ``dtype``,
    ``weights_file``); returns both paths. ``net``'s in-memory weights are rounded to float16
    first, so a version hashed from them before saving (pass it in ``meta``) matches the
    file's: call :func:`round_to_half` on it before computing that version."""
    round_to_half(net)
    base = Path(prefix)
    base = base.with_suffix("") if base.suffix in (".safetensors", ".json") else base
    base.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()).contiguous()
        for k, v in net.state_dict().items()
    }
    weights = base.with_name(base.name + ".safetensors")
    sidecar = base.with_name(base.name + ".json")
    full = {**meta, "format": fmt, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "torch_version": torch.__version__, "dtype": "float16",
            "weights_file": weights.name}  # fmt: skip
    save_file(tensors, str(weights), metadata={"format": fmt})
    weights.chmod(0o644)
    sidecar.write_text(json.dumps(full, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return weights, sidecar


#: What :func:`load_small` raises for a missing, damaged or mismatched file: callers turn it
#: into their model's own :class:`~gan_imaging.core.errors.ModelError` message.
LOAD_ERRORS = (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError)


def sidecar_of(path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar of ``path`` (its .safetensors, its .json or their common prefix)."""
    p = Path(path)
    return p.with_suffix(".json") if p.suffix else Path(f"{p}.json")


def load_small(
    sidecar: Path, fmt: str, build: Callable[[dict[str, Any]], nn.Module]
) -> tuple[nn.Module, dict[str, Any]]:
    """The net ``build(meta)`` makes, loaded (strictly, as float32) from the weights the
    ``fmt`` sidecar names, on the CPU, in eval mode without gradients; and the sidecar's data.
    Building does not disturb the global RNG. Raises one of :data:`LOAD_ERRORS`."""
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    if meta.get("format") != fmt:
        raise ValueError(f"format {meta.get('format')!r}")
    tensors = load_file(str(sidecar.with_name(meta["weights_file"])), device="cpu")
    with torch.random.fork_rng(devices=[]):
        net = build(meta)
    net.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    net.eval().requires_grad_(False)
    return net, meta


class PathCache(Generic[M]):
    """``load(path)`` once per process and resolved path (thread-safe); ``clear()`` forgets."""

    def __init__(self, load: Callable[[str | os.PathLike[str]], M]) -> None:
        self._load = load
        self._models: dict[str, M] = {}
        self._lock = threading.Lock()

    def get(self, path: str | os.PathLike[str]) -> M:
        key = str(Path(path).resolve())
        with self._lock:
            if key not in self._models:
                self._models[key] = self._load(path)
            return self._models[key]

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
