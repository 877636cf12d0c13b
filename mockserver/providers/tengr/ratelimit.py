"""A rolling-window request limit per API key, shared by every worker process (SQLite in the state dir).

Why a log of hits rather than a counter per minute: the spec says "per rolling 60 s"; aligned buckets would let
twice the limit through across a boundary, and would make a test that sends limit + 1 requests flaky.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ...jobs.db import Database


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, how many more may in this window, and seconds until a slot frees up."""

    allowed: bool
    limit: int
    remaining: int
    reset: int


class _HitsDb(Database):
    """The job engine's SQLite handling (per-thread, fork-safe connections, ``BEGIN IMMEDIATE`` writes) over
    one table of hits."""

    def _init_schema(self) -> None:
        self.connection().execute("PRAGMA journal_mode=WAL")
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS hits (scope TEXT NOT NULL, at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS hits_by_scope ON hits (scope, at)")

    def clear(self) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM hits")


class RateLimiter:
    """Hits per scope within the last ``window`` seconds; refused requests are not counted."""

    def __init__(self, path: Path) -> None:
        self._db = _HitsDb(path)

    def hit(self, scope: str, limit: int, window: float, now: float) -> Decision:
        """Count one request if the window has room (atomically across processes)."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM hits WHERE scope = ? AND at <= ?", (scope, now - window))
            count, oldest = conn.execute("SELECT COUNT(*), MIN(at) FROM hits WHERE scope = ?", (scope,)).fetchone()
            allowed = count < limit
            if allowed:
                conn.execute("INSERT INTO hits (scope, at) VALUES (?, ?)", (scope, now))
                count += 1
        return _decision(allowed, limit, count, oldest if oldest is not None else now, window, now)

    def peek(self, scope: str, limit: int, window: float, now: float) -> Decision:
        """The window as it stands, counting nothing (for the headers of a request already admitted)."""
        with self._db.read() as conn:
            count, oldest = conn.execute(
                "SELECT COUNT(*), MIN(at) FROM hits WHERE scope = ? AND at > ?", (scope, now - window)
            ).fetchone()
        return _decision(count <= limit, limit, count, oldest if oldest is not None else now, window, now)

    def reset(self) -> None:
        self._db.clear()


def _decision(allowed: bool, limit: int, count: int, oldest: float, window: float, now: float) -> Decision:
    return Decision(allowed, limit, max(0, limit - count), max(1, math.ceil(oldest + window - now)))
