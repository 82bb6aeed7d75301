"""``manage.py gan_train app.Model [--field F] [--arch texture] [--steps N] [--queue]``.

Trains a GAN on the photos of a model's GanImageField — here, with a progress bar, or on the
GPU queue with ``--queue``. The same function runs under the Celery task.
"""

from __future__ import annotations

import sys
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gan_imaging import jobs
from gan_imaging.core.errors import GanImagingError
from gan_imaging.core.gan.catalog import catalog_archs
from gan_imaging.fields import GanImageField
from gan_imaging.i18n import error_text
from gan_imaging.jobs.training import request_training
from gan_imaging.models import GanModel, Job


class Command(BaseCommand):
    help = "Train a GAN on catalog photos (here with a progress bar, or queued with --queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model", help="app_label.ModelName whose photos to train on")
        parser.add_argument("--field", help="GanImageField name (default: the first one)")
        parser.add_argument("--arch", default="texture", choices=catalog_archs())
        parser.add_argument("--name", default="catalog", help="model name, e.g. 'summer'")
        parser.add_argument("--steps", type=int, help="training steps (default from settings)")
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--limit", type=int, default=0, help="at most N photos (0: all)")
        parser.add_argument("--queue", action="store_true", help="send to the GPU queue")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            Model = apps.get_model(o["model"])
        except (LookupError, ValueError) as exc:
            raise CommandError(
                _("Unknown model %(model)s: use app_label.ModelName.") % {"model": repr(o["model"])}
            ) from exc
        names = [f.name for f in Model._meta.fields if isinstance(f, GanImageField)]
        field = o["field"] or (names[0] if names else None)
        if field not in names:
            raise CommandError(_("%(model)s has no GanImageField %(field)s.")
                               % {"model": o["model"], "field": repr(field)})
        objects = list(Model._default_manager.exclude(**{field: ""})[: o["limit"] or None])
        overrides = {k: v for k, v in (("steps", o["steps"]), ("batch_size", o["batch_size"]))
                     if v is not None}
        try:
            model = request_training(objects, field, arch=o["arch"], name=o["name"],
                                     overrides=overrides, publish_now=o["queue"])
        except GanImagingError as exc:
            raise CommandError(error_text(exc)) from exc
        job = Job.objects.get(kind=jobs.TRAIN_KIND, object_id=str(model.pk))
        if o["queue"]:
            self.stdout.write(_("queued training of GAN model #%(model)s (job %(job)s)")
                              % {"model": model.pk, "job": job.pk})
            return
        outcome = jobs.execute(job.pk, on_progress=self._bar)
        sys.stdout.write("\n")
        job.refresh_from_db()
        model = GanModel.objects.get(pk=model.pk)
        if job.status != "succeeded":
            raise CommandError(_("training %(status)s: %(error)s")
                               % {"status": job.status, "error": job.error_text})
        self.stdout.write(
            f"{outcome.status}: {model.version} ({model.metrics.get('steps')} steps, "
            f"{model.metrics.get('photos')} photos) → {model.checkpoint.name}"
        )

    def _bar(self, fraction: float) -> None:
        filled = int(fraction * 30)
        sys.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:5.1f} %")
        sys.stdout.flush()
