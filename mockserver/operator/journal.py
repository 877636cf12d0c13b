"""The request journal: what clients sent and what the mock answered, as a bounded ring in SQLite.

Why bounded: WireMock's unbounded journal is its most reported out-of-memory cause. Here the journal keeps
the last ``size`` exchanges (oldest dropped in the same transaction as each insert) and never stores bodies:
parameters are stored as sent, with every upload replaced by ``{bytes, sha256, width, height, format}``, plus
small thumbnails for the inspector. It lives in the state directory, so every worker writes to one journal;
durability is irrelevant for a mock, so ``synchronous=OFF`` keeps an insert in the tens of microseconds.
A plain entry is one autocommit INSERT; rows past the ring are deleted every ``TRIM_EVERY`` inserts and never
read in between (readers look only at the last ``size`` sequence numbers).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from contracts.wire import jsonbody

from ..core.shared_sqlite import SharedSqlite
from .pictures import Picture

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           REAL NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    query        TEXT NOT NULL,
    provider     TEXT NOT NULL,
    operation    TEXT NOT NULL,
    params       TEXT NOT NULL,
    image        TEXT,
    status       INTEGER,
    content_type TEXT,
    response_bytes INTEGER,
    elapsed_ms   REAL NOT NULL,
    fault        TEXT,
    worker       INTEGER NOT NULL,
    input_thumb  BLOB,
    reason       TEXT,
    response_text TEXT
);
CREATE TABLE IF NOT EXISTS outputs (
    entry INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    kind  TEXT NOT NULL,
    png   BLOB NOT NULL,
    PRIMARY KEY (entry, idx)
);
"""
INSERT = ("INSERT INTO journal (at, method, path, query, provider, operation, params, image, status, content_type,"
          " response_bytes, elapsed_ms, fault, worker, input_thumb, reason, response_text) VALUES ("
          + ", ".join("?" * 17) + ")")
TRIM_EVERY = 32
REDACTED_SINCE = 1  # the journal version from which entries are stored redacted (``record.exchange``)


def _forget_unredacted(conn: Any) -> None:
    """Entries written before redaction may hold keys and passwords: a journal is a recent-history ring, so
    they are dropped rather than rewritten."""
    conn.execute("DELETE FROM journal")
    conn.execute("DELETE FROM outputs")


REASONS_SINCE = 2  # the journal version whose entries keep a failure reason and the error body


