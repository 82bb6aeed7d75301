from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """The demo serves local media itself (read at request time, so tests can move it).
    A real deployment serves media from the web server or the storage (S3, a CDN)."""
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("gan-imaging/", include("gan_imaging.urls")),
    path("", include("shop.catalog.urls")),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media))
