"""Admin for trained GAN models: loss curve, samples, activate, cancel; and the
"Train on catalog" action offered by GanImagingAdminMixin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from gan_imaging.core.errors import GanImagingError
from gan_imaging.i18n import error_text
from gan_imaging.jobs.training import cancel_training, request_training
from gan_imaging.models import GanModel, GanModelStatus

TRAIN_PERMISSION = "gan_imaging.train_models"


def loss_curve_svg(history: list[dict[str, float]], width: int = 640, height: int = 200) -> str:
    """Inline SVG polylines of loss_d (blue) and loss_g (orange) against step; "" if empty."""
    if len(history) < 2:
        return ""
    steps = [h["step"] for h in history]
    values = [v for h in history for v in (h["loss_d"], h["loss_g"])]
    lo, hi = min(values), max(values)
    span_x, span_y = max(1, steps[-1] - steps[0]), max(1e-9, hi - lo)

    def points(key: str) -> str:
        return " ".join(
            f"{(h['step'] - steps[0]) / span_x * (width - 40) + 30:.1f},"
            f"{height - 20 - (h[key] - lo) / span_y * (height - 40):.1f}"
            for h in history
        )

    return (
        f'<svg class="gan-loss-curve" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="loss curve">'
        f'<rect width="{width}" height="{height}" fill="#fafafa" stroke="#ddd"/>'
        f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{points("loss_d")}"/>'
        f'<polyline fill="none" stroke="#ef6c00" stroke-width="1.5" points="{points("loss_g")}"/>'
        f'<text x="34" y="14" font-size="11" fill="#1565c0">D loss</text>'
        f'<text x="90" y="14" font-size="11" fill="#ef6c00">G loss</text>'
        f'<text x="34" y="{height - 6}" font-size="10">step {steps[0]}</text>'
        f'<text x="{width - 90}" y="{height - 6}" font-size="10">step {steps[-1]}</text>'
        f'<text x="2" y="24" font-size="10">{hi:.2f}</text>'
        f'<text x="2" y="{height - 22}" font-size="10">{lo:.2f}</text></svg>'
    )


def train_on_catalog(modeladmin: Any, request: Any, queryset: Any) -> None:
    """Admin action: train a texture GAN on the selected items' photos (GPU queue)."""
    field = modeladmin.get_gan_fields()[0]
    name = f"{queryset.model._meta.model_name}-{queryset.count()}"
    try:
        model = request_training(list(queryset), field, arch="texture", name=name,
                                 user=request.user)
    except GanImagingError as exc:
        modeladmin.message_user(request, error_text(exc), messages.ERROR)
        return
    modeladmin.message_user(
        request,
        _("Training “%(name)s” on %(n)d photos was queued; follow it under GAN models.")
        % {"name": model.name, "n": model.trained_on["photos"]},
        messages.SUCCESS,
    )


train_on_catalog.short_description = _("Train a texture model on these photos")  # type: ignore[attr-defined]


@admin.register(GanModel)
class GanModelAdmin(admin.ModelAdmin):
    list_display = ("name", "arch", "status", "version", "active", "progress", "created_at")
    list_filter = ("status", "arch", "active")
    actions = ["activate", "cancel"]
    readonly_fields = ("name", "arch", "status", "version", "active", "metrics_table",
                       "loss_curve", "sample_grid", "trained_on_summary", "checkpoint",
                       "created_by", "created_at", "finished_at")
    fields = readonly_fields

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_train_permission(self, request: Any) -> bool:
        return request.user.has_perm(TRAIN_PERMISSION)

    @admin.display(description=_("progress"))
    def progress(self, obj: GanModel) -> str:
        if not obj.history:
            return "—"
        total = obj.config.get("steps") or 1
        return f"{obj.history[-1]['step'] / total * 100:.0f} %"

    @admin.display(description=_("loss curve"))
    def loss_curve(self, obj: GanModel) -> SafeString:
        svg = loss_curve_svg(obj.history)
        return format_html("{}", SafeString(svg)) if svg else format_html("—")

    @admin.display(description=_("samples"))
    def sample_grid(self, obj: GanModel) -> SafeString:
        if not obj.samples:
            return format_html("—")
        return format_html('<img class="gan-samples" src="{}" alt="" style="max-width:640px">',
                           obj.samples.url)

    @admin.display(description=_("metrics"))
    def metrics_table(self, obj: GanModel) -> SafeString:
        rows = "".join(
            format_html("<tr><th>{}</th><td>{}</td></tr>", k, v)
            for k, v in sorted(obj.metrics.items())
        )
        return format_html("<table>{}</table>", SafeString(rows)) if rows else format_html("—")

    @admin.display(description=_("trained on"))
    def trained_on_summary(self, obj: GanModel) -> str:
        return _("%(n)s photos") % {"n": obj.trained_on.get("photos", 0)}

    @admin.action(description=_("Use this model (activate)"), permissions=["train"])
    def activate(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            for model in queryset.filter(status=GanModelStatus.READY):
                GanModel.objects.filter(name=model.name, arch=model.arch).update(active=False)
                GanModel.objects.filter(pk=model.pk).update(active=True)

    @admin.action(description=_("Cancel training"), permissions=["train"])
    def cancel(self, request: Any, queryset: Any) -> None:
        n = sum(cancel_training(model) for model in queryset)
        self.message_user(request, _("Asked %(n)d training job(s) to stop.") % {"n": n})
