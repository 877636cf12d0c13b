"""The store's clock: real time plus an offset that tests move, shared by every process.

Why in the database: a test that calls ``clock.advance(9 * 86400)`` talks to one process, but the request that
must then answer 404 may land on another worker process; both read the same offset.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime

from .db import Database


class Clock:
    """Seconds since the epoch as the job store sees them."""

    def __init__(self, db: Database, wall: Callable[[], float] = time.time) -> None:
        self._db = db
        self._wall = wall

    def now(self, conn: sqlite3.Connection | None = None) -> float:
        """The store's time; pass ``conn`` to read it inside an open transaction."""
        conn = conn or self._db.connection()
        (offset,) = conn.execute("SELECT offset FROM clock WHERE id = 1").fetchone()
        return self._wall() + offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (or back, if negative) for every process; returns the new time."""
        with self._db.write() as conn:
            conn.execute("UPDATE clock SET offset = offset + ? WHERE id = 1", (float(seconds),))
            return self.now(conn)

    def set(self, when: float | datetime) -> None:
        """Make *now* equal ``when`` (epoch seconds or an aware datetime); time keeps running from there."""
        target = when.timestamp() if isinstance(when, datetime) else float(when)
        with self._db.write() as conn:
            conn.execute("UPDATE clock SET offset = ? WHERE id = 1", (target - self._wall(),))

    def reset(self) -> None:
        """Back to real time."""
        with self._db.write() as conn:
            conn.execute("UPDATE clock SET offset = 0.0 WHERE id = 1")

    def wall(self) -> float:
        """Real time, unaffected by the offset: what leases and retry backoff run on."""
        return self._wall()
