"""Architectures, by name, in one explicit registry.

Each entry is a ``build(**kwargs) -> GanNets`` function with keyword-only, documented
arguments. The modules below are imported here, not discovered, so the list of architectures is
visible in this file. A checkpoint stores ``arch`` and ``arch_kwargs``; :func:`build_nets`
rebuilds the modules from them without executing anything stored in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gan_imaging.core.gan.nets import dcgan28, dcgan64, sr, texture
from gan_imaging.core.gan.nets.base import LATENT_SPATIAL, LATENT_VECTOR, GanNets
from gan_imaging.core.registry import Registry

ARCHS: Registry[Callable[..., GanNets]] = Registry("architecture")

ARCHS.add("dcgan28", dcgan28.build)
ARCHS.add("dcgan64", dcgan64.build)
ARCHS.add("texture", texture.build)
ARCHS.add("sr", sr.build)


def build_nets(arch: str, arch_kwargs: Mapping[str, Any] | None = None) -> GanNets:
    """Build a fresh generator/discriminator pair; unknown names or arguments raise."""
    return ARCHS.get(arch)(**dict(arch_kwargs or {}))


__all__ = ["ARCHS", "LATENT_SPATIAL", "LATENT_VECTOR", "GanNets", "build_nets"]
