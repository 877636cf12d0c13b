"""What handlers need besides the request: config, segmenter, job store, shared counters, URL fetching.

One ``Services`` object lives on each app (``app.extensions["segmock"]``); nothing is module-global, so
two apps in one process (a fixture and a test's own app) never share state by accident.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MockConfig
from .fetch import FetchPolicy, fetch
from .keys import owner_key
from .outbound import FETCH_KINDS, PRIVATE_WEBHOOK_KINDS, WEBHOOK_KINDS, AddressPolicy
from .ratelimit import Decision, RateLimiter, RateRule, rate_rule
from .shared_sqlite import SharedSqlite
from .workgate import WorkGate

if TYPE_CHECKING:
    from .provider import ProviderDef

def rate_scope(provider: str, key: str) -> str:
    """Where a key's rate-limit window is kept: by the key's hash, never the key itself."""
    return f"{provider}:{owner_key(key)}"


KEYS_HASHED_SINCE = 1  # the counters version from which no scope holds an API key
RAW_KEY_SCOPES = ("photoroom", "photoroom-sandbox")  # scopes that named accounts by their raw key before it


def _hash_raw_keys(conn: Any) -> None:
    """Rename the accounts of an older state directory to their hashed id, so their quotas carry over."""
    for prefix in RAW_KEY_SCOPES:
        rows = conn.execute("SELECT scope, name, value FROM counters WHERE substr(scope, 1, ?) = ?",
                            (len(prefix) + 1, f"{prefix}:")).fetchall()
        for scope, name, value in rows:
            conn.execute("DELETE FROM counters WHERE scope = ? AND name = ?", (scope, name))
            conn.execute("INSERT OR REPLACE INTO counters (scope, name, value) VALUES (?, ?, ?)",
                         (f"{prefix}:{owner_key(scope[len(prefix) + 1:])}", name, value))


class Counters:
    """Integer counters shared by every worker process (SQLite in the state directory).

    Photoroom's image quota, SellerPic's credits and rate-limit windows live here, so ``--workers 4``
    agrees on them. A mock's counters need no fsync per request, hence ``synchronous=OFF``. Scopes name an
    account by ``keys.owner_key``, never by its API key.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SharedSqlite(
            path, "CREATE TABLE IF NOT EXISTS counters (scope TEXT, name TEXT, value REAL, PRIMARY KEY (scope, name))",
            synchronous="OFF", busy_timeout=30.0, row_factory=None)
        self._db.migrate(KEYS_HASHED_SINCE, _hash_raw_keys)

    def get(self, scope: str, name: str, default: float = 0) -> float:
        row = self._db.connection().execute("SELECT value FROM counters WHERE scope=? AND name=?",
                                            (scope, name)).fetchone()
        return row[0] if row else default

    def add(self, scope: str, name: str, delta: float, *, start: float = 0, floor: float | None = None) -> float | None:
        """Add ``delta`` atomically; returns the new value, or None when it would fall below ``floor``."""
        with self._db.write() as conn:
            row = conn.execute("SELECT value FROM counters WHERE scope=? AND name=?", (scope, name)).fetchone()
            value = (row[0] if row else start) + delta
            if floor is not None and value < floor - 1e-9:
                return None  # nothing written: the transaction commits no change
            conn.execute("INSERT OR REPLACE INTO counters (scope, name, value) VALUES (?, ?, ?)", (scope, name, value))
        return value

    def reset(self) -> None:
        self._db.connection().execute("DELETE FROM counters")


@dataclass(frozen=True)
class JobSettings:
    """What a provider with async jobs tells the shared job store, read from its spec.

    A provider's ``ProviderDef.jobs`` is a function of the ``MockConfig`` returning one of these. Every
    process builds the same store from them, so whichever worker delivers a webhook builds the same body.
    ``delivery`` is a ``mockserver.jobs.DeliveryPolicy`` (the store has one policy: the first provider's).
    """

    ttl: float | None = None
    payload: Callable[[Any], Any] | None = None
    delivery: Any = None


