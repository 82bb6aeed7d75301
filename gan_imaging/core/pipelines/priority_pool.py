"""A thread pool whose idle workers take the queued task of highest priority.

The thumbnail encodes are a few dozen tasks of very different cost (a 1920 px AVIF costs ~40×
a 320 px JPEG) with dependencies between them; a FIFO pool leaves the largest encode of the
last chain running alone while the other cores idle. Taking the most expensive ready task
first (longest-processing-time-first scheduling) keeps the tail short.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class PriorityPool:
    """``workers`` threads (≥ 1); :meth:`submit` queues ``fn(*args)`` with a ``priority``
    (higher runs first; equal priorities in submission order). Use as a context manager: on
    exit it waits for every queued and running task, including those submitted meanwhile."""

    def __init__(self, workers: int):
        self._heap: list[tuple[float, int, Future[Any], Callable[..., Any], tuple[Any, ...]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._closing = False
        self._running = 0
        self._threads = [threading.Thread(target=self._work, daemon=True)
                         for _ in range(max(1, workers))]  # fmt: skip
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[..., T], *args: Any, priority: float = 0.0) -> Future[T]:
        future: Future[T] = Future()
        with self._cond:
            if self._closing:
                raise RuntimeError("cannot schedule new tasks after shutdown")
            heapq.heappush(self._heap, (-priority, next(self._order), future, fn, args))
            self._cond.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._closing:
                    self._cond.wait()
                if not self._heap:
                    return
                _p, _n, future, fn, args = heapq.heappop(self._heap)
                self._running += 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args)
                    except BaseException as exc:  # noqa: BLE001 - for whoever waits on it
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def shutdown(self) -> None:
        """Wait until nothing is queued or running (a running task may queue more), then
        stop the workers."""
        with self._cond:
            while self._heap or self._running:
                self._cond.wait()
            self._closing = True
            self._cond.notify_all()
        for t in self._threads:
            t.join()

    def __enter__(self) -> PriorityPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
