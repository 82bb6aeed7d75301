"""Pure vision helpers for product renders and banners (cutout, shadow, compositing, layout…).

Modules are imported by their users, not here, so each engineer can add one without touching
this file. Nothing in this package imports Django or Celery.
"""
