"""The shop's Celery app with fault hooks, for the fault-injection suite's worker processes.

``GAN_FAULTS`` (JSON) in the worker's environment selects faults, installed in each pool child:
- ``{"slow": 3.0}``: the pipeline sleeps that many seconds before running (a window to kill it);
- ``{"storage_fail": N, "counter": "/path"}``: the first N output writes to the file storage,
  across all processes, raise ``OSError(ENOSPC)``; N = -1 fails every write;
- ``{"runs_log": "/path"}``: every full pipeline run (not a job's preview pass) appends the
  worker's pid to that file;
- ``{"oom": N, "counter": "/path"}``: the first N training runs raise CUDA out-of-memory
  (N = -1: every run).
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import os
import time

from celery.signals import worker_process_init

from shop.celery import app

__all__ = ["app"]

FAULTS = json.loads(os.environ.get("GAN_FAULTS", "{}"))


def _bump(path: str) -> int:
    """Atomically increment the integer in ``path``; returns the value before."""
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        before = int(fh.read() or 0)
        fh.seek(0)
        fh.truncate()
        fh.write(str(before + 1))
        return before


@worker_process_init.connect
def install(**kwargs: object) -> None:
    from gan_imaging.core.pipelines import PIPELINES

    pipeline = PIPELINES.get("thumbnails")
    real_run = pipeline.run

    def run(image, spec, ctx):
        # A job runs the pipeline twice (preview, then full): log the full pass only.
        final = pipeline.preview is None or pipeline.preview(spec) is not None
        if FAULTS.get("runs_log") and final:
            with open(FAULTS["runs_log"], "a") as fh:
                fh.write(f"{os.getpid()}\n")
        time.sleep(float(FAULTS.get("slow", 0)))
        return real_run(image, spec, ctx)

    PIPELINES._entries["thumbnails"] = dataclasses.replace(pipeline, run=run)

    if "oom" in FAULTS:
        # A CUDA out-of-memory error from the model call of a real GPU job kind (training).
        import torch

        import gan_imaging.core.gan as gan

        real_train = gan.train
        limit = int(FAULTS["oom"])

        def train(*args, **kwargs):
            if limit < 0 or _bump(FAULTS["counter"]) < limit:
                raise torch.cuda.OutOfMemoryError(
                    "CUDA out of memory. Tried to allocate 2.00 GiB (injected)"
                )
            return real_train(*args, **kwargs)

        gan.train = train

    if "storage_fail" in FAULTS:
        # At the storage backend, below gan_imaging, as a full disk would fail.
        from django.core.files.storage import FileSystemStorage

        real_save = FileSystemStorage._save
        limit = int(FAULTS["storage_fail"])

        def _save(self, name, content):
            if name.startswith("gan_imaging/") and (
                limit < 0 or _bump(FAULTS["counter"]) < limit
            ):
                raise OSError(errno.ENOSPC, "No space left on device (injected)")
            return real_save(self, name, content)

        FileSystemStorage._save = _save
