"""The job engine's SQLite database: one file shared by every server process.

Several worker processes must see the same jobs, poll counts, forced outcomes, clock and webhook outbox; every
read-modify-write runs in a short ``write()`` transaction so two processes never interleave a poll count or a
claim (connections and transactions: :mod:`mockserver.core.shared_sqlite`).
"""

from __future__ import annotations

import os

from ..core.shared_sqlite import SharedSqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    owner       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    params      TEXT NOT NULL,
    result      TEXT,
    error       TEXT,
    files       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    state       TEXT NOT NULL,
    progression TEXT NOT NULL,
    created_at  REAL NOT NULL,
    finished_at REAL,
    expires_at  REAL,
    due_at      REAL,
    polls       INTEGER NOT NULL DEFAULT 0,
    webhook     TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (provider, owner, seq);
CREATE INDEX IF NOT EXISTS jobs_by_due ON jobs (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    provider   TEXT,
    outcome    TEXT NOT NULL,
    error      TEXT,
    match_kind TEXT NOT NULL,
    match      TEXT,
    remaining  INTEGER
);
CREATE TABLE IF NOT EXISTS outbox (
    id          TEXT PRIMARY KEY,
    job_id      TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    header      TEXT NOT NULL,
    format      TEXT NOT NULL,
    body        BLOB,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending',
    next_at     REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_at);
CREATE TABLE IF NOT EXISTS attempts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    url         TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    ok          INTEGER NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_job ON attempts (job_id, seq);
CREATE TABLE IF NOT EXISTS clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    offset REAL NOT NULL
);
INSERT OR IGNORE INTO clock (id, offset) VALUES (1, 0.0);
"""

TABLES = ("jobs", "rules", "outbox", "attempts")


class Database(SharedSqlite):
    """The job engine's file with its schema; ``synchronous=NORMAL`` (a crash may lose the last commits, never
    corrupt the file)."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout: float = 10.0) -> None:
        super().__init__(path, SCHEMA, synchronous="NORMAL", busy_timeout=busy_timeout)

    def clear(self) -> None:
        """Delete every row (tests' reset); the schema stays."""
        with self.write() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE clock SET offset = 0.0")
