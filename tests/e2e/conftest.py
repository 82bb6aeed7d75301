"""Browser tests reuse the app fixtures: media folder, Redis, a real worker."""

import os

from tests.app.conftest import (  # noqa: F401 - fixtures
    _media,
    _memory_broker,
    celery_worker,
    media_root,
    redis_server,
)

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the test
# itself makes are still synchronous, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
