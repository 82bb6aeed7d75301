"""Shoppers' try-on photos are personal data: who may see them, how fast they may arrive, and
when they go.

- Ownership: a row keeps a keyed hash of the uploading session (never the session key) and
  of the client's address; only a request from that session finds the row.
- Links: a photo or result is served through a signed link (``TRYON_URL_MAX_AGE`` s) that
  names the row and the file and is checked against the session again when used.
- Limits: uploads per session and per address in a window (``TRYON_RATE_LIMITS``), counted
  from the rows themselves (a deleted photo still counts until its row expires).
- Deletion: at once by the shopper (files first, the row kept without them for the rate
  limits), and by the sweeper at ``expires_at`` (row and files), including any file under
  ``TRYON_PREFIX`` that no row names any more and is older than ``TRYON_TTL``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from gan_imaging.conf import gan_settings
from gan_imaging.core.errors import GanImagingError, gettext_noop
from gan_imaging.models import TryOn, TryOnStatus

log = logging.getLogger("gan_imaging.tryon")

_SALT = "gan_imaging.tryon"
FILES = ("photo", "result")


class RateLimited(GanImagingError):
    """Too many photos from one session or address in the window."""

    code = "rate_limited"


class NotFound(GanImagingError):
    """No such try-on for this session (or its link is forged or has expired)."""

    code = "not_found"


def tryon_storage() -> Storage:
    return storages[gan_settings.TRYON_STORAGE]


def owner_hash(value: str, purpose: str) -> str:
    """A keyed hash (hex, 64 characters) of a session key or an address: rows can be matched
    to a session without storing anything that would let someone take it over."""
    return salted_hmac(f"{_SALT}.{purpose}", value, algorithm="sha256").hexdigest()


def check_rate(session_hash: str, ip_hash: str, *, now: Any = None) -> None:
    """Raise :class:`RateLimited` when the session or the address has uploaded the most
    photos ``TRYON_RATE_LIMITS`` allows in its window."""
    now = now or timezone.now()
    limits = dict(gan_settings.TRYON_RATE_LIMITS)
    for key, field, value in (("session", "session_hash", session_hash),
                              ("ip", "ip_hash", ip_hash)):  # fmt: skip
        if key not in limits:
            continue
        count, seconds = int(limits[key][0]), int(limits[key][1])
        since = now - timedelta(seconds=seconds)
        used = TryOn.objects.filter(**{field: value}, created_at__gte=since).count()
        if used >= count:
            raise RateLimited(gettext_noop(
                "You have tried on %(count)s photos in a short time. Please wait a while, or "
                "delete photos you no longer need, and try again later."),
                params={"count": count})


def owned(tryon_id: Any, session_hash: str) -> TryOn:
    """The session's try-on (not deleted and not expired); :class:`NotFound` otherwise, the
    same whether the row does not exist or belongs to another session."""
    row = TryOn.objects.filter(pk=tryon_id, expires_at__gt=timezone.now()).exclude(
        status=TryOnStatus.DELETED).first()
    if row is None or not constant_time_compare(row.session_hash, session_hash):
        raise NotFound(gettext_noop("This photo is no longer available."))
    return row


def sign(row: TryOn, which: str) -> str:
    """A token for the row's ``which`` file ("photo" or "result"), valid for
    ``TRYON_URL_MAX_AGE`` seconds and for the row's session only."""
    name = getattr(row, which)
    return signing.dumps({"t": str(row.pk), "f": which, "n": name[-12:]}, salt=_SALT,
                         compress=False)


def open_signed(token: str, session_hash: str) -> tuple[TryOn, str, bytes]:
    """The row, which file and its bytes for a signed token used by ``session_hash``;
    :class:`NotFound` for a forged, expired or foreign token, or a file since replaced."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=int(gan_settings.TRYON_URL_MAX_AGE))
        tryon_id, which, tail = data["t"], data["f"], data["n"]
    except (signing.BadSignature, KeyError, TypeError):
        raise NotFound(gettext_noop("This link has expired; reload the page.")) from None
    if which not in FILES:
        raise NotFound(gettext_noop("This link has expired; reload the page."))
    row = owned(tryon_id, session_hash)
    name = getattr(row, which)
    if not name or name[-12:] != tail:
        raise NotFound(gettext_noop("This photo is no longer available."))
    try:
        with tryon_storage().open(name, "rb") as fh:
            return row, which, fh.read()
    except OSError:
        raise NotFound(gettext_noop("This photo is no longer available.")) from None


def _delete_files(names: list[str]) -> None:
    storage = tryon_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            log.warning("could not delete try-on file %s", name, exc_info=True)


def delete_now(row: TryOn) -> None:
    """The shopper's "Delete": the photo and result files go at once; the row stays, without
    them, until it expires (so deleting does not reset the rate limits)."""
    names = [row.photo, row.result]
    TryOn.objects.filter(pk=row.pk).update(status=TryOnStatus.DELETED, photo="", result="",
                                           pose={}, meta={})  # fmt: skip
    _delete_files(names)


def expire(*, now: Any = None, limit: int = 500) -> int:
    """Delete try-ons past ``expires_at`` (rows and files) and files under ``TRYON_PREFIX``
    that no row names and that are older than ``TRYON_TTL``. Returns the rows deleted."""
    now = now or timezone.now()
    rows = list(TryOn.objects.filter(expires_at__lte=now).values_list("pk", "photo", "result")
                [:limit])
    ids = [pk for pk, _p, _r in rows]
    TryOn.objects.filter(pk__in=ids).delete()
    _delete_files([n for _pk, p, r in rows for n in (p, r)])
    _delete_orphans(now)
    return len(ids)


def _delete_orphans(now: Any) -> None:
    """Files a crashed request or worker left behind (stored, but its row never committed)."""
    storage, prefix = tryon_storage(), str(gan_settings.TRYON_PREFIX).strip("/")
    try:
        _dirs, files = storage.listdir(prefix)
    except (OSError, NotImplementedError):
        return
    if not files:
        return
    names = {f"{prefix}/{f}" for f in files}
    named = set(TryOn.objects.filter(photo__in=names).values_list("photo", flat=True))
    named |= set(TryOn.objects.filter(result__in=names).values_list("result", flat=True))
    cutoff = now - timedelta(seconds=int(gan_settings.TRYON_TTL))
    for name in sorted(names - named):
        try:
            if storage.get_modified_time(name) < cutoff:
                storage.delete(name)
        except (OSError, NotImplementedError):
            continue
