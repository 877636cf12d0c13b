"""SellerPic's storage side: uploaded assets, presigned upload URLs and download URLs.

Why SQLite plus files in the state directory: a fileKey uploaded through one worker process must be usable
through another, and a download URL handed out by one must be the same URL (and expire at the same moment)
on all of them. Times are the job store's clock, so a test that moves it moves URL expiry too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ...core.shared_sqlite import SharedSqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    file_key TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    stored   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS upload_urls (
    token     TEXT PRIMARY KEY,
    file_key  TEXT NOT NULL,
    issued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS download_urls (
    token     TEXT PRIMARY KEY,
    result_id TEXT NOT NULL,
    format    TEXT NOT NULL,
    uhd       INTEGER NOT NULL,
    issued_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS download_by_request ON download_urls (result_id, format, uhd, issued_at);
"""
TABLES = ("assets", "upload_urls", "download_urls")


@dataclass(frozen=True)
class DownloadUrl:
    token: str
    result_id: str
    format: str
    uhd: bool
    issued_at: float


class Storage:
    """Assets by fileKey (bytes as files), upload tokens and download tokens, shared by every process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        self._db = SharedSqlite(root / "storage.sqlite3", SCHEMA, busy_timeout=30.0)

    def _conn(self) -> sqlite3.Connection:
        return self._db.connection()

    def exclusive(self) -> AbstractContextManager[sqlite3.Connection]:
        """One writer at a time across every process: what makes check-then-create atomic."""
        return self._db.write()

    # -- assets ------------------------------------------------------------------------------------------
    def put_asset(self, owner: str, file_key: str, data: bytes) -> None:
        """Store ``data`` under ``file_key`` for ``owner`` (idempotent: same key, same bytes)."""
        self._write(file_key, data)
        with self.exclusive() as conn:
            conn.execute("INSERT OR REPLACE INTO assets (file_key, owner, stored) VALUES (?, ?, 1)", (file_key, owner))

    def asset(self, owner: str, file_key: str) -> bytes | None:
        """The bytes of an asset ``owner`` uploaded; None when unknown, another owner's, or not PUT yet."""
        row = self._conn().execute("SELECT owner, stored FROM assets WHERE file_key = ?", (file_key,)).fetchone()
        if row is None or row["owner"] != owner or not row["stored"]:
            return None
        try:
            return self._file(file_key).read_bytes()
        except FileNotFoundError:
            return None

    # -- presigned uploads -------------------------------------------------------------------------------
    def presign(self, owner: str, file_key: str, token: str, now: float) -> None:
        """Reserve ``file_key`` for ``owner`` and remember when its upload URL was issued."""
        with self.exclusive() as conn:
            conn.execute("INSERT INTO assets (file_key, owner, stored) VALUES (?, ?, 0)", (file_key, owner))
            conn.execute("INSERT INTO upload_urls (token, file_key, issued_at) VALUES (?, ?, ?)",
                         (token, file_key, now))

    def presigned(self, token: str, now: float, ttl: float) -> str | None:
        """The fileKey an upload token may still write, or None (unknown or expired)."""
        row = self._conn().execute("SELECT file_key, issued_at FROM upload_urls WHERE token = ?", (token,)).fetchone()
        if row is None or now - row["issued_at"] >= ttl:
            return None
        return str(row["file_key"])

    def store_presigned(self, file_key: str, data: bytes) -> None:
        self._write(file_key, data)
        with self.exclusive() as conn:
            conn.execute("UPDATE assets SET stored = 1 WHERE file_key = ?", (file_key,))

    # -- downloads ---------------------------------------------------------------------------------------
    def download_url(self, result_id: str, fmt: str, uhd: bool, now: float, ttl: float, token: str) -> str:
        """The live token for (result, format, uhd), or ``token`` issued now when none is live."""
        with self.exclusive() as conn:
            row = conn.execute(
                "SELECT token FROM download_urls WHERE result_id = ? AND format = ? AND uhd = ? AND issued_at > ?"
                " ORDER BY issued_at LIMIT 1", (result_id, fmt, int(uhd), now - ttl)).fetchone()
            if row is not None:
                return str(row["token"])
            conn.execute("INSERT INTO download_urls (token, result_id, format, uhd, issued_at) VALUES (?, ?, ?, ?, ?)",
                         (token, result_id, fmt, int(uhd), now))
        return token

    def download(self, token: str, now: float, ttl: float) -> DownloadUrl | None:
        """What a download token serves, or None (unknown or expired)."""
        row = self._conn().execute("SELECT * FROM download_urls WHERE token = ?", (token,)).fetchone()
        if row is None or now - row["issued_at"] >= ttl:
            return None
        return DownloadUrl(row["token"], row["result_id"], row["format"], bool(row["uhd"]), row["issued_at"])

    def reset(self) -> None:
        """Forget every asset and URL (tests)."""
        with self.exclusive() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
        shutil.rmtree(self.files, ignore_errors=True)
        self.files.mkdir(parents=True, exist_ok=True)

    def _file(self, file_key: str) -> Path:
        return self.files / hashlib.sha256(file_key.encode()).hexdigest()

    def _write(self, file_key: str, data: bytes) -> None:
        """Temp file + atomic rename: no reader in any process ever sees half an upload."""
        fd, tmp = tempfile.mkstemp(dir=self.files, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self._file(file_key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
