"""Admin: the mixin for a shop's ModelAdmin, and the admins of jobs, renditions, trained
models and brand kits (registered on import)."""

from gan_imaging.admin.brand import BannerCopyInline, BrandKitAdmin
from gan_imaging.admin.jobs import JobAdmin, RenditionAdmin
from gan_imaging.admin.mixin import PERMISSION, GanImagingAdminMixin, GanStatusListFilter
from gan_imaging.admin.training import GanModelAdmin
from gan_imaging.models import JobStatus

__all__ = ["PERMISSION", "BannerCopyInline", "BrandKitAdmin", "GanImagingAdminMixin",
           "GanModelAdmin", "GanStatusListFilter", "JobAdmin", "JobStatus", "RenditionAdmin"]
