"""The request thread pool behind ``segmock serve``: a ``concurrent.futures`` executor that reuses its warmest
thread, runs overlapping requests side by side, queues beyond its size and shuts down cleanly."""

from __future__ import annotations

import threading

import pytest

from mockserver.warmpool import WarmPool


def test_results_exceptions_and_done_callbacks_arrive_as_with_a_thread_pool() -> None:
    pool = WarmPool(4)
    done: list[object] = []
    ok = pool.submit(lambda a, b=0: a + b, 2, b=3)
    ok.add_done_callback(lambda f: done.append(f.result()))
    failed = pool.submit(lambda: 1 / 0)
    assert ok.result(timeout=5) == 5
    with pytest.raises(ZeroDivisionError):
        failed.result(timeout=5)
    pool.shutdown()
    assert done == [5]


def test_a_sequential_caller_is_served_by_one_thread_once_all_threads_exist() -> None:
    pool = WarmPool(8)
    _start_all_threads(pool, 8)
    names = {pool.submit(lambda: threading.get_ident()).result(timeout=5) for _ in range(50)}
    pool.shutdown()
    assert len(names) == 1


def _start_all_threads(pool: object, size: int) -> None:
    """Busy every thread at once (as overlapping requests do), so the pool holds ``size`` idle threads after."""
    barrier = threading.Barrier(size + 1)
    futures = [pool.submit(barrier.wait, 5) for _ in range(size)]  # type: ignore[attr-defined]
    barrier.wait(5)
    for future in futures:
        future.result(timeout=5)


def test_overlapping_work_runs_side_by_side_up_to_the_size_then_waits_its_turn() -> None:
    pool = WarmPool(3)
    release = threading.Event()
    started = threading.Semaphore(0)

    def blocked(i: int) -> int:
        started.release()
        assert release.wait(10)
        return i

    futures = [pool.submit(blocked, i) for i in range(5)]
    for _ in range(3):
        assert started.acquire(timeout=5)  # three run at once ...
    assert not started.acquire(timeout=0.2)  # ... the other two wait for a free thread
    assert pool.waiting  # (which a thread holding on to an idle connection is told, so it can let go)
    release.set()
    assert [f.result(timeout=5) for f in futures] == [0, 1, 2, 3, 4]
    assert not pool.waiting
    pool.shutdown()
    assert len(pool._threads) == 3


def test_shutdown_finishes_queued_work_or_cancels_it_when_asked() -> None:
    gate = threading.Event()
    pool = WarmPool(1)
    running = pool.submit(gate.wait, 10)
    queued = pool.submit(lambda: "later")
    gate.set()
    pool.shutdown(wait=True)
    assert running.result() is True and queued.result() == "later"
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)

    gate = threading.Event()
    pool = WarmPool(1)
    running = pool.submit(gate.wait, 10)
    dropped = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    assert running.result(timeout=5) is True
    assert dropped.cancelled()
    assert all(not t.is_alive() for t in _joined(pool))


def _joined(pool: WarmPool) -> list[threading.Thread]:
    for thread in pool._threads:
        thread.join(5)
    return pool._threads
