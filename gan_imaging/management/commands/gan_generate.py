"""``manage.py gan_generate app_label.Model [--field F] [--kind K] [--force]``."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from gan_imaging import jobs
from gan_imaging.core.errors import GanImagingError
from gan_imaging.fields import GanImageField
from gan_imaging.i18n import error_text


class Command(BaseCommand):
    help = "Queue generation jobs for every object of a model (skips work already done)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model", help="app_label.ModelName")
        parser.add_argument("--field", action="append", help="Only this GanImageField.")
        parser.add_argument("--kind", action="append", help="Only this output kind.")
        parser.add_argument("--force", action="store_true", help="Queue even if done.")

    def handle(self, *args: Any, model: str, field: Any, kind: Any, force: bool, **o: Any) -> None:
        try:
            Model = apps.get_model(model)
        except (LookupError, ValueError) as exc:
            raise CommandError(
                _("Unknown model %(model)s: use app_label.ModelName.") % {"model": repr(model)}
            ) from exc
        names = [f.name for f in Model._meta.fields if isinstance(f, GanImageField)]
        if field:
            unknown = set(field) - set(names)
            if unknown:
                raise CommandError(_("Not GanImageFields of %(model)s: %(names)s")
                                   % {"model": model, "names": ", ".join(sorted(unknown))})
            names = field
        if not names:
            raise CommandError(_("%(model)s has no GanImageField.") % {"model": model})
        queued = failed = 0
        for obj in Model._default_manager.iterator():
            for name in names:
                try:
                    with transaction.atomic():
                        queued += len(jobs.request(obj, name, kind, force=force))
                except GanImagingError as exc:
                    failed += 1
                    self.stderr.write(f"{model} #{obj.pk} {name}: {error_text(exc)}")
        self.stdout.write(_("queued %(queued)d job(s); %(failed)d object(s) could not be read")
                          % {"queued": queued, "failed": failed})
