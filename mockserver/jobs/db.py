"""The job engine's SQLite database: one file shared by every server process.

Why SQLite: several gunicorn workers must see the same jobs, poll counts, forced outcomes, clock and webhook
outbox without a server of their own. WAL lets readers run beside the one writer; every read-modify-write runs
in a short ``BEGIN IMMEDIATE`` transaction so two processes never interleave a poll count or a claim.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


class Database:
    """One SQLite file, one connection per thread (and per process, after a fork)."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._reset_after_fork()
        self._init_schema()

    def _reset_after_fork(self) -> None:
        """Connections must never cross a fork: a child starts with none of its parent's."""
        self._pid = os.getpid()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []

    def _init_schema(self) -> None:
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn = self.connection()
                conn.execute("PRAGMA journal_mode=WAL")
                with self.write() as conn:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if os.getpid() != self._pid:
            self._reset_after_fork()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short read-modify-write transaction; ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for reads that change nothing."""
        with self._transaction("BEGIN") as conn:
            yield conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        if conn.in_transaction:
            raise RuntimeError("nested job-store transaction (a callback called back into the store?)")
        conn.execute(begin)
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def clear(self) -> None:
        """Delete every row (tests' reset); the schema stays."""
        with self.write() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE clock SET offset = 0.0")

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        if os.getpid() == self._pid:
            for conn in connections:
                conn.close()
