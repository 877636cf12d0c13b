"""Split a multipart body into its parts and join them back to the very same bytes.

Redaction and cassettes both need to touch one part (blank an API key field, store an image as a file)
without disturbing the others; werkzeug's parser loses the framing, so this splitter keeps every byte
(preamble, each part's header block, epilogue) and ``join(split(body)) == body`` by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from werkzeug.http import parse_options_header


@dataclass(frozen=True)
class RawPart:
    """One part: its header block exactly as sent (leading CRLF to blank line included) and its data."""

    head: bytes
    data: bytes

    @property
    def headers(self) -> list[tuple[str, str]]:
        lines = self.head.decode("latin-1").strip("\r\n").split("\r\n")
        return [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines) if k.strip()]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def name(self) -> str | None:
        return parse_options_header(self.header("Content-Disposition") or "")[1].get("name")

    @property
    def filename(self) -> str | None:
        return parse_options_header(self.header("Content-Disposition") or "")[1].get("filename")

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    def with_data(self, data: bytes) -> RawPart:
        return replace(self, data=data)


@dataclass(frozen=True)
class RawMultipart:
    boundary: str
    preamble: bytes
    parts: tuple[RawPart, ...]
    epilogue: bytes

    def join(self) -> bytes:
        """The body's bytes, copied once (a part may be a 30 MB upload)."""
        delim = b"--" + self.boundary.encode("latin-1")
        separator = b"\r\n" + delim
        pieces = [self.preamble, delim]
        for part in self.parts:
            pieces += (part.head, part.data, separator)
        pieces.append(self.epilogue)
        return b"".join(pieces)


def boundary_of(content_type: str) -> str | None:
    mimetype, options = parse_options_header(content_type or "")
    return options.get("boundary") if mimetype.lower() == "multipart/form-data" else None


def split(body: bytes, boundary: str) -> RawMultipart | None:
    """The parts of ``body``, or None when it is not a well-formed multipart body with this boundary.

    Each part's bytes are sliced once from ``body`` (a recorded upload is split by redaction and by the
    cassette writer alike, and may be 30 MB); the pieces are consecutive slices, so joining them gives
    ``body`` back by construction.
    """
    delim = b"--" + boundary.encode("latin-1")
    separator = b"\r\n" + delim
    if body.startswith(delim):
        start = 0
    else:
        start = body.find(separator)
        if start < 0:
            return None
        start += 2
    parts = []
    position = start + len(delim)
    while (end := body.find(separator, position)) >= 0:
        head_end = body.find(b"\r\n\r\n", position, end)
        if head_end < 0:
            return None
        parts.append(RawPart(body[position:head_end + 4], body[head_end + 4:end]))
        position = end + len(separator)
    last = body[position:]
    if not last.startswith(b"--"):
        return None
    return RawMultipart(boundary, body[:start], tuple(parts), last)