def _add_reason_columns(conn: Any) -> None:
    """A journal kept in a ``--state-dir`` by an older segmock gains the columns added since."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(journal)")}
    for column in ("reason", "response_text"):
        if column not in have:
            conn.execute(f"ALTER TABLE journal ADD COLUMN {column} TEXT")


@dataclass
class ExchangeSummary:
    """What every journal entry says of its exchange, alike where it is recorded (:class:`Exchange`) and
    where a client reads it back (``operator.client.JournalEntry``)."""

    method: str
    path: str
    query: str
    provider: str
    operation: str
    params: dict[str, Any]
    status: int | None
    content_type: str | None
    elapsed_ms: float
    fault: str | None
    worker: int


@dataclass
class Exchange(ExchangeSummary):
    """One journal entry as recorded (``image``: the first uploaded image's size and format; ``reason``: why
    the mock refused or failed the request, in its own words, where the provider's answer does not say;
    ``response_text``: a JSON or text answer, cut short, so an error body is readable without the client)."""

    image: dict[str, Any] | None
    response_bytes: int | None
    reason: str | None = None
    response_text: str | None = None
    input_thumb: bytes | None = None
    outputs: list[Picture] = field(default_factory=list)
    at: float = field(default_factory=time.time)


PICTURES = ("input_thumb", "outputs")  # stored apart, read one at a time; an entry lists only what it has
COLUMNS = ("seq", *(f.name for f in fields(Exchange) if f.name not in PICTURES))


class Journal:
    """The shared ring of recent exchanges."""

    def __init__(self, path: Path, size: int) -> None:
        if size < 1:
            raise ValueError("the journal needs room for at least one entry")
        self.size = size
        self.db = SharedSqlite(path, SCHEMA, synchronous="OFF", busy_timeout=30.0, row_factory=None)
        self.db.migrate(REDACTED_SINCE, _forget_unredacted)
        self.db.migrate(REASONS_SINCE, _add_reason_columns)

    def record(self, ex: Exchange) -> int:
        """Insert one entry; the common case (no pictures, nothing to drop) is a single autocommit INSERT."""
        row = (ex.at, ex.method, ex.path, ex.query, ex.provider, ex.operation, json.dumps(ex.params),
               json.dumps(ex.image) if ex.image else None, ex.status, ex.content_type, ex.response_bytes,
               round(ex.elapsed_ms, 3), ex.fault, ex.worker, ex.input_thumb, ex.reason, ex.response_text)
        if not ex.outputs and not ex.input_thumb:
            seq = int(self.db.connection().execute(INSERT, row).lastrowid or 0)
            if seq % TRIM_EVERY == 0:
                self._trim(seq)
            return seq
        with self.db.write() as conn:
            seq = int(conn.execute(INSERT, row).lastrowid or 0)
            conn.executemany("INSERT INTO outputs (entry, idx, kind, png) VALUES (?, ?, ?, ?)",
                             [(seq, i, p.kind, p.png) for i, p in enumerate(ex.outputs)])
        self._trim(seq)
        return seq

    def attach(self, seq: int, input_thumb: bytes | None, outputs: list[Picture]) -> None:
        """Add the pictures of an entry recorded earlier (they are made off the request path)."""
        if input_thumb is None and not outputs:
            return
        with self.db.write() as conn:
            conn.execute("UPDATE journal SET input_thumb = ? WHERE seq = ?", (input_thumb, seq))
            conn.executemany("INSERT OR REPLACE INTO outputs (entry, idx, kind, png) VALUES (?, ?, ?, ?)",
                             [(seq, i, p.kind, p.png) for i, p in enumerate(outputs)])

    def _trim(self, seq: int) -> None:
        """Drop what fell off the ring (readers never see it anyway: they only look at the last ``size``)."""
        oldest_kept = seq - self.size
        if oldest_kept > 0:
            with self.db.write() as conn:
                conn.execute("DELETE FROM journal WHERE seq <= ?", (oldest_kept,))
                conn.execute("DELETE FROM outputs WHERE entry <= ?", (oldest_kept,))

    def _window(self) -> int:
        """The lowest sequence number still inside the ring."""
        last = self.db.connection().execute("SELECT max(seq) FROM journal").fetchone()[0] or 0
        return int(last) - self.size + 1

    def entries(self, *, provider: str | None = None, operation: str | None = None, status: int | None = None,
                limit: int | None = None, after: int | None = None) -> list[dict[str, Any]]:
        """Matching entries, oldest first (``limit`` keeps the most recent ones)."""
        where: list[str] = ["seq >= ?"]
        args: list[Any] = [self._window()]
        for column, value in (("provider", provider), ("operation", operation), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if after is not None:
            where.append("seq > ?")
            args.append(after)
        sql = (f"SELECT {', '.join(COLUMNS)}, input_thumb IS NOT NULL,"
               " (SELECT group_concat(kind) FROM outputs WHERE entry = seq) FROM journal")
        sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = self.db.connection().execute(sql, args).fetchall()
        return [_entry(row) for row in reversed(rows)]

    def entry(self, seq: int) -> dict[str, Any] | None:
        rows = self.db.connection().execute(
            f"SELECT {', '.join(COLUMNS)}, input_thumb IS NOT NULL,"
            " (SELECT group_concat(kind) FROM outputs WHERE entry = seq) FROM journal WHERE seq = ? AND seq >= ?",
            (seq, self._window())).fetchall()
        return _entry(rows[0]) if rows else None

    def input_thumb(self, seq: int) -> bytes | None:
        row = self.db.connection().execute("SELECT input_thumb FROM journal WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def output(self, seq: int, idx: int) -> Picture | None:
        row = self.db.connection().execute("SELECT kind, png FROM outputs WHERE entry = ? AND idx = ?",
                                           (seq, idx)).fetchone()
        return Picture(row[0], row[1]) if row else None

    def count(self) -> int:
        return int(self.db.connection().execute("SELECT count(*) FROM journal WHERE seq >= ?",
                                                (self._window(),)).fetchone()[0])

    def clear(self) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM journal")
            conn.execute("DELETE FROM outputs")


def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
    out = dict(zip(COLUMNS, row))
    out["params"] = jsonbody.stored(out["params"])
    out["image"] = json.loads(out["image"]) if out["image"] else None
    out["has_input"] = bool(row[len(COLUMNS)])
    kinds = row[len(COLUMNS) + 1]
    out["outputs"] = kinds.split(",") if kinds else []
    return out
