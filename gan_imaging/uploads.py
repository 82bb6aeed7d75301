"""The HTTP side of uploads, before any form runs: an upload handler and a middleware that
turn what Django's multipart parser cannot take into words a merchant can act on.

Add both in settings::

    FILE_UPLOAD_HANDLERS = [
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "gan_imaging.uploads.ShortExtensionUploadHandler",
    ]
    MIDDLEWARE = [..., "gan_imaging.uploads.UploadErrorMiddleware",  # before CsrfViewMiddleware
                  "django.middleware.csrf.CsrfViewMiddleware", ...]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

_MAX_EXTENSION = 16  # characters after the dot; real ones have 3 or 4


class ShortExtensionUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for uploads above ``FILE_UPLOAD_MAX_MEMORY_SIZE``, safe for long names.

    Django names the temporary file ``tmp…`` + ``.upload`` + the client's extension, so a name
    like ``photo.jjj…`` with a ~240-byte "extension" is too long for the file system: an
    ``OSError`` while the request is parsed, a 500 before any form runs (Django ticket #37292).
    The extension is cut to 16 characters here; the form field still refuses it by name, and
    stored names are rebuilt from the content anyway.
    """

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        root, ext = os.path.splitext(file_name)
        if len(ext) > _MAX_EXTENSION + 1:
            file_name = root + ext[: _MAX_EXTENSION + 1]
        super().new_file(field_name, file_name, *args, **kwargs)


class UploadErrorMiddleware:
    """A form post Django's multipart parser refuses gets a page that says why, not a bare
    "Bad Request (400)".

    The parser caps one part's headers at 1 KB, so a file name of several hundred characters
    (about 300 Chinese ones) ends the request before any view runs. The admin's script
    shortens such names before sending (``admin-progress.js``); this covers every other
    client. Must come before ``CsrfViewMiddleware``, the first to read ``request.POST``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018 - parse here, where a refusal can be explained
            except MultiPartParserError as exc:
                return self.refused(request, exc)
        return self.get_response(request)

    def refused(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        html = render_to_string("gan_imaging/upload_refused.html", {
            "title": _("The upload could not be read"),
            "reason": _("The file name is too long, or the form was sent in a way the server "
                        "cannot read. Rename the file to something shorter (under 100 "
                        "characters) and upload it again."),
            "back": back,
        }, request=request)
        return HttpResponseBadRequest(html)