class Services:
    """Per-app services, built lazily so an app that serves only Photoroom never opens a job store."""

    def __init__(self, config: MockConfig, providers: Sequence[ProviderDef] = ()) -> None:
        self.config = config
        self.providers = tuple(providers)
        # The one address policy per purpose, used by every connection made for it (see ``core.outbound``).
        self.fetch_policy = FetchPolicy(timeout=config.fetch_timeout, max_redirects=config.fetch_max_redirects,
                                        addresses=AddressPolicy(FETCH_KINDS, tuple(config.fetch_allow_hosts)))
        self.webhook_addresses = AddressPolicy(PRIVATE_WEBHOOK_KINDS if config.allow_private_webhooks
                                               else WEBHOOK_KINDS)
        self._lock = threading.Lock()
        self.backends: dict[str, Any] = {}
        # Hooks around every provider request: an injector may answer instead of the provider (faults);
        # observers see each exchange once it is answered (journal, logs). See ``core.dispatch``.
        self.injectors: list[Callable[[str, str, Any], Any]] = []
        self.observers: list[Callable[..., None]] = []
        self.resetters: list[Callable[[], None]] = []
        self._rate_rules: dict[tuple[Any, ...], RateRule | None] = {}
        # This process's share of the server's memory budget for image work (see ``core.workgate``).
        self.work_gate = WorkGate(config.work_memory_bytes // max(1, config.workers))

    @functools.cached_property
    def state_dir(self) -> Path:
        return self.config.resolved_state_dir()

    @functools.cached_property
    def matcher(self) -> Any:
        """Requests matched to their operations (bodiless ones remembered; see ``core.matched``)."""
        from .matched import Matcher

        return Matcher()

    @functools.cached_property
    def rate_limiter(self) -> RateLimiter:
        """The rolling windows of every provider's rate limit (one table, scopes prefixed by provider)."""
        return RateLimiter(self.state_dir / "rate-limits.sqlite")

    def rate_rule(self, provider: str) -> RateRule | None:
        """The provider's ``x-segmock-rate-limit`` with ``MockConfig.rate_limits`` applied."""
        overrides = self.config.rate_limits.get(provider) or {}
        key = (provider, tuple(sorted(overrides.items())))  # the config may change between requests (tests)
        if key not in self._rate_rules:
            self._rate_rules[key] = rate_rule(provider, overrides)
        return self._rate_rules[key]

    def rate_hit(self, provider: str, key: str, operation: str) -> tuple[RateRule, Decision] | None:
        """Count one request of ``key`` (an API key, an account) against the provider's limit; None when the
        operation is not limited. The caller answers 429 when the decision is not ``allowed``."""
        rule = self.rate_rule(provider)
        if rule is None or rule.limit is None or not rule.applies(operation):
            return None
        return rule, self.rate_limiter.hit(rate_scope(provider, key), rule.limit, rule.window, time.time())

    @functools.cached_property
    def counters(self) -> Counters:
        return Counters(self.state_dir / "counters.sqlite")

    @functools.cached_property
    def segmenter(self) -> Any:
        """The configured segmenter, behind the canned-mask switch (see ``core.canned``)."""
        from ..segmenter import ReferenceSegmenter, load_segmenter
        from .canned import CannedMaskSegmenter

        inner = load_segmenter(self.config.segmenter) if self.config.segmenter else ReferenceSegmenter()
        return CannedMaskSegmenter(inner)

    @functools.cached_property
    def jobs(self) -> Any:
        from ..jobs import DeliveryPolicy, JobStore

        settings = self.job_settings()
        delivery = next((s.delivery for s in settings.values() if s.delivery is not None), DeliveryPolicy())
        return JobStore(self.state_dir / "jobs", progression=self.config.job_progression,
                        ttl={name: s.ttl for name, s in settings.items() if s.ttl is not None},
                        payloads={name: s.payload for name, s in settings.items() if s.payload is not None},
                        delivery=dataclasses.replace(delivery, **self.config.webhook_delivery),
                        addresses=self.webhook_addresses)

    def job_settings(self) -> dict[str, JobSettings]:
        """What the served providers with async jobs declare (``ProviderDef.jobs``)."""
        return {p.name: p.jobs(self.config) for p in self.providers if p.jobs is not None}

    def fetch(self, url: str, max_bytes: int) -> bytes:
        return fetch(url, dataclasses.replace(self.fetch_policy, max_bytes=max_bytes))

    def reset(self) -> None:
        """Forget all state (quotas, jobs, journal): what ``segmock_server.reset()`` calls between tests."""
        self.counters.reset()
        if "rate_limiter" in self.__dict__:
            self.rate_limiter.reset()
        if "jobs" in self.__dict__:
            self.jobs.reset()
        for backend in self.backends.values():
            reset = getattr(backend, "reset", None)
            if reset:
                reset()
        for reset in self.resetters:
            reset()
