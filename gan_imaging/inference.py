"""Deprecated alias of :mod:`gan_imaging.jobs.assets` (which model serves a kind, loaded once
per worker process). Kept so code written against earlier releases keeps working; import from
``gan_imaging.jobs.assets`` instead."""

from gan_imaging.jobs.assets import backdrop, texture_model, upscale

__all__ = ["backdrop", "texture_model", "upscale"]
