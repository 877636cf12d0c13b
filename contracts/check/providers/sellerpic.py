"""SellerPic: required task fields, Spring-style phrasing, and the ``{code,data,msg,success,traceId}`` envelope."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from werkzeug.datastructures import Headers

from contracts.check.errors import catalog_entry, catalog_key, first_error, json_response, stable_hex
from contracts.check.phrasing import phrase as fill
from contracts.check.rules import RequiredWhen
from contracts.check.violations import Violation
from contracts.wire.exchange import HttpResponse

RULES = [
    RequiredWhen(("prompt-segmentation",), ("imageKey", "prompt")),
    RequiredWhen(("segment-image",), ("imageKey",)),
]

TEMPLATES = {
    "required": "{name} must not be blank",
    "empty": "{name} must not be blank",
    "type": "{name} must be {expected}",
    "enum": "{name} must be one of [{choices}]",
    "auth": "Unauthorized",
}


def phrase(rule: str, parameter: str | None, location: str, detail: dict[str, Any]) -> str:
    return fill(TEMPLATES, rule, parameter, detail)


def envelope(code: int, msg: str, data: Any = None, *, seed: Any = "") -> dict[str, Any]:
    """The envelope every SellerPic JSON response uses; ``traceId`` is derived from ``seed`` (deterministic)."""
    return {"code": code, "data": data, "msg": msg, "success": code == 0,
            "traceId": stable_hex("sellerpic-trace", seed, code, msg, length=12)}


def render(violations: list[Violation], operation: str | None) -> HttpResponse:
    first = first_error(violations)
    key = catalog_key(first)
    entry = catalog_entry("sellerpic", key)
    if key == "auth_missing":
        message = entry.get("message", "Unauthorized")
    else:
        message = first.message if first else "Bad Request"
    return _respond(entry, message, operation)


def render_key(key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    entry = catalog_entry("sellerpic", key)
    message = fields.pop("message", entry.get("message", key))
    return _respond(entry, message, operation, seed=fields.pop("seed", ""), status=fields.pop("status", None),
                    headers=fields.pop("headers", None))


def _respond(entry: dict[str, Any], message: str, operation: str | None, *, seed: Any = "",
             status: int | None = None, headers: dict[str, str] | None = None) -> HttpResponse:
    if entry.get("media_type") == "application/xml":  # the storage host answers like an object store
        body = f"<Error><Code>{escape(str(entry['code']))}</Code><Message>{escape(message)}</Message></Error>"
        xml = Headers({"Content-Type": "application/xml", **(headers or {})})
        return HttpResponse(int(status or entry["status"]), xml, body.encode())
    code = int(entry.get("code", 400))
    http = int(status or entry.get("status", 200))
    return json_response(http, envelope(code, message, None, seed=(operation, seed, message)), headers)
