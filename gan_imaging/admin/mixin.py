"""The mixin a shop adds to its ModelAdmin: previews, live status, filter and actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from gan_imaging import jobs
from gan_imaging.admin.brand import BannerCopyInline
from gan_imaging.admin.training import TRAIN_PERMISSION, train_on_catalog
from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError
from gan_imaging.fields import GanImageField
from gan_imaging.i18n import error_text
from gan_imaging.models import ACTIVE_STATUSES, Job, JobStatus, Rendition

PERMISSION = "gan_imaging.generate_renditions"

STATUS_LABELS = {
    "none": _("not generated"),
    "pending": _("generating…"),
    "failed": _("failed"),
    "ready": _("ready"),
}


# Pipeline labels live in core (no Django); listed here so makemessages extracts them.
KIND_LABELS = (gettext_noop("Thumbnails"), gettext_noop("Product renders"), gettext_noop("Banners"))


#: Seeded kinds a merchant can make or remake (with a new seed) from the change list, whether
#: or not they are made on upload.
KIND_ACTIONS = {
    "renders": _("Make product renders (new seed)"),
    "banners": _("Make banners (new seed)"),
}


def _kind_action(kind: str) -> Any:
    def action(modeladmin: Any, request: Any, queryset: Any) -> None:
        modeladmin._queue(request, queryset, force=True, kinds=[kind])

    return action


def gan_fields(model: Any) -> list[str]:
    return [f.name for f in model._meta.fields if isinstance(f, GanImageField)]


def focal_context(obj: Any, name: str, ct: ContentType, block: dict) -> dict | None:
    """What the focal-point picker needs, when thumbnails make fill crops and a fit image
    to click on exists."""
    from gan_imaging.models import FocalPoint

    if not jobs.spec_for("thumbnails").get("fill"):
        return None
    fits = [r for g in block["groups"] if g["kind"] == "thumbnails" for r in g["renditions"]
            if not (r.meta or {}).get("aspect") and r.format in ("jpeg", "webp", "png")]
    if not fits:
        return None
    point = FocalPoint.objects.filter(content_type=ct, object_id=str(obj.pk),
                                      field_name=name).first()
    return {
        "url": reverse("gan_imaging:focal_point", args=[ct.pk, str(obj.pk), name]),
        "image": max(fits, key=lambda r: (r.width, r.format == "jpeg")).file.url,
        "x": point.x * 100 if point else None,
        "y": point.y * 100 if point else None,
    }


def group_by_kind(renditions: list[Rendition]) -> list[dict[str, Any]]:
    """[{"kind", "label", "renditions"}] in registry order; rows without a file (placeholders)
    are left out."""
    from gan_imaging.core.pipelines import PIPELINES

    groups: dict[str, list[Rendition]] = {}
    for r in renditions:
        if r.file:
            groups.setdefault(r.kind, []).append(r)
    return [
        {"kind": kind, "label": gettext(PIPELINES.get(kind).label) if kind in PIPELINES else kind,
         "renditions": rows}
        for kind, rows in sorted(groups.items())
    ]


def restore_label(renditions: list[Rendition]) -> str:
    """What the restoration step did to the photo, from its renditions' ``meta["restore"]``:
    "restored: JPEG q≈35, noise σ≈6", "not restored: …", or "" (no record, or mode never)."""
    record = next((r.meta["restore"] for r in renditions
                   if isinstance(r.meta, dict) and isinstance(r.meta.get("restore"), dict)), None)
    if not record or record.get("mode") == "never":
        return ""
    parts = []
    if record.get("jpeg_quality") is not None:
        parts.append(gettext("JPEG q≈%(quality)s") % {"quality": record["jpeg_quality"]})
        if record.get("double_jpeg"):
            parts.append(gettext("saved twice"))
    parts.append(gettext("noise σ≈%(sigma).0f") % {"sigma": float(record.get("noise") or 0)})
    what = ", ".join(parts)
    if record.get("applied"):
        return gettext("restored: %(what)s") % {"what": what}
    return gettext("not restored: %(what)s") % {"what": what}


class GanStatusListFilter(admin.SimpleListFilter):
    """Filter objects by the generation status of their (first) GanImageField's current photo."""

    title = _("generated images")
    parameter_name = "gan_status"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [(key, label) for key, label in STATUS_LABELS.items()]

    def queryset(self, request: Any, queryset: Any) -> Any:
        value = self.value()
        names = gan_fields(queryset.model)
        if value not in STATUS_LABELS or not names:
            return queryset
        ct = ContentType.objects.get_for_model(queryset.model, for_concrete_model=False)
        current = Job.objects.filter(
            content_type=ct,
            object_id=Cast(OuterRef("pk"), CharField()),
            field_name=names[0],
            source_name=OuterRef(names[0]),
        )
        active = Exists(current.filter(status__in=ACTIVE_STATUSES))
        failed = Exists(current.filter(status=JobStatus.FAILED))
        if value == "none":
            return queryset.filter(~Exists(current))
        if value == "pending":
            return queryset.filter(active)
        if value == "failed":
            return queryset.filter(failed, ~active)
        return queryset.filter(Exists(current.filter(status=JobStatus.SUCCEEDED)), ~active,
                               ~failed)


