import posixpath

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """The demo serves local media itself (read at request time, so tests can move it).
    A real deployment serves media from the web server or the storage (S3, a CDN).
    Shoppers' try-on photos share the demo's media folder but are never served from it: only
    through gan_imaging's signed links, to the session that uploaded them."""
    from gan_imaging.conf import gan_settings

    private = str(gan_settings.TRYON_PREFIX).strip("/") + "/"
    if posixpath.normpath("/" + path).lstrip("/").startswith(private):
        raise Http404
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("gan-imaging/", include("gan_imaging.urls")),
    path("", include("shop.catalog.urls")),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media))
