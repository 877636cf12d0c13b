"""One SQLite file per operator store, shared by every worker process of a ``segmock serve``.

Why SQLite: the journal and the fault rules must look the same from every gunicorn worker (and from two apps
on one state directory) without a server of their own. WAL lets readers run beside the one writer; writes
are short ``BEGIN IMMEDIATE`` transactions. Durability is irrelevant for a mock, so ``synchronous=OFF``
keeps a journal insert in the tens of microseconds.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Database:
    """Per-thread connections to one SQLite file, created with ``schema`` on first use."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._local = threading.local()
        self._pid = os.getpid()
        self.conn().executescript(schema)

    def conn(self) -> sqlite3.Connection:
        """This thread's connection; a forked worker never reuses its parent's."""
        if os.getpid() != self._pid:
            self._local, self._pid = threading.local(), os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (taken at once, so two processes never interleave)."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file: a free cross-process generation counter."""
        return int(self.conn().execute("PRAGMA data_version").fetchone()[0])
