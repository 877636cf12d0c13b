"""A rolling-window request limit per API key, shared by every worker process (SQLite in the state dir).

Why a log of hits rather than a counter per minute: the spec says "per rolling 60 s"; aligned buckets would let
twice the limit through across a boundary, and would make a test that sends limit + 1 requests flaky.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, how many more may in this window, and seconds until a slot frees up."""

    allowed: bool
    limit: int
    remaining: int
    reset: int


class RateLimiter:
    """Hits per scope within the last ``window`` seconds; refused requests are not counted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conn().execute("CREATE TABLE IF NOT EXISTS hits (scope TEXT NOT NULL, at REAL NOT NULL)")
        self._conn().execute("CREATE INDEX IF NOT EXISTS hits_by_scope ON hits (scope, at)")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def hit(self, scope: str, limit: int, window: float, now: float) -> Decision:
        """Count one request if the window has room (atomically across processes)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM hits WHERE scope = ? AND at <= ?", (scope, now - window))
            count, oldest = conn.execute("SELECT COUNT(*), MIN(at) FROM hits WHERE scope = ?", (scope,)).fetchone()
            allowed = count < limit
            if allowed:
                conn.execute("INSERT INTO hits (scope, at) VALUES (?, ?)", (scope, now))
                count += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return _decision(allowed, limit, count, oldest if oldest is not None else now, window, now)

    def peek(self, scope: str, limit: int, window: float, now: float) -> Decision:
        """The window as it stands, counting nothing (for the headers of a request already admitted)."""
        count, oldest = self._conn().execute(
            "SELECT COUNT(*), MIN(at) FROM hits WHERE scope = ? AND at > ?", (scope, now - window)
        ).fetchone()
        return _decision(count <= limit, limit, count, oldest if oldest is not None else now, window, now)

    def reset(self) -> None:
        self._conn().execute("DELETE FROM hits")


def _decision(allowed: bool, limit: int, count: int, oldest: float, window: float, now: float) -> Decision:
    return Decision(allowed, limit, max(0, limit - count), max(1, math.ceil(oldest + window - now)))
