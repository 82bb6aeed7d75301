"""Read-only admins of the job table and the renditions, with "Retry failed jobs"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gan_imaging import jobs
from gan_imaging.admin.mixin import PERMISSION
from gan_imaging.models import Job, Rendition


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind_name", "target_label", "status", "progress_pct", "attempts", "error",
                    "created_at", "duration_ms")
    list_filter = ("status", "kind")
    search_fields = ("object_id", "error_message", "source_hash")
    actions = ["retry_failed"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_generate_permission(self, request: Any) -> bool:
        return request.user.has_perm(PERMISSION)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj: Job) -> str:
        return obj.kind_label

    @admin.display(description=_("item"))
    def target_label(self, obj: Job) -> str:
        return f"{obj.content_type.name} #{obj.object_id}"

    @admin.display(description=_("progress"))
    def progress_pct(self, obj: Job) -> str:
        return f"{obj.progress * 100:.0f} %"

    @admin.display(description=_("error"), ordering="error_message")
    def error(self, obj: Job) -> str:
        return obj.error_text

    @admin.action(description=_("Retry failed jobs"), permissions=["generate"])
    def retry_failed(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            n = jobs.retry(queryset)
        self.message_user(
            request, ngettext("Requeued %(n)d job.", "Requeued %(n)d jobs.", n) % {"n": n}
        )


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    list_display = ("preview", "kind", "width", "height", "format", "bytes", "state",
                    "model_version", "seed", "created_at")
    list_filter = ("state", "kind", "format")
    search_fields = ("object_id", "source_hash", "spec_key")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("preview"))
    def preview(self, obj: Rendition) -> SafeString:
        src = obj.file.url if obj.file else (obj.meta or {}).get("data_uri", "")
        if not src:
            return format_html("—")
        return format_html('<img src="{}" alt="" style="max-height:48px">', src)
