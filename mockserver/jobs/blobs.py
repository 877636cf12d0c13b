"""Result files beside the database, stored by content hash.

Why content-addressed: the same request always yields the same mask bytes, so identical results share one
file, and writing is idempotent (temp file + atomic rename), so two processes writing the same blob race
harmlessly and no reader ever sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


class BlobStore:
    """Bytes in, sha256 hex out; and back."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under ``digest``, or None if they are gone."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def clear(self) -> None:
        """Remove every blob (tests' reset)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest
