"""The mock's one rate limiter: the spec's ``x-segmock-rate-limit`` rule and a rolling window per API key,
shared by every worker process (SQLite in the state dir).

Every provider states its limit in one shape (see CONTRIBUTING): ``limit`` requests per ``window_seconds``
per key (null: none), optionally ``async_jobs`` (unfinished async jobs per key), ``operations`` (default:
every operation that needs a key), the headers sent on success and on 429, and ``aliases`` (the provider's
own word for a key, e.g. Photoroom's ``images_per_minute`` for ``limit``). ``MockConfig.rate_limits`` and
``segmock serve --rate-limit PROVIDER.KEY=N`` override ``limit``, ``window_seconds`` and ``async_jobs``.

Why a log of hits rather than a counter per minute: the spec says "per rolling 60 s"; aligned buckets would let
twice the limit through across a boundary, and would make a test that sends limit + 1 requests flaky. Each hit
gets the next number of its key, and its time never goes below the previous hit's, so the hits inside the
window are a run of numbers: counting them is two index look-ups, whatever the limit (a benchmark raising it to
millions costs nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import contracts

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


OVERRIDABLE = ("limit", "window_seconds", "async_jobs")


@dataclass(frozen=True)
class RateRule:
    """A provider's ``x-segmock-rate-limit`` with the configured overrides applied."""

    provider: str
    limit: int | None
    window: float
    async_jobs: int | None
    operations: frozenset[str] | None
    success_headers: tuple[str, ...]
    refusal_headers: tuple[str, ...]

    def applies(self, operation: str) -> bool:
        return self.limit is not None and (self.operations is None or operation in self.operations)

    def on_success(self, decision: Decision) -> dict[str, str]:
        """``X-RateLimit-*``-style headers for an admitted request (the names the spec lists)."""
        return {name: _header_value(name, decision) for name in self.success_headers}

    def on_refusal(self, decision: Decision) -> dict[str, str]:
        """``Retry-After``-style headers of a 429: seconds until a slot frees up."""
        return dict.fromkeys(self.refusal_headers, str(decision.reset))


def override_keys(provider: str) -> dict[str, str]:
    """The ``--rate-limit`` keys a provider accepts, each mapped to the rule key it sets (``ValueError`` when
    the provider is unknown or states no rate limit)."""
    if provider not in contracts.providers():
        raise ValueError(f"unknown provider {provider!r} (providers: {', '.join(contracts.providers())})")
    node = contracts.spec(provider).raw.get("x-segmock-rate-limit")
    if node is None:
        raise ValueError(f"{provider} states no rate limit (no x-segmock-rate-limit in its spec)")
    keys = {key: key for key in OVERRIDABLE if key in node}
    keys.update({alias: target for alias, target in (node.get("aliases") or {}).items() if target in keys})
    return keys


def checked_overrides(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``MockConfig.rate_limits`` with aliases resolved; ``ValueError`` naming an unknown provider, key or a
    value that is not a non-negative number."""
    out: dict[str, dict[str, Any]] = {}
    for provider, values in overrides.items():
        keys = override_keys(provider)
        for key, value in values.items():
            if key not in keys:
                raise ValueError(f"{provider} has no rate-limit key {key!r} (keys: {', '.join(sorted(keys))})")
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
                raise ValueError(f"rate limit {provider}.{key} must be a non-negative number, not {value!r}")
            out.setdefault(provider, {})[keys[key]] = value
    return out


def rate_rule(provider: str, overrides: Mapping[str, Any] | None = None) -> RateRule | None:
    """The provider's rule (None when its spec states no rate limit)."""
    node = contracts.spec(provider).raw.get("x-segmock-rate-limit")
    if node is None:
        return None
    values = {k: node.get(k) for k in OVERRIDABLE}
    values.update(checked_overrides({provider: overrides or {}}).get(provider, {}))
    operations = node.get("operations")
    return RateRule(provider, _count(values["limit"]), float(values["window_seconds"] or 60),
                    _count(values["async_jobs"]), None if operations is None else frozenset(operations),
                    tuple(node.get("headers_on_success") or ()), tuple(node.get("headers_on_429") or ()))


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _header_value(name: str, decision: Decision) -> str:
    lowered = name.lower()
    if lowered.endswith("-limit"):
        return str(decision.limit)
    if lowered.endswith("-remaining"):
        return str(decision.remaining)
    return str(decision.reset)
