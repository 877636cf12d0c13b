"""One SQLite file shared by every server process: per-thread connections that never cross a fork, short
transactions, and the schema created on first open.

Why SQLite: several worker processes (and two apps on one state directory) must see the same jobs, journal,
fault rules and counters without a server of their own. WAL lets readers run beside the one writer; a
read-modify-write runs in ``write()``, whose ``BEGIN IMMEDIATE`` takes the write lock up front so two
processes never interleave it. Connections are in autocommit mode (``isolation_level=None``): a single
statement run on ``connection()`` outside a transaction commits by itself, which is what the hot paths use.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RowFactory = Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class SharedSqlite:
    """One SQLite file, one connection per thread (and per process, after a fork).

    ``schema`` is run once, statement by statement, in one write transaction. ``synchronous`` is the
    durability pragma (``NORMAL`` for the job engine; ``OFF`` where losing the last writes to a power cut
    does not matter, which keeps a write in the tens of microseconds). ``busy_timeout`` is how long a
    statement waits for another process's write lock. ``row_factory`` shapes fetched rows (``None``: tuples).
    """

    def __init__(self, path: str | os.PathLike[str], schema: str, *, synchronous: str = "NORMAL",
                 busy_timeout: float = 10.0, row_factory: RowFactory | None = sqlite3.Row) -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.row_factory = row_factory
        self._lock = threading.Lock()
        self._reset_after_fork()
        self._create(schema)

    def _reset_after_fork(self) -> None:
        """Connections must never cross a fork: a child starts with none of its parent's."""
        self._pid = os.getpid()
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}

    def _create(self, schema: str) -> None:
        """WAL (a property of the file, so set once) and the schema; a concurrent first open may find the
        file locked in ways the busy timeout does not cover, so retry until the timeout."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                self.connection().execute("PRAGMA journal_mode=WAL")
                with self.write() as conn:
                    for statement in schema.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def connection(self) -> sqlite3.Connection:
        """This thread's autocommit connection, opened on first use."""
        if os.getpid() != self._pid:
            self._reset_after_fork()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            if self.row_factory is not None:
                conn.row_factory = self.row_factory
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            self._local.conn = conn
            with self._lock:
                self._close_ended_threads()
                self._connections[threading.current_thread()] = conn
        return conn

    def _close_ended_threads(self) -> None:
        """A server that runs each request on a new thread would otherwise keep one open file per request."""
        for thread in [t for t in self._connections if not t.is_alive()]:
            self._connections.pop(thread).close()

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
            raise RuntimeError(f"nested transaction on {self.path.name} (a callback called back into its store?)")
        conn.execute(begin)
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def migrate(self, version: int, step: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``step`` once per file to bring it to ``version`` (SQLite's ``user_version``); the check and the
        step share one write transaction, so of several processes opening an old file exactly one migrates it.

        Migrations remove what must not stay on disk (raw keys), so what they delete is overwritten
        (``secure_delete``) and the write-ahead log is emptied into the file afterwards.
        """
        conn = self.connection()
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= version:
            return
        before = int(conn.execute("PRAGMA secure_delete").fetchone()[0])
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with self.write() as conn:
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) < version:
                    step(conn)
                    conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.execute(f"PRAGMA secure_delete = {before}")

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file: a free cross-process generation counter."""
        return int(self.connection().execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            self._local = threading.local()
        if os.getpid() == self._pid:
            for conn in connections:
                conn.close()
