from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GanImagingConfig(AppConfig):
    name = "gan_imaging"
    verbose_name = _("GAN imaging")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gan_imaging import checks, conf, tasks  # noqa: F401 - registers checks and tasks
