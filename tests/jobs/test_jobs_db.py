"""The shared SQLite file under the job engine (and the journal, faults, counters, storage, rate limits)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mockserver.jobs.db import Database


def open_files(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (Linux)."""
    return sum(1 for fd in Path("/proc/self/fd").iterdir() if os.path.realpath(fd) == str(path.resolve()))


def test_a_write_that_raises_is_rolled_back_and_nesting_is_refused(tmp_path) -> None:
    db = Database(tmp_path / "jobs.sqlite3")
    with pytest.raises(KeyError), db.write() as conn:
        conn.execute("UPDATE clock SET offset = 5")
        raise KeyError("a bug mid-transaction")
    with pytest.raises(RuntimeError, match="nested"), db.write(), db.read():
        pass
    assert db.connection().execute("SELECT offset FROM clock").fetchone()[0] == 0.0
    db.close()


def test_connections_of_ended_threads_are_closed(tmp_path) -> None:
    """A server running each request on a new thread must not keep one open file per request."""
    db = Database(tmp_path / "jobs.sqlite3")
    for _ in range(20):
        thread = threading.Thread(target=lambda: db.connection().execute("SELECT 1").fetchall())
        thread.start()
        thread.join()
    # This thread's, the last thread's, and one SQLite may keep from a closed connection for reuse.
    assert open_files(db.path) <= 3
    db.close()
    assert open_files(db.path) == 0


def test_a_forked_child_opens_its_own_connection_and_shares_the_file(tmp_path) -> None:
    db = Database(tmp_path / "jobs.sqlite3")
    parent = db.connection()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with db.write() as conn:
                conn.execute("UPDATE clock SET offset = 7")
            code = 0 if conn is not parent else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.connection() is parent
    assert parent.execute("SELECT offset FROM clock").fetchone()[0] == 7.0
    db.close()
