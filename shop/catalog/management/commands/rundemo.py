"""``manage.py rundemo [--port 8000]``: the web server and a Celery worker (with beat for the
sweeper) as child processes, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gan_imaging.conf import gan_settings


class Command(BaseCommand):
    help = "Run the demo: web server + Celery worker + beat. Ctrl-C stops everything."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        py = sys.executable
        data = settings.DATA_DIR
        worker = subprocess.Popen(
            [py, "-m", "celery", "-A", "shop", "worker", "-B", "--loglevel", "INFO",
             "-Q", ",".join(gan_settings.QUEUES.values()),
             "--concurrency", "2", "--schedule", str(data / "celerybeat-schedule"),
             "--without-gossip", "--without-mingle"],
        )
        web = subprocess.Popen(
            [py, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            cwd=settings.BASE_DIR,
        )
        self.stdout.write(f"\nDemo shop: http://{host}:{port}/   admin: http://{host}:{port}/admin/\n")
        children = [worker, web]

        def stop(*_: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
