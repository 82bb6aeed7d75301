"""App test fixtures: an isolated media folder, a memory broker by default, and for
integration tests a throwaway ``redis-server`` plus a real Celery worker process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def use_broker(url: str) -> str:
    """Point the shop's Celery app at ``url`` in this process (drops pooled connections);
    returns the URL it used before, for the caller to restore."""
    from shop.celery import app

    previous = app.conf.broker_url
    # kombu keeps one pool per URL globally; forget ours (closing it would poison kombu's).
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_transport_options = (
        {"socket_timeout": 5, "socket_connect_timeout": 3, "visibility_timeout": 1800}
        if url.startswith("redis")
        else {}
    )
    return previous


@pytest.fixture(scope="session", autouse=True)
def _memory_broker():
    use_broker("memory://")
    yield


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _language_reset():
    """A request with Accept-Language: zh-hans leaves Chinese active in this thread (the locale
    middleware activates it and nothing deactivates it in the test client): reset after each
    test so later tests read English messages."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _media(settings, media_root):
    settings.MEDIA_ROOT = str(media_root)
    yield


@pytest.fixture(autouse=True)
def _thumbnails_only(request, settings):
    """The demo shop makes thumbnails, renders and banners on upload, with super-resolution
    when needed. Most app tests are about the job machinery: they get thumbnails only, without
    upscaling; tests marked ``all_outputs`` keep the shop's settings."""
    if request.node.get_closest_marker("all_outputs") is None:
        settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": ["thumbnails"],
                                "UPSCALE": "never"}
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    # Under CI a missing dependency is a failure, never a silent skip.
    if os.environ.get("CI") == "true":
        pytest.fail(f"integration prerequisite missing under CI: {reason}")
    pytest.skip(reason)


class RedisServer:
    """A throwaway redis-server without persistence on a free loopback port."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        """Stop and start on the same port; without persistence every message is lost."""
        self.stop()
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        _unavailable("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


class Worker:
    """A real ``celery worker`` process on the test database, media folder and broker."""

    def __init__(self, *, broker: str, db_name: str, media: Path, data: Path, log: Path,
                 app: str = "shop", concurrency: int = 1, env: dict[str, str] | None = None,
                 pool: str = "prefork"):
        self.app, self.concurrency, self.pool = app, concurrency, pool
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings",
            "GAN_SHOP_BROKER_URL": broker,
            "GAN_SHOP_DB_NAME": db_name,
            "GAN_SHOP_MEDIA_ROOT": str(media),
            "GAN_SHOP_DATA_DIR": str(data),
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self._fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", self.app, "worker", "-P", self.pool,
             "-c", str(self.concurrency),
             "-Q", "gan_imaging.cpu,gan_imaging.gpu,gan_imaging.tryon",
             "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "INFO", "-n", f"test{os.getpid()}@%h"],
            cwd=ROOT, env=self.env, stdout=self._fh, stderr=subprocess.STDOUT,
            start_new_session=True,  # so a test can kill the whole worker process group
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()[-3000:]}")
            if b" ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not become ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._fh.close()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_server, media_root,
                  tmp_path_factory):
    from django.conf import settings

    data = tmp_path_factory.mktemp("worker")
    worker = Worker(
        broker=redis_server.url,
        db_name=settings.DATABASES["default"]["NAME"],
        media=media_root,
        data=data,
        log=data / "worker.log",
    )
    use_broker(redis_server.url)
    worker.start()
    yield worker
    worker.stop()
    use_broker("memory://")


def wait_for_jobs(queryset, timeout: float = 60.0):
    """Poll until every job in ``queryset`` is finished; returns the final list."""
    from gan_imaging.models import ACTIVE_STATUSES

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = list(queryset.all())
        if jobs and not any(j.status in ACTIVE_STATUSES for j in jobs):
            return jobs
        time.sleep(0.25)
    raise AssertionError(f"jobs still active after {timeout}s: {list(queryset.values())}")
