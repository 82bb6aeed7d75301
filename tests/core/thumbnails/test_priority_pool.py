"""The encode pool: dearer queued tasks first, errors to the waiter, no task lost on exit."""

import threading

import pytest

from gan_imaging.core.pipelines.priority_pool import PriorityPool


def test_an_idle_worker_takes_the_highest_priority_task_first():
    gate, ran = threading.Event(), []
    with PriorityPool(1) as pool:
        pool.submit(gate.wait)  # holds the only worker while the rest queue up
        for name, priority in (("low", 1.0), ("high", 9.0), ("mid", 5.0), ("mid-later", 5.0)):
            pool.submit(ran.append, name, priority=priority)
        gate.set()
    assert ran == ["high", "mid", "mid-later", "low"]


def test_an_error_reaches_whoever_waits_and_the_pool_goes_on():
    with PriorityPool(2) as pool:
        bad = pool.submit(int, "not a number")
        good = pool.submit(sum, [1, 2, 3])
    with pytest.raises(ValueError):
        bad.result()
    assert good.result() == 6


def test_leaving_the_pool_waits_for_tasks_that_running_tasks_queue():
    done = []

    def chain(n: int) -> None:
        done.append(n)
        if n < 5:
            pool.submit(chain, n + 1)

    with PriorityPool(2) as pool:
        pool.submit(chain, 0)
    assert done == [0, 1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError):
        pool.submit(sum, [])