class GanImagingAdminMixin:
    """Mix into a ``ModelAdmin`` of a model with ``GanImageField``s.

    Adds a read-only "Generated images" block (previews, job progress, failure reasons) to the
    change page, a ``gan_status`` column for ``list_display`` and the actions "Generate
    renditions" and "Regenerate renditions" (permission ``gan_imaging.generate_renditions``).
    """

    gan_image_fields: list[str] | None = None

    def get_gan_fields(self) -> list[str]:
        return list(self.gan_image_fields or gan_fields(self.model))  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None and "gan_previews" not in fields:
            fields.append("gan_previews")
        return fields

    def get_list_filter(self, request: Any) -> Any:
        filters = list(super().get_list_filter(request))  # type: ignore[misc]
        return [*filters, GanStatusListFilter]

    def get_inlines(self, request: Any, obj: Any) -> Any:
        inlines = list(super().get_inlines(request, obj))  # type: ignore[misc]
        # Only for shops that make banners (on upload, or configured for the admin actions).
        banners = "banners" in gan_settings.ON_UPLOAD or "banners" in gan_settings.SPECS
        if banners and BannerCopyInline not in inlines:
            inlines.append(BannerCopyInline)
        return inlines

    def get_actions(self, request: Any) -> Any:
        actions = super().get_actions(request)  # type: ignore[misc]
        if request.user.has_perm(PERMISSION):
            for name in ("gan_generate", "gan_regenerate"):
                func = getattr(type(self), name)
                actions[name] = (func, name, func.short_description)
            for kind, label in KIND_ACTIONS.items():
                name = f"gan_make_{kind}"
                actions[name] = (_kind_action(kind), name, label)
        if request.user.has_perm(TRAIN_PERMISSION):
            actions["gan_train"] = (train_on_catalog, "gan_train",
                                    train_on_catalog.short_description)  # type: ignore[attr-defined]
        return actions

    @admin.display(description=_("Generated images"))
    def gan_previews(self, obj: Any) -> SafeString:
        blocks = []
        for name in self.get_gan_fields():
            file = getattr(obj, name)
            blocks.append(
                {
                    "field": obj._meta.get_field(name).verbose_name,
                    "status": file.generation_status if file else "none",
                    "status_label": STATUS_LABELS[file.generation_status if file else "none"],
                    "groups": group_by_kind(file.rendition_list() if file else []),
                    "restore": restore_label(file.rendition_list()) if file else "",
                    "jobs": list(file.jobs.select_related("content_type").annotate(
                        shown=Count("rendition", filter=Q(rendition__state="current")))[:10])
                    if file else [],
                }
            )
        context: dict[str, Any] = {"blocks": blocks}
        try:
            ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
            context["status_url"] = reverse("gan_imaging:job_status")
            context["previews_url"] = reverse("gan_imaging:previews", args=[ct.pk, str(obj.pk)])
            for name, block in zip(self.get_gan_fields(), blocks, strict=True):
                block["focal"] = focal_context(obj, name, ct, block)
        except NoReverseMatch:
            pass  # gan_imaging.urls not included: the block still works, without live updates
        return render_to_string("gan_imaging/admin/previews.html", context)

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(js=["gan_imaging/admin-progress.js"])  # type: ignore[misc]

    @admin.display(description=_("Images"))
    def gan_status(self, obj: Any) -> SafeString:
        parts = []
        for name in self.get_gan_fields():
            file = getattr(obj, name)
            status = file.generation_status if file else "none"
            parts.append(
                format_html(
                    '<span class="gan-status gan-status-{}">{}</span>',
                    status,
                    STATUS_LABELS[status],
                )
            )
        return format_html('<span style="white-space:nowrap">{}</span>',
                           format_html(" ".join(["{}"] * len(parts)), *parts))

    def _queue(self, request: Any, queryset: Any, *, force: bool,
               kinds: list[str] | None = None) -> None:
        limit = int(gan_settings.ADMIN_MAX_SELECTION)
        count = queryset.count()
        if count > limit:
            self.message_user(  # type: ignore[attr-defined]
                request,
                _("Select at most %(limit)d items at a time (you selected %(count)d).")
                % {"limit": limit, "count": count},
                messages.ERROR,
            )
            return
        queued, problems = 0, []
        for obj in queryset:
            for name in self.get_gan_fields():
                try:
                    with transaction.atomic():
                        queued += len(
                            jobs.request(obj, name, kinds, force=force, new_seed=force,
                                         user=request.user)
                        )
                except GanImagingError as exc:
                    problems.append(f"{obj}: {error_text(exc)}")
        self.message_user(  # type: ignore[attr-defined]
            request,
            ngettext("Queued %(n)d job.", "Queued %(n)d jobs.", queued) % {"n": queued},
            messages.SUCCESS if queued else messages.INFO,
        )
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)  # type: ignore[attr-defined]

    def gan_generate(self, request: Any, queryset: Any) -> None:
        self._queue(request, queryset, force=False)

    gan_generate.short_description = _("Generate renditions")  # type: ignore[attr-defined]

    def gan_regenerate(self, request: Any, queryset: Any) -> None:
        self._queue(request, queryset, force=True)

    gan_regenerate.short_description = _("Regenerate renditions")  # type: ignore[attr-defined]
