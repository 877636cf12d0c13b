"""Turn bodies into readable YAML nodes plus asset files, and back into the exact bytes.

JSON becomes a YAML structure when a standard serialisation reproduces the bytes, text stays text, and
images or other binary data become content-addressed files beside the cassette (``<stem>.assets/<sha>.png``)
that open in any viewer and diff as files, not as base64 (vcrpy PR #439, Hoverfly #787).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts.wire.rawmultipart import RawMultipart, RawPart, boundary_of, split

_TEXT_LIMIT = 256 * 1024
_EXTENSIONS = {
    "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "image/heic": "heic",
    "application/pdf": "pdf", "application/zip": "zip", "application/gzip": "gz",
}
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"\x1f\x8b", "gz"))
_JSON_STYLES: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "spaced": {"separators": (", ", ": "), "ensure_ascii": False},
    "compact-ascii": {"separators": (",", ":"), "ensure_ascii": True},
    "spaced-ascii": {"separators": (", ", ": "), "ensure_ascii": True},
    "indent2": {"indent": 2, "ensure_ascii": False},
}
_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "x-gzip": gzip.decompress,
    "deflate": lambda b: zlib.decompress(b, -zlib.MAX_WBITS if b[:1] != b"\x78" else zlib.MAX_WBITS),
}

SaveAsset = Callable[[bytes, str | None], str]
LoadAsset = Callable[[str], bytes]


def mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_content(body: bytes, content_encoding: str | None) -> bytes | None:
    """The body without its Content-Encoding (gzip, deflate), or None when it cannot be decoded."""
    coding = (content_encoding or "").strip().lower()
    if not coding or coding == "identity":
        return body
    decoder = _DECODERS.get(coding)
    if decoder is None:
        return None
    try:
        return decoder(body)
    except (OSError, zlib.error, EOFError):
        return None


def extension(content_type: str | None, data: bytes) -> str:
    ext = _EXTENSIONS.get(mimetype(content_type))
    if ext:
        return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((e for magic, e in _MAGIC if data.startswith(magic)), "bin")


def _is_texty(content_type: str | None) -> bool:
    m = mimetype(content_type)
    return not m or m.startswith("text/") or m.endswith(("json", "xml", "x-www-form-urlencoded", "javascript"))


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\r\n\t" for c in text) else None


def describe(data: bytes, content_type: str | None, save: SaveAsset, headers: dict[str, str] | None = None) -> Any:
    """The YAML node for a body (``None`` when empty); falls back to an asset if the node were not exact."""
    if not data:
        return None
    saved: dict[str, bytes] = {}

    def keep(blob: bytes, ext: str | None) -> str:
        ref = save(blob, ext)
        saved[ref] = blob
        return ref

    node = _describe(data, content_type, keep, headers)
    if rebuild(node, saved.__getitem__) == data:
        return node
    return {"asset": save(data, extension(content_type, data)), "size": len(data)}


def _describe(data: bytes, content_type: str | None, save: SaveAsset, headers: dict[str, str] | None) -> Any:
    headers = headers or {}
    decoded = decode_content(data, headers.get("content-encoding"))
    if decoded is not None and decoded is not data:
        return {**_describe(decoded, content_type, save, None), "encoding": headers["content-encoding"],
                "encoded": save(data, "bin")}
    boundary = boundary_of(content_type or "")
    raw = split(data, boundary) if boundary else None
    if raw is not None:
        return {"multipart": _describe_multipart(raw, save)}
    m = mimetype(content_type)
    if (m == "application/json" or m.endswith("+json")) and len(data) <= _TEXT_LIMIT:
        node = _describe_json(data)
        if node is not None:
            return node
    text = _as_text(data) if _is_texty(content_type) and len(data) <= _TEXT_LIMIT else None
    if text is not None:
        return {"text": text}
    return {"asset": save(data, extension(content_type, data)), "size": len(data)}


def _describe_json(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    for name, style in _JSON_STYLES.items():
        dumped = json.dumps(value, **style).encode()
        if dumped == data:
            return {"json": value, "style": name}
        if dumped + b"\n" == data:
            return {"json": value, "style": name, "newline": True}
    return None


def _describe_multipart(raw: Any, save: SaveAsset) -> dict[str, Any]:
    parts = []
    for part in raw.parts:
        node: dict[str, Any] = {"name": part.name}
        if part.filename is not None:
            node["filename"] = part.filename
        if part.content_type:
            node["content_type"] = part.content_type
        if part.head != _part_head(node):
            node["headers"] = _head_node(part.head)
        text = _as_text(part.data) if part.filename is None and _is_texty(part.content_type) else None
        if text is not None:
            node["text"] = text
        else:
            node["asset"] = save(part.data, extension(part.content_type, part.data))
            node["size"] = len(part.data)
        parts.append(node)
    out: dict[str, Any] = {"boundary": raw.boundary, "parts": parts}
    if raw.preamble:
        out["preamble"] = raw.preamble.decode("latin-1")
    if raw.epilogue != b"--\r\n":
        out["epilogue"] = raw.epilogue.decode("latin-1")
    return out


def _part_head(node: dict[str, Any]) -> bytes:
    """The header block a standard client (requests, httpx, curl) writes for this part."""
    disposition = f'form-data; name="{node["name"]}"'
    if node.get("filename") is not None:
        disposition += f'; filename="{node["filename"]}"'
    lines = [f"Content-Disposition: {disposition}"]
    if node.get("content_type"):
        lines.append(f"Content-Type: {node['content_type']}")
    return _lines_head(lines)


def _lines_head(lines: list[str]) -> bytes:
    return ("\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _head_node(head: bytes) -> list[str] | str:
    """A part's header block as lines when that is exact, else verbatim."""
    text = head.decode("latin-1")
    lines = text[2:-4].split("\r\n") if text.startswith("\r\n") and text.endswith("\r\n\r\n") else None
    return lines if lines is not None and _lines_head(lines) == head else text


def _head_bytes(part: dict[str, Any]) -> bytes:
    head = part.get("headers")
    if head is None:
        return _part_head(part)
    return _lines_head(head) if isinstance(head, list) else head.encode("latin-1")


def rebuild(node: Any, load: LoadAsset) -> bytes:
    """The exact bytes a body node was made from."""
    if node is None:
        return b""
    if isinstance(node, str):
        return node.encode()
    if "encoded" in node:
        return load(node["encoded"])
    if "multipart" in node:
        return _rebuild_multipart(node["multipart"], load)
    if "json" in node:
        dumped = json.dumps(node["json"], **_JSON_STYLES[node.get("style", "compact")]).encode()
        return dumped + (b"\n" if node.get("newline") else b"")
    if "text" in node:
        return node["text"].encode()
    if "asset" in node:
        return load(node["asset"])
    raise ValueError(f"unreadable body node: {sorted(node)}")


def _rebuild_multipart(node: dict[str, Any], load: LoadAsset) -> bytes:
    parts = []
    for part in node["parts"]:
        data = part["text"].encode() if "text" in part else load(part["asset"])
        parts.append(RawPart(_head_bytes(part), data))
    return RawMultipart(node["boundary"], node.get("preamble", "").encode("latin-1"), tuple(parts),
                        node.get("epilogue", "--\r\n").encode("latin-1")).join()


def asset_name(data: bytes, ext: str | None) -> str:
    """Content-addressed file name: the same bytes are stored once however often they were sent."""
    return f"{hashlib.sha256(data).hexdigest()[:20]}.{ext or 'bin'}"


def write_asset(folder: Path, data: bytes, ext: str | None) -> Path:
    path = folder / asset_name(data, ext)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
