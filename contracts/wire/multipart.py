"""Build multipart/form-data bodies deterministically (same parts, same bytes, same boundary)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"
    filename: str | None = None


def encode(parts: list[Part], boundary: str | None = None) -> tuple[str, bytes]:
    """Return ``(content_type, body)``; the boundary derives from the content unless given."""
    if boundary is None:
        digest = hashlib.sha256()
        for p in parts:
            digest.update(p.name.encode())
            digest.update(hashlib.sha256(p.data).digest())
        boundary = "segmock-" + digest.hexdigest()[:24]
    chunks: list[bytes] = []
    for p in parts:
        disposition = f'form-data; name="{p.name}"'
        if p.filename is not None:
            disposition += f'; filename="{p.filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {p.content_type}\r\n\r\n"
        chunks += [head.encode(), p.data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)
