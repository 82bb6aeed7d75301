"""The storage that receives generated files (``GAN_IMAGING["STORAGE"]`` alias)."""

from __future__ import annotations

from django.core.files.storage import Storage, storages

from gan_imaging.conf import gan_settings


def output_storage() -> Storage:
    """Storage for outputs; a callable so migrations do not freeze the choice."""
    return storages[gan_settings.STORAGE]
