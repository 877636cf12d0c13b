"""Bound the memory of image work in flight, whatever clients send at once.

Every decoded input and every rendered output costs memory in proportion to its pixels (decoded planes,
the segmenter's float maps, the composited and encoded output). Before that work starts, the request
reserves its estimate from this process's share of the server's budget (``MockConfig.work_memory_bytes``
split across ``MockConfig.workers``) and holds it until its answer is built; a request that does not fit
waits for others to finish. One request larger than the whole share runs alone. A request's later
reservations (a second image, its output) are added without waiting: waiting while holding could deadlock,
and the overshoot is bounded by one request's own work. Once the process has been idle of image work for a
moment after big pieces of it, it hands its freed memory back to the kernel (glibc keeps it otherwise, in one
arena per thread, and the resident size of a busy server only grows); between requests that follow each other
closely the memory is reused instead, so a test suite's next image does not fault its buffers in again. A
weighted semaphore is all this needs; ``threading`` has none, hence this small class.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator

from . import malloc

# Peak bytes of image work per pixel, measured by benchmarks/bench_hostile.py (Photoroom /v2/edit on a
# 7000x7000 input, the costliest path: ~35 bytes per input pixel); rounded up.
BYTES_PER_PIXEL = 40
TRIM_AFTER = 64 * 2**20  # freed bytes of image work after which an idle process returns memory to the kernel
IDLE_BEFORE_TRIM = 0.2  # seconds without image work before that happens


class WorkGate:
    """A weighted semaphore over estimated bytes."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = max(1, budget_bytes)
        self._used = 0
        self._peak = 0
        self._freed = 0
        self._idle_since = 0.0
        self._trimmer: threading.Thread | None = None
        self._cond = threading.Condition()

    def acquire(self, amount: int, wait: bool = True) -> int:
        """Wait until ``amount`` bytes fit (or nothing else runs); returns what was taken."""
        amount = max(0, min(amount, self.budget))
        with self._cond:
            while wait and self._used and self._used + amount > self.budget:
                self._cond.wait()
            self._used += amount
            self._peak = max(self._peak, self._used)
        return amount

    def release(self, amount: int) -> None:
        with self._cond:
            self._used -= amount
            self._freed += amount
            if self._used == 0 and self._freed >= TRIM_AFTER and malloc.available():
                self._idle_since = time.monotonic()
                if self._trimmer is None:
                    self._trimmer = threading.Thread(target=self._trim_when_idle, name="segmock-trim", daemon=True)
                    self._trimmer.start()
            self._cond.notify_all()

    def _trim_when_idle(self) -> None:
        """Wait until no image work has run for ``IDLE_BEFORE_TRIM``, trim once, and end (a later burst starts
        another): a gate that does no big work again holds no thread."""
        with self._cond:
            while True:
                wait = self._idle_since + IDLE_BEFORE_TRIM - time.monotonic()
                if self._used == 0 and wait <= 0:
                    break
                self._cond.wait(wait if self._used == 0 else None)
            self._freed = 0
            self._trimmer = None
        malloc.trim()

    @property
    def in_use(self) -> int:
        return self._used

    @property
    def peak(self) -> int:
        """The most bytes ever held at once (for benchmarks and tests)."""
        return self._peak

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """Scope of one request: what it reserves is released when it ends."""
        taken: list[int] = []
        token = _held.set((self, taken))
        try:
            yield
        finally:
            _held.reset(token)
            for amount in taken:
                self.release(amount)


_held: contextvars.ContextVar[tuple[WorkGate, list[int]] | None] = contextvars.ContextVar("segmock_work", default=None)


def reserve(pixels: int) -> None:
    """Reserve the memory of ``pixels`` of image work for the current request (no-op outside a request)."""
    current = _held.get()
    if current is None or pixels <= 0:
        return
    gate, taken = current
    taken.append(gate.acquire(pixels * BYTES_PER_PIXEL, wait=not taken))
