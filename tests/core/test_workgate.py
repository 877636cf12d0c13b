"""The work gate holds the estimated memory of image work in flight under its budget, whatever arrives."""

from __future__ import annotations

import threading
import time

from mockserver.core import workgate
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
