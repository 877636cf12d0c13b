"""Turn one answered exchange into a journal entry: parameters as sent, uploads described, thumbnails.

Credentials never reach the journal (nor so the inspector): secret fields, secret query parameters and the
``user:password@`` of any URL are blanked by the cassettes' redactor before the entry is written.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any

from contracts.cassettes.redaction import DEFAULT as REDACTOR
from contracts.cassettes.redaction import redact_url

from .journal import Exchange
from .pictures import describe, input_thumbnail, looks_like_image, outputs

MAX_TEXT = 2000


def sent_params(value: Any) -> Any:
    """``ctx.sent`` made JSON-safe: uploads become their description, very long strings are cut."""
    if isinstance(value, (bytes, bytearray)):
        return describe(bytes(value))
    if isinstance(value, dict):
        return {str(k): sent_params(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sent_params(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + f"… ({len(value)} chars)"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    data = getattr(value, "data", None)
    if isinstance(data, bytes):  # a file part
        return describe(data)
    return repr(value)


def uploads(value: Any) -> list[bytes]:
    """Every byte string among the parameters, in the order sent."""
    if isinstance(value, (bytes, bytearray)):
        return [bytes(value)]
    if isinstance(value, dict):
        return [b for v in value.values() for b in uploads(v)]
    if isinstance(value, (list, tuple)):
        return [b for v in value for b in uploads(v)]
    data = getattr(value, "data", None)
    return [data] if isinstance(data, bytes) else []


def inputs(value: Any) -> list[bytes]:
    """The images a request sent: uploads, then ``data:image/...;base64,`` URLs (what async providers such as
    tengr receive instead of a file), decoded, so the inspector shows the input either way."""
    found = uploads(value)
    for text in _strings(value):
        if text.startswith("data:image/") and ";base64," in text[:64]:
            try:
                found.append(base64.b64decode(text.split(",", 1)[1], validate=False))
            except (ValueError, binascii.Error):
                continue
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def exchange(provider: str, operation: str, request: Any, ctx: Any, response: Any, elapsed: float,
             fault: str | None, thumbnails: bool, reason: str | None = None) -> Exchange:
    """The journal entry of one exchange; ``fault`` names an injected fault (``status``, ``reset`` …) or a
    canned answer; ``reason`` is the mock's own explanation of a refusal or failure."""
    sent = ctx.sent if ctx is not None else {}
    params = REDACTOR.redact_json(sent_params(sent))
    image = next((d for d in _described(params) if "width" in d), None)
    streamed = getattr(response, "is_streamed", True)
    body = response.get_data() if not streamed else b""
    broken = fault in ("reset", "empty")
    entry = Exchange(
        method=request.method, path=request.path, query=REDACTOR.query_string(request.query_string.decode("latin-1")),
        provider=provider, operation=operation, params=params,
        image={k: image[k] for k in ("width", "height", "format")} if image else None,
        status=None if broken else response.status_code,
        content_type=None if broken else response.headers.get("Content-Type"),
        response_bytes=None if broken or streamed else len(body),
        elapsed_ms=elapsed * 1000, fault=fault, worker=os.getpid(), reason=reason,
        response_text=None if broken else response_text(response.headers.get("Content-Type") or "", body))
    if thumbnails and not broken:
        first = next((data for data in inputs(sent) if looks_like_image(data)), None)
        entry.input_thumb = input_thumbnail(first) if first is not None else None
        if 200 <= response.status_code < 300 and body:
            entry.outputs = outputs(entry.content_type or "", body)
    return entry


def response_text(content_type: str, body: bytes) -> str | None:
    """A JSON or text answer as text, redacted like the parameters (an answer may echo them: tengr's artwork
    carries its webhook URL), cut at ``MAX_TEXT`` (images and other binaries: None)."""
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if not body or not (mimetype.startswith("text/") or mimetype.endswith("json")):
        return None
    text = body.decode("utf-8", "replace")
    if not REDACTOR.may_change(text):  # a poll's answer: kept as sent instead of parsed and written again
        return _cut(text)
    try:
        text = json.dumps(REDACTOR.redact_json(json.loads(text)), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _cut(text)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _described(params: Any) -> list[dict[str, Any]]:
    if isinstance(params, dict):
        if "sha256" in params and "bytes" in params:
            return [params]
        return [d for v in params.values() for d in _described(v)]
    if isinstance(params, list):
        return [d for v in params for d in _described(v)]
    return []
