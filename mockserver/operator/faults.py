"""Fault rules and canned answers: make the mock answer like a provider (or a network) having a bad day, or
with exactly the body or mask a test asked for, on demand.

Canned answers (kinds ``answer`` and ``mask``) are rules like faults: one queue per state directory, drawn in
the order they were added, each consumed ``times`` times, so "the next call answers this" holds across workers.

Rules live in SQLite (``faults.sqlite`` in the state directory) because the test that adds a rule and the
request it should hit may reach different worker processes. Whether a rule fires is decided inside one
short transaction, so ``times=1`` affects exactly one request however many workers serve at once, and a
seeded probability gives the same fire/skip sequence on every run.

Checking costs one ``PRAGMA data_version`` per request while no rule exists: the "no faults" answer is
cached per connection and only re-read when another connection has changed the file.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..core.shared_sqlite import SharedSqlite

KINDS = ("status", "latency", "reset", "empty", "truncated", "answer", "mask")
CANNED = ("answer", "mask")

SCHEMA = """
CREATE TABLE IF NOT EXISTS faults (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    provider  TEXT,
    operation TEXT,
    rule      TEXT NOT NULL,
    remaining INTEGER,
    seen      INTEGER NOT NULL DEFAULT 0,
    fired     INTEGER NOT NULL DEFAULT 0
);
"""


class FaultError(ValueError):
    """A rule that cannot be applied (unknown kind, status out of range …); the admin API answers 400."""


@dataclass(frozen=True)
class FaultRule:
    """What to do to matching requests.

    ``kind``: ``status`` (answer ``status`` with the provider's own error body; ``error`` picks a catalog
    key), ``latency`` (wait ``delay`` seconds, then answer normally), ``reset`` (abort the connection),
    ``empty`` (close it without a byte), ``truncated`` (send half the real body, then close). ``delay`` also
    applies before any other kind. ``times`` limits how often the rule fires (None: until cleared);
    ``probability`` with ``seed`` fires on a deterministic pseudo-random subset of the matching requests.
    ``answer`` (canned): answer ``status`` with ``headers`` and ``body`` (base64) instead of the provider;
    ``mask`` (canned): the provider answers as usual, with ``mask`` (base64 image) as the segmenter's mask.
    """

    kind: str = "status"
    provider: str | None = None
    operation: str | None = None
    status: int | None = None
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int | None = None
    probability: float | None = None
    seed: int = 0
    headers: dict[str, str] | None = None
    body: str | None = None
    mask: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "answer" and (self.status is None or self.body is None):
            raise FaultError("a canned answer needs a status and a body")
        if self.kind == "mask" and self.mask is None:
            raise FaultError("a canned mask answer needs a mask (PNG bytes, base64)")
        if self.kind == "status" and self.status is None and self.error is None:
            raise FaultError("a status fault needs a status (e.g. 429) or an error catalog key")
        if self.status is not None and not 100 <= int(self.status) <= 599:
            raise FaultError(f"status must be between 100 and 599, not {self.status}")
        if self.delay < 0 or self.delay > 300:
            raise FaultError("delay must be between 0 and 300 seconds")
        if self.kind == "latency" and self.delay <= 0:
            raise FaultError("a latency fault needs a positive delay (seconds)")
        if self.times is not None and self.times < 1:
            raise FaultError("times must be >= 1 (or omitted: until cleared)")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise FaultError("probability must be between 0 and 1")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise FaultError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        try:
            rule = cls(**data)
            return cls(**{**asdict(rule), "status": _int(rule.status), "retry_after": _int(rule.retry_after),
                          "delay": float(rule.delay), "times": _int(rule.times),
                          "probability": None if rule.probability is None else float(rule.probability),
                          "seed": int(rule.seed)})
        except (TypeError, ValueError) as exc:
            if isinstance(exc, FaultError):
                raise
            raise FaultError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def fires(seed: int, nth: int, probability: float | None) -> bool:
    """Whether the ``nth`` matching request (0-based) fires: a hash, so every run and worker agree."""
    if probability is None:
        return True
    digest = hashlib.sha256(f"segmock-fault:{seed}:{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < probability


class FaultBook:
    """The shared fault rules of one state directory."""

    def __init__(self, path: Path) -> None:
        self.db = SharedSqlite(path, SCHEMA, synchronous="OFF", busy_timeout=30.0, row_factory=None)
        self._local = threading.local()

    def add(self, rule: FaultRule) -> FaultRule:
        stored = {k: v for k, v in rule.to_json().items() if k != "id"}
        with self.db.write() as conn:
            cursor = conn.execute("INSERT INTO faults (provider, operation, rule, remaining) VALUES (?, ?, ?, ?)",
                                  (rule.provider, rule.operation, json.dumps(stored), rule.times))
        self._forget()
        return FaultRule.from_json({**stored, "id": cursor.lastrowid})

    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its counters (``seen``: matching requests, ``fired``, ``remaining``)."""
        rows = self.db.connection().execute("SELECT id, rule, remaining, seen, fired FROM faults ORDER BY id"
                                            ).fetchall()
        return [{**json.loads(rule), "id": id_, "remaining": remaining, "seen": seen, "fired": fired}
                for id_, rule, remaining, seen, fired in rows]

    def remove(self, rule_id: int) -> bool:
        with self.db.write() as conn:
            gone = conn.execute("DELETE FROM faults WHERE id=?", (rule_id,)).rowcount
        self._forget()
        return bool(gone)

    def clear(self) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM faults")
        self._forget()

    def draw(self, provider: str, operation: str) -> FaultRule | None:
        """The rule that fires for this request, if any (consuming one of its ``times``)."""
        if self._none_exist():
            return None
        with self.db.write() as conn:
            rows = conn.execute(
                "SELECT id, rule, remaining, seen FROM faults WHERE (provider IS NULL OR provider=?)"
                " AND (operation IS NULL OR operation=?) AND (remaining IS NULL OR remaining > 0) ORDER BY id",
                (provider, operation)).fetchall()
            chosen: FaultRule | None = None
            for id_, raw, remaining, seen in rows:
                rule = FaultRule.from_json({**json.loads(raw), "id": id_})
                hit = fires(rule.seed, seen, rule.probability)
                conn.execute("UPDATE faults SET seen=seen+1, fired=fired+?, remaining=? WHERE id=?",
                             (int(hit), remaining - 1 if hit and remaining is not None else remaining, id_))
                if hit:
                    chosen = rule
                    break
        self._forget()
        return chosen

    def _none_exist(self) -> bool:
        version = self.db.data_version()
        cached = getattr(self._local, "cached", None)
        if cached is not None and cached[0] == version:
            return cached[1]
        empty = self.db.connection().execute("SELECT 1 FROM faults WHERE remaining IS NULL OR remaining > 0"
                                             " LIMIT 1").fetchone() is None
        self._local.cached = (version, empty)
        return empty

    def _forget(self) -> None:
        """This connection's own commits do not move ``data_version``; drop the cached answer instead."""
        self._local.cached = None
