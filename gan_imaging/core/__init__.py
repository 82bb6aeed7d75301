"""Pure image and GAN code: stdlib, numpy, Pillow and torch only. Never Django or Celery.

Heavy modules (torch) are imported lazily by the subpackages that need them, so importing
``gan_imaging.core`` stays cheap for CPU-only thumbnail workers.
"""

from gan_imaging.core.errors import GanImagingError

__all__ = ["GanImagingError"]
