"""The work gate holds the estimated memory of image work in flight under its budget, whatever arrives."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from mockserver.core import malloc, workgate
from mockserver.core.workgate import BYTES_PER_PIXEL, WorkGate


def _request(gate: WorkGate, pixels: list[int], hold: float, seen: list[int]) -> None:
    with gate.request():
        for count in pixels:
            workgate.reserve(count)
        seen.append(gate.in_use)
        time.sleep(hold)


def test_concurrent_requests_never_hold_more_than_the_budget() -> None:
    gate = WorkGate(10 * BYTES_PER_PIXEL)
    seen: list[int] = []
    threads = [threading.Thread(target=_request, args=(gate, [4], 0.02, seen)) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(seen) == 16 and gate.in_use == 0
    assert gate.peak <= 10 * BYTES_PER_PIXEL  # two at a time at most, never three


def test_a_request_larger_than_the_budget_runs_alone_and_later_reservations_never_deadlock() -> None:
    gate = WorkGate(10 * BYTES_PER_PIXEL)
    seen: list[int] = []
    threads = [threading.Thread(target=_request, args=(gate, [100, 8], 0.01, seen)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(seen) == 4 and gate.in_use == 0  # each ran (alone: its first reservation fills the budget)


def test_outside_a_request_reserving_does_nothing() -> None:
    workgate.reserve(10**9)


def test_freed_memory_goes_back_to_the_kernel_once_idle_not_between_close_requests(monkeypatch: Any) -> None:
    trims: list[int] = []
    clock = [0.0]  # the gate's idea of time, moved by the test alone: no real delay decides anything
    monkeypatch.setattr(malloc, "trim", lambda: trims.append(0) or True)
    monkeypatch.setattr(malloc, "available", lambda: True)
    monkeypatch.setattr(workgate, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(workgate, "IDLE_BEFORE_TRIM", 0.05)
    gate = WorkGate(10**12)
    big = workgate.TRIM_AFTER // BYTES_PER_PIXEL + 1
    for _ in range(3):  # a burst of big requests: their buffers are reused, not handed back in between
        with gate.request():
            workgate.reserve(big)
    time.sleep(0.2)  # the trimmer wakes and finds the idle time not yet passed
    assert trims == []
    with gate.request():  # work in flight: no trim however long it lasts
        workgate.reserve(10)
        clock[0] += 1.0
        time.sleep(0.1)
        assert trims == []
    clock[0] += 1.0
    with gate._cond:
        gate._cond.notify_all()
    deadline = time.monotonic() + 5
    while not trims and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trims == [0]  # once, after the burst
    with gate.request():  # small work after that trims nothing more
        workgate.reserve(10)
    clock[0] += 1.0
    time.sleep(0.1)
    assert trims == [0]
