"""Choosing a device: ``"auto"`` -> CUDA -> MPS -> CPU. Nothing here asserts a GPU exists."""

from __future__ import annotations

import torch

from gan_imaging.core.errors import ConfigurationError, gettext_noop

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """Turn a setting (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) into a device.

    ``"auto"`` picks the first available of CUDA, MPS, CPU. Asking explicitly for a device that
    is not available raises :class:`ConfigurationError` rather than silently using the CPU, so a
    GPU queue never runs on the CPU unnoticed.
    """
    if isinstance(name, torch.device):
        name = str(name)
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = name.split(":", 1)[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise ConfigurationError(
            gettext_noop("Unknown device %(device)s. Use one of: %(choices)s (or 'cuda:N')."),
            params={"device": repr(name), "choices": ", ".join(DEVICE_CHOICES)},
        )
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigurationError(
            gettext_noop(
                "Device %(device)s was requested but this torch build or machine has no CUDA "
                "GPU. Set the device to 'auto' or 'cpu', or run this job on a GPU worker."
            ),
            params={"device": repr(name)},
        )
    if kind == "mps" and not _mps_available():
        raise ConfigurationError(gettext_noop(
            "Device 'mps' was requested but Apple MPS is not available. Use 'auto' or 'cpu'."
        ))
    return torch.device(name)


def describe(device: torch.device) -> str:
    """Human-readable device name for logs and job rows (e.g. 'cuda:0 (NVIDIA H100)')."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type
