"""gan_imaging: product photos in, optimized thumbnails, renders and banners out."""

__version__ = "0.1.0"
