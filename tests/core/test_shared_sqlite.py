"""``mockserver.core.shared_sqlite``: one SQLite file that worker processes and threads share safely."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from mockserver.core.shared_sqlite import SharedSqlite

SCHEMA = ("CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY, value INTEGER);"
          "CREATE INDEX IF NOT EXISTS by_value ON items (value)")


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    db = SharedSqlite(tmp_path / "s.sqlite", SCHEMA)
    with pytest.raises(ZeroDivisionError), db.write() as conn:
        conn.execute("INSERT INTO items VALUES ('a', 1)")
        _ = 1 / 0
    with db.write() as conn:
        conn.execute("INSERT INTO items VALUES ('b', 2)")
    assert [tuple(row) for row in db.connection().execute("SELECT * FROM items")] == [("b", 2)]


def test_a_second_open_of_the_file_sees_the_first_ones_writes_and_its_version_changes(tmp_path: Path) -> None:
    """Two objects on one file stand for two worker processes (each opens its own)."""
    first = SharedSqlite(tmp_path / "s.sqlite", SCHEMA, row_factory=None)
    second = SharedSqlite(tmp_path / "s.sqlite", SCHEMA, row_factory=None)  # the schema is created once
    seen = second.data_version()
    with first.write() as conn:
        conn.execute("INSERT INTO items VALUES ('a', 1)")
    assert second.data_version() != seen
    with second.read() as conn:
        assert conn.execute("SELECT name, value FROM items").fetchall() == [("a", 1)]


def test_a_nested_transaction_is_refused_instead_of_deadlocking(tmp_path: Path) -> None:
    db = SharedSqlite(tmp_path / "s.sqlite", SCHEMA)
    with db.write(), pytest.raises(RuntimeError, match="nested transaction on s.sqlite"), db.read():
        pass


def test_each_thread_has_its_own_connection(tmp_path: Path) -> None:
    db = SharedSqlite(tmp_path / "s.sqlite", SCHEMA)
    seen: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: seen.append(db.connection()))
    thread.start()
    thread.join()
    assert seen[0] is not db.connection() and db.connection() is db.connection()


def test_a_migration_runs_once_per_file(tmp_path: Path) -> None:
    runs: list[int] = []

    def step(conn: sqlite3.Connection) -> None:
        runs.append(1)
        conn.execute("UPDATE items SET value = value * 10")

    first = SharedSqlite(tmp_path / "s.sqlite", SCHEMA)
    first.connection().execute("INSERT INTO items VALUES ('a', 1)")
    first.migrate(1, step)
    first.migrate(1, step)
    SharedSqlite(tmp_path / "s.sqlite", SCHEMA).migrate(1, step)  # another process, after a restart
    assert runs == [1]
    assert first.connection().execute("SELECT value FROM items").fetchone()[0] == 10
    first.migrate(2, step)
    assert runs == [1, 1]


def test_an_unknown_durability_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="synchronous must be one of OFF, NORMAL, FULL, EXTRA"):
        SharedSqlite("unused.sqlite", SCHEMA, synchronous="SOMETIMES")
