from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve


def media(request, path):
    """The demo serves local media itself (read at request time, so tests can move it).
    A real deployment serves media from the web server or the storage (S3, a CDN)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("gan-imaging/", include("gan_imaging.urls")),
    path("", include("shop.catalog.urls")),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media))
