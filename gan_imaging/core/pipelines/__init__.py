"""Output kinds. Each pipeline module defines one :class:`Pipeline`; it is registered here."""

from __future__ import annotations

from gan_imaging.core.pipelines import banners, renders, thumbnails
from gan_imaging.core.pipelines.base import Context, Output, Pipeline
from gan_imaging.core.registry import Registry

PIPELINES: Registry[Pipeline] = Registry("output kind")
PIPELINES.add(thumbnails.PIPELINE.kind, thumbnails.PIPELINE)
PIPELINES.add(renders.PIPELINE.kind, renders.PIPELINE)
PIPELINES.add(banners.PIPELINE.kind, banners.PIPELINE)

__all__ = ["PIPELINES", "Context", "Output", "Pipeline"]
