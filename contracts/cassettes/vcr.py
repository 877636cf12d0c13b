"""Read and write VCR.py / pytest-recording cassettes.

Teams already have VCR cassettes; ``segmock verify`` checks them as they are, and ``segmock export --vcr``
turns a segmock recording into a cassette VCR.py replays (``record_mode="none"``), bodies included.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml
from werkzeug.datastructures import Headers

from contracts.cassettes.cassette import Interaction, headers_from
from contracts.wire.exchange import HttpRequest, HttpResponse


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def interactions_from(document: dict[str, Any]) -> list[Interaction]:
    """The interactions of a loaded VCR cassette (``body.string`` or the older httpx ``content`` key)."""
    out = []
    for item in document["interactions"]:
        req, resp = item["request"], item["response"]
        body = req.get("body")
        if isinstance(body, dict):
            body = body.get("string")
        resp_body = resp.get("body")
        resp_body = resp_body.get("string") if isinstance(resp_body, dict) else resp.get("content", resp_body)
        status = resp.get("status", {})
        code = status.get("code") if isinstance(status, dict) else status
        out.append(Interaction(HttpRequest(req["method"], req["uri"], headers_from(req.get("headers")), _bytes(body)),
                               HttpResponse(int(code or 0), headers_from(resp.get("headers")), _bytes(resp_body))))
    return out


def _headers_node(headers: Headers) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        out.setdefault(name, []).append(value)
    return out


def _body(data: bytes) -> str | bytes | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # written as !!binary, which VCR.py's loader turns back into bytes


def to_document(interactions: list[Interaction]) -> dict[str, Any]:
    items = []
    for i in interactions:
        req, resp = i.request, i.response
        try:
            message = HTTPStatus(resp.status).phrase
        except ValueError:
            message = ""
        items.append({
            "request": {"body": _body(req.body) if req.body else None, "headers": _headers_node(req.headers),
                        "method": req.method, "uri": req.url},
            "response": {"body": {"string": _body(resp.body)}, "headers": _headers_node(resp.headers),
                         "status": {"code": resp.status, "message": message}},
        })
    return {"interactions": items, "version": 1}


def export(interactions: list[Interaction], path: Path | str) -> Path:
    """Write a VCR.py cassette (YAML serializer, version 1)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_document(interactions), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
