"""The storage that receives generated files (``GAN_IMAGING["STORAGE"]``, an alias in
``STORAGES``). Resolved lazily and again whenever the settings change, so the Rendition
field, the writers and the tests always agree on one backend."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from gan_imaging.conf import gan_settings


class _OutputStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages[gan_settings.STORAGE]


_output_storage = _OutputStorage()


def output_storage() -> Storage:
    """Storage for outputs; a callable so migrations do not freeze the choice."""
    return _output_storage  # type: ignore[return-value]


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting in ("GAN_IMAGING", "STORAGES"):
        _output_storage._wrapped = empty  # type: ignore[assignment]
