"""The demo shop. It uses gan_imaging exactly as a real shop would."""

from shop.celery import app as celery_app

__all__ = ["celery_app"]
