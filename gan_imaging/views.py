"""Staff-only JSON and fragments that let the admin show live progress without reloading."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gan_imaging.models import ACTIVE_STATUSES, Job, Rendition, RenditionState

MAX_IDS = 200


@require_GET
@staff_member_required
def job_status(request: HttpRequest) -> JsonResponse:
    """``?ids=<uuid>,<uuid>`` → ``{"jobs": [...], "active": n}``; progress is 0.0–1.0,
    ``shown`` the number of the job's renditions pages show now."""
    if not request.user.has_perm("gan_imaging.view_job"):
        raise PermissionDenied
    ids = []
    for raw in request.GET.get("ids", "").split(",")[:MAX_IDS]:
        try:
            ids.append(uuid.UUID(raw.strip()))
        except ValueError:
            continue
    found = list(Job.objects.filter(pk__in=ids))
    # How many of each job's renditions pages show now: a fast first pass (thumbnails'
    # preview) is shown before the job finishes, and the admin refreshes when this grows.
    shown = dict(Rendition.objects.filter(job__in=found, state=RenditionState.CURRENT)
                 .values_list("job").annotate(n=Count("pk")).values_list("job", "n"))
    jobs = [
        {
            "id": str(j.pk),
            "kind": j.kind,
            "kind_label": j.kind_label,
            "status": j.status,
            "status_label": j.get_status_display(),
            "progress": round(j.progress, 3),
            "attempts": j.attempts,
            "max_attempts": j.max_attempts,
            "error": j.error_text,
            "shown": shown.get(j.pk, 0),
        }
        for j in found
    ]
    active = sum(1 for j in jobs if j["status"] in ACTIVE_STATUSES)
    return JsonResponse({"jobs": jobs, "active": active})


@require_GET
@staff_member_required
def previews(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "Generated images" block for one object, re-rendered from rows."""
    from django.contrib import admin

    try:
        ct = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    model: Any = ct.model_class()
    model_admin: Any = admin.site._registry.get(model)
    if model_admin is None or not hasattr(model_admin, "gan_previews"):
        raise Http404
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    obj = model._default_manager.filter(pk=object_id).first()
    if obj is None:
        raise Http404
    return HttpResponse(model_admin.gan_previews(obj))


@require_POST
@staff_member_required
def focal_point(
    request: HttpRequest, content_type_id: int, object_id: str, field_name: str
) -> JsonResponse:
    """Set where fill crops are centred (``x``, ``y``: fractions 0–1) and regenerate them."""
    from django.db import transaction

    from gan_imaging import jobs
    from gan_imaging.fields import GanImageField
    from gan_imaging.models import FocalPoint

    if not request.user.has_perm("gan_imaging.generate_renditions"):
        raise PermissionDenied
    try:
        x, y = float(request.POST["x"]), float(request.POST["y"])
    except (KeyError, ValueError):
        return JsonResponse({"error": _("x and y are required numbers")}, status=400)
    if not (0 <= x <= 1 and 0 <= y <= 1):
        return JsonResponse({"error": _("x and y must be between 0 and 1")}, status=400)
    try:
        ct = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    model: Any = ct.model_class()
    fields = model._meta.fields if model else []
    field = next((f for f in fields if f.name == field_name and isinstance(f, GanImageField)),
                 None)
    obj = model._default_manager.filter(pk=object_id).first() if field else None
    if obj is None:
        raise Http404
    with transaction.atomic():
        FocalPoint.objects.update_or_create(
            content_type=ct, object_id=str(obj.pk), field_name=field_name,
            defaults={"x": round(x, 4), "y": round(y, 4)},
        )
        queued = jobs.request(obj, field_name, ["thumbnails"], user=request.user)
    return JsonResponse({"x": round(x, 4), "y": round(y, 4), "queued": len(queued)})
