"""Try it in your photo: the storefront's JSON endpoints (thin: each calls ``jobs.tryon``).

Every endpoint answers only the session that uploaded the photo (another session gets the
same 404 as a photo that never existed); POSTs go through Django's CSRF check; files are
served only through signed, expiring links, never cached by shared caches.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gan_imaging.core.errors import GanImagingError
from gan_imaging.i18n import error_text
from gan_imaging.jobs import tryon
from gan_imaging.jobs.tryon_privacy import (
    NotFound,
    RateLimited,
    delete_now,
    open_signed,
    owned,
    owner_hash,
    sign,
)
from gan_imaging.models import TryOn, TryOnStatus


def _session_hash(request: HttpRequest, *, create: bool = False) -> str:
    session: Any = request.session
    if not session.session_key:
        if not create:
            return ""
        session.save()
    return owner_hash(str(session.session_key), "session")


def _error(exc: GanImagingError) -> JsonResponse:
    status = 400
    if isinstance(exc, RateLimited):
        status = 429
    elif isinstance(exc, NotFound | tryon.TryOnDisabled):
        status = 404
    return JsonResponse({"error": error_text(exc)}, status=status)


def state(row: TryOn) -> dict[str, Any]:
    """What the page needs to show a try-on: status, progress 0–1, signed links."""
    data: dict[str, Any] = {
        "id": str(row.pk), "status": row.status, "status_label": row.get_status_display(),
        "progress": round(row.progress, 3), "error": row.error_text,
        "width": row.photo_width, "height": row.photo_height,
        "expires_at": row.expires_at.isoformat(),
        "render_url": reverse("gan_imaging:tryon_render", args=[row.pk]),
        "status_url": reverse("gan_imaging:tryon_status", args=[row.pk]),
        "delete_url": reverse("gan_imaging:tryon_delete", args=[row.pk]),
    }
    if row.photo:
        data["photo_url"] = reverse("gan_imaging:tryon_file", args=[sign(row, "photo")])
    if row.result and row.status == TryOnStatus.SUCCEEDED:
        url = reverse("gan_imaging:tryon_file", args=[sign(row, "result")])
        data["result_url"], data["download_url"] = url, f"{url}?download=1"
    return data


@require_POST
@never_cache
def upload(request: HttpRequest, content_type_id: int, object_id: str,
           field_name: str) -> JsonResponse:
    """Multipart ``photo`` → the new try-on's state (201)."""
    try:
        ct = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    model: Any = ct.model_class()
    obj = model._default_manager.filter(pk=object_id).first() if model else None
    if obj is None or not getattr(obj, field_name, None):
        raise Http404
    photo = request.FILES.get("photo")
    if photo is None:
        return JsonResponse({"error": _("Choose a photo first.")}, status=400)
    ip = str(request.META.get("REMOTE_ADDR", ""))
    try:
        row = tryon.upload(obj, field_name, photo, filename=photo.name,
                           session_hash=_session_hash(request, create=True),
                           ip_hash=owner_hash(ip, "ip"))
    except GanImagingError as exc:  # refused photos, rate limits, switched off
        return _error(exc)
    return JsonResponse(state(row), status=201)


@require_POST
@never_cache
def render(request: HttpRequest, tryon_id: str) -> JsonResponse:
    """JSON body (or form field ``pose``) with the product's pose → the queued state (202)."""
    try:
        row = owned(tryon_id, _session_hash(request))
        raw = request.body if request.content_type == "application/json" else (
            request.POST.get("pose", "").encode())
        try:
            pose = json.loads(raw or b"{}")
        except ValueError:
            pose = {}
        with transaction.atomic():
            row = tryon.request_render(row, pose if isinstance(pose, dict) else {})
    except GanImagingError as exc:  # a bad pose, too many renders, not this session's
        return _error(exc)
    return JsonResponse(state(row), status=202)


@require_GET
@never_cache
def status(request: HttpRequest, tryon_id: str) -> JsonResponse:
    try:
        return JsonResponse(state(owned(tryon_id, _session_hash(request))))
    except NotFound as exc:
        return _error(exc)


@require_POST
@never_cache
def delete(request: HttpRequest, tryon_id: str) -> JsonResponse:
    """The shopper's "Delete": photo and results gone at once."""
    try:
        delete_now(owned(tryon_id, _session_hash(request)))
    except NotFound as exc:
        return _error(exc)
    return JsonResponse({"deleted": True})


@require_GET
def file(request: HttpRequest, token: str) -> HttpResponse:
    """A photo or result through its signed link, for the uploading session only."""
    try:
        row, which, data = open_signed(token, _session_hash(request))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="try-on-{str(row.pk)[:8]}.jpg"'
    return response
