"""Journal entries promised but not yet written, as every worker process sees them.

Why: under ``segmock serve`` an exchange is journaled after its answer has left, while the client reads it,
so the client never waits for the INSERT. A test that reads the journal right after its call could then look
before the row lands, through another connection, thread or worker. So each pending entry holds a shared
``flock`` on one file in the state directory from before its answer leaves until its row is written, and a
reader takes the exclusive lock for an instant first, which waits for every pending entry (two system calls
per request; nothing is written).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger("segmock")


class InFlight:
    """Shared holds by writers with work pending, an instant's exclusive lock for readers."""

    def __init__(self, path: Path, patience: float = 5.0) -> None:
        self.path = path
        self.patience = patience
        self._local = threading.local()

    def _fd(self, role: str) -> int:
        """This thread's descriptor for ``role`` (a flock belongs to its open file, so a thread holding its
        writer's lock can still ask for the reader's). Reopened after a fork: a parent's open file is shared."""
        fds = getattr(self._local, "fds", None)
        if fds is None or fds[0] != os.getpid():
            fds = self._local.fds = (os.getpid(), {})
        fd = fds[1].get(role)
        if fd is None:
            fd = fds[1][role] = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return fd

    def hold(self) -> None:
        fcntl.flock(self._fd("writer"), fcntl.LOCK_SH)

    def release(self) -> None:
        fcntl.flock(self._fd("writer"), fcntl.LOCK_UN)

    def settle(self) -> None:
        """Wait until no entry is pending (at most ``patience`` seconds: a stuck writer delays, never blocks)."""
        fd = self._fd("reader")
        deadline = time.monotonic() + self.patience
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.warning("segmock journal: an entry still pending after %.0f s; reading without it",
                                self.patience)
                    return
                time.sleep(0.0005)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return
