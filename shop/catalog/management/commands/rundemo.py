"""``manage.py rundemo [--port 8000]``: the web server and three Celery workers as child
processes, until Ctrl-C.

The workers follow the production layout at demo scale: one consumes the CPU queue
(thumbnails, with beat for the sweeper), one the GPU queue (renders, banners, training) with a
non-forking pool, so a thumbnail never waits behind a minute of generative work; without a GPU
the second runs at a lower CPU priority (nice 10) so thumbnails keep their core. The third
takes shoppers' try-on renders only (the ``tryon`` queue, a shopper is waiting on the page):
one solo process at normal priority, so a render never queues behind merchants' work.

Children run in their own sessions: Ctrl-C reaches this command only, which stops them itself:
a warm shutdown for a few seconds, then a hard stop of a worker still inside a job (the next
start takes such a job back at once), so the demo ends within a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gan_imaging.conf import gan_settings

#: Most thumbnail children the demo's CPU worker starts (one per core below that): a burst of
#: uploads gets its previews in parallel.
CPU_CHILDREN = 2
#: Seconds children get to exit after SIGTERM, before they are killed.
STOP_GRACE_S = 3.0


def worker_commands(python: str, schedule: str) -> list[list[str]]:
    """The demo's worker command lines: the CPU queue (prefork, a child per core up to
    :data:`CPU_CHILDREN`, with beat), the GPU queue (solo pool) and the try-on queue (solo)."""
    common = [python, "-m", "celery", "-A", "shop", "worker", "--loglevel", "INFO",
              "--without-gossip", "--without-mingle"]
    queues = gan_settings.QUEUES
    return [
        [*common, "-Q", queues["cpu"], "--pool", "prefork",
         "--concurrency", str(max(1, min(CPU_CHILDREN, os.cpu_count() or 1))),
         "-n", "cpu@%h", "-B", "--schedule", schedule],
        [*common, "-Q", queues["gpu"], "--pool", "solo", "-n", "gpu@%h"],
        [*common, "-Q", queues.get("tryon", "gan_imaging.tryon"), "--pool", "solo",
         "-n", "tryon@%h"],
    ]


class Command(BaseCommand):
    help = ("Run the demo: web server + CPU, GPU and try-on queue Celery workers. "
            "Ctrl-C stops all.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        py = sys.executable
        schedule = str(settings.DATA_DIR / "celerybeat-schedule")
        cpu_cmd, gpu_cmd, tryon_cmd = worker_commands(py, schedule)
        workers = [
            subprocess.Popen(cpu_cmd, cwd=settings.BASE_DIR, start_new_session=True),
            # On a machine without a GPU the generative worker computes on the CPU too: a
            # lower priority keeps thumbnails (and the web server) responsive beside it.
            subprocess.Popen(gpu_cmd, cwd=settings.BASE_DIR, start_new_session=True,
                             preexec_fn=_lower_priority),
            # Shoppers wait for try-ons on the page: their own worker, normal priority.
            subprocess.Popen(tryon_cmd, cwd=settings.BASE_DIR, start_new_session=True),
        ]
        web = subprocess.Popen(
            [py, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            cwd=settings.BASE_DIR, start_new_session=True,
        )
        self.stdout.write(f"\nDemo shop: http://{host}:{port}/   admin: http://{host}:{port}/admin/"
                          "\nCtrl-C stops the web server and the workers.\n")
        stopping = False

        def request_stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)
        children = [web, *workers]
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            self.stdout.write("Stopping the demo…")
            for child in children:
                if child.poll() is None:
                    # The main process only: a worker shuts its own pool and beat down.
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_S
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    # A worker still inside a render: stop it hard. Its job keeps a lease that
                    # the next start takes back at once (gan_imaging.jobs.recover_local).
                    _stop(child, signal.SIGKILL)
                    child.wait()
            for child in children:
                _stop(child, signal.SIGKILL, group_only=True)  # pool children, beat


def _lower_priority() -> None:
    """In the child before exec: nice 10 when there is no GPU (a CUDA machine keeps 0)."""
    import shutil

    if shutil.which("nvidia-smi") is None:
        os.nice(10)


def _stop(child: subprocess.Popen, sig: int, *, group_only: bool = False) -> None:
    """Send ``sig`` to the child's whole process group (a worker, its pool and beat); with
    ``group_only`` also after the child itself has exited."""
    if child.poll() is not None and not group_only:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)
