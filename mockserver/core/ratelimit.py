"""A rolling-window request limit per API key, shared by every worker process (SQLite in the state dir).

Why a log of hits rather than a counter per minute: the spec says "per rolling 60 s"; aligned buckets would let
twice the limit through across a boundary, and would make a test that sends limit + 1 requests flaky. Each hit
gets the next number of its key, and its time never goes below the previous hit's, so the hits inside the
window are a run of numbers: counting them is two index look-ups, whatever the limit (a benchmark raising it to
millions costs nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .shared_sqlite import SharedSqlite

TRIM_EVERY = 64  # hits older than the window are never counted; deleting them now and then keeps the table small
_FIRST = "FROM rolling_hits WHERE scope = :scope AND at > :cutoff ORDER BY at, n LIMIT 1"
# The key's last hit and the window's first, one index look-up each (a row of NULLs where there is none).
_WINDOW = ("SELECT last.n AS last_n, last.at AS last_at, first.n AS first_n, first.at AS first_at FROM (SELECT 1)"
           " LEFT JOIN (SELECT n, at FROM rolling_hits WHERE scope = :scope ORDER BY n DESC LIMIT 1) AS last"
           f" LEFT JOIN (SELECT n, at {_FIRST}) AS first")
_IN_WINDOW = "COALESCE(last_n - first_n + 1, 0)"
HIT = ("INSERT INTO rolling_hits (scope, n, at)"
       " SELECT :scope, COALESCE(last_n, 0) + 1, MAX(:now, COALESCE(last_at, :now))"
       f" FROM ({_WINDOW}) WHERE {_IN_WINDOW} < :limit RETURNING n, (SELECT n {_FIRST}), (SELECT at {_FIRST})")
PEEK = f"SELECT {_IN_WINDOW}, first_at FROM ({_WINDOW})"


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, how many more may in this window, and seconds until a slot frees up."""

    allowed: bool
    limit: int
    remaining: int
    reset: int


class _HitsDb(SharedSqlite):
    """Per-thread, fork-safe connections over one table of hits; ``synchronous=OFF``: a rate-limit log that
    loses its last second to a power cut loses nothing anyone needs, and each request writes one hit."""

    SCHEMA = ("CREATE TABLE IF NOT EXISTS rolling_hits (scope TEXT NOT NULL, n INTEGER NOT NULL,"
              " at REAL NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID;"
              " CREATE INDEX IF NOT EXISTS rolling_hits_by_time ON rolling_hits (scope, at)")

    def __init__(self, path: Path) -> None:
        super().__init__(path, self.SCHEMA, synchronous="OFF")

    def clear(self) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM rolling_hits")


class RateLimiter:
    """Hits per scope within the last ``window`` seconds; refused requests are not counted."""

    def __init__(self, path: Path) -> None:
        self._db = _HitsDb(path)

    def hit(self, scope: str, limit: int, window: float, now: float) -> Decision:
        """Count one request if the window has room: one INSERT that checks the count itself, so two
        processes can never both take the last slot."""
        conn = self._db.connection()
        added = conn.execute(HIT, {"scope": scope, "now": now, "cutoff": now - window, "limit": limit}).fetchall()
        if not added:
            return self.peek(scope, limit, window, now, allowed=False)
        n, first_n, first_at = added[0]
        if n % TRIM_EVERY == 0:
            conn.execute("DELETE FROM rolling_hits WHERE scope = ? AND at <= ?", (scope, now - window))
        # The window's first hit is this one when the window was empty (whether or not the subquery saw it).
        count = n - first_n + 1 if first_n is not None else 1
        return _decision(True, limit, count, first_at if first_at is not None else now, window, now)

    def peek(self, scope: str, limit: int, window: float, now: float, allowed: bool | None = None) -> Decision:
        """The window as it stands, counting nothing (for the headers of a request already admitted)."""
        count, oldest = self._db.connection().execute(PEEK, {"scope": scope, "cutoff": now - window}).fetchone()
        return _decision(count <= limit if allowed is None else allowed, limit, count,
                         oldest if oldest is not None else now, window, now)

    def reset(self) -> None:
        self._db.clear()


def _decision(allowed: bool, limit: int, count: int, oldest: float, window: float, now: float) -> Decision:
    return Decision(allowed, limit, max(0, limit - count), max(1, math.ceil(oldest + window - now)))
