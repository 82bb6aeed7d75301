"""The app's models: jobs and their outputs, trained models, brand kits, shoppers' try-ons.

``output_storage`` (``models.storage``) is where generated files and checkpoints go.
"""

from gan_imaging.models.brand import BannerCopy, BrandKit
from gan_imaging.models.jobs import (
    ACTIVE_STATUSES,
    FocalPoint,
    Job,
    JobStatus,
    Rendition,
    RenditionState,
)
from gan_imaging.models.training import GanModel, GanModelStatus
from gan_imaging.models.tryon import TryOn, TryOnStatus

__all__ = ["ACTIVE_STATUSES", "BannerCopy", "BrandKit", "FocalPoint", "GanModel", "GanModelStatus",
           "Job", "JobStatus", "Rendition", "RenditionState", "TryOn", "TryOnStatus"]
