"""Turn a spec's ``x-segmock-request-examples`` into real requests (with generated images).

The property suite, the spec tests and users' own tests use this to send what the docs show.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import Headers

from contracts.openapi.documents import Operation, Spec, default_url
from contracts.openapi.documents import spec as load_spec
from contracts.wire.exchange import HttpRequest
from contracts.wire.multipart import Part, encode

_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}


def sample_image(fmt: str = "png", width: int = 320, height: int = 256) -> bytes:
    """A small packshot-like image: a coloured object on a light background, in ``fmt``."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (width, height), (242, 242, 240))
    draw = ImageDraw.Draw(im)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.85), fill=(200, 40, 40))
    buf = io.BytesIO()
    im.save(buf, _PIL_FORMAT[fmt.lower()])
    return buf.getvalue()


def server_url(op: Operation, spec: Spec) -> str:
    """The operation's base URL with server variables at their defaults."""
    servers = (op.node.get("servers") or spec.raw["paths"][op.path].get("servers") or spec.raw.get("servers")
               or [{"url": op.base_url}])
    return default_url(servers[0])


def auth_headers(spec: Spec, token: str = "segmock-test-key") -> dict[str, str]:
    """Credentials in the form the spec's security scheme wants."""
    return spec.credential.header(token) if spec.credential is not None else {}


def build(provider: str, operation: str, example: dict[str, Any], *, base_url: str | None = None,
          token: str = "segmock-test-key") -> HttpRequest:
    """The request an example describes; placeholders (``YOUR_API_KEY``) become ``token``."""
    spec = load_spec(provider)
    op = spec.operations[operation]
    path = op.path
    for name, value in example.get("path", {}).items():
        path = path.replace("{" + name + "}", str(value))
    path = path.replace("{", "").replace("}", "")
    url = (base_url or server_url(op, spec)).rstrip("/") + path
    if example.get("query"):
        url += "?" + urlencode({k: _text(v) for k, v in example["query"].items()})
    headers = {k: _secret(v, token) for k, v in example.get("headers", {}).items()}
    if op.node.get("security", spec.raw.get("security")) and not _has_auth(headers, spec):
        headers.update(auth_headers(spec, token))
    body = b""
    if "json" in example:
        body = json.dumps(example["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "parts" in example:
        content_type, body = encode([_part(p) for p in example["parts"]])
        headers["Content-Type"] = content_type
    elif set(example.get("files", {})) == {"body"}:
        fmt = example["files"]["body"]
        body = sample_image(fmt)
        headers.setdefault("Content-Type", _MIME[fmt])
    elif "form" in example or "files" in example:
        parts = [Part(k, _text(v).encode()) if not isinstance(v, (dict, list)) else
                 Part(k, json.dumps(v).encode(), "application/json", f"{k}.json")
                 for k, v in example.get("form", {}).items()]
        for name, fmt in example.get("files", {}).items():
            parts.append(Part(name, sample_image(fmt), _MIME[fmt], f"image.{'jpg' if fmt == 'jpeg' else fmt}"))
        content_type, body = encode(parts)
        headers["Content-Type"] = content_type
    return HttpRequest(op.method.upper(), url, Headers(headers), body)


def _part(item: dict[str, Any]) -> Part:
    if "json" in item:
        data = json.dumps(item["json"]).encode()
    elif "image" in item:
        data = sample_image(item["image"])
    else:
        data = _text(item.get("value", "")).encode()
    return Part(item["name"], data, item.get("content_type", "text/plain"), item.get("filename"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _secret(value: Any, token: str) -> str:
    text = _text(value)
    for placeholder in ("YOUR_API_KEY", "YOUR_TOKEN", "YOUR_KEY"):
        text = text.replace(placeholder, token)
    return text


def _has_auth(headers: dict[str, str], spec: Spec) -> bool:
    wanted = {k.lower() for k in auth_headers(spec)}
    return any(k.lower() in wanted for k in headers)


def iter_examples(provider: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every documented request example of a provider, as (operationId, example)."""
    for op in load_spec(provider).operations.values():
        for example in op.node.get("x-segmock-request-examples", []):
            yield op.operation_id, example
