"""Output kinds. Each pipeline module defines one :class:`Pipeline`; it is registered here."""

from __future__ import annotations

from gan_imaging.core.pipelines import thumbnails
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.registry import Registry

PIPELINES: Registry[Pipeline] = Registry("output kind")
PIPELINES.add(thumbnails.PIPELINE.kind, thumbnails.PIPELINE)

__all__ = ["PIPELINES", "Context", "Output", "Pipeline"]
