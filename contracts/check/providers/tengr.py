"""tengr.ai: cross-field rules of segmentation artworks, NestJS-style phrasing and error bodies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from contracts.check.addresses import Kind, host_kinds
from contracts.check.errors import catalog_entry, catalog_key, json_response
from contracts.check.phrasing import phrase as fill
from contracts.check.rules import Custom, Finding, RequiredWhen, equals
from contracts.check.violations import Violation, errors_only
from contracts.wire.exchange import HttpResponse

CREATE = ("create-segmentation-artwork",)
WITH_WEBHOOK = ("create-segmentation-artwork", "create-remove-background-artwork")
TEXT_FIELDS = ("textPrompt", "textConfidence", "textMaxDetections", "textCombineMasks")
POINT_FIELDS = ("pointsPositive", "pointsNegative", "pointsRefinementSteps", "pointsMultimask", "pointsBestMask")


def webhook_problem(url: str) -> str | None:
    """Why a webhook URL would be refused (``None`` when it is HTTPS on a publicly routable host).

    Every spelling of an address counts (``https://2130706433/`` is loopback); a name is judged by what it says
    of itself (``localhost``, ``*.internal``), and the mock checks the addresses it resolves to again when it
    delivers (``mockserver.core.outbound``).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "webhook-host"
    if parts.scheme != "https":
        return "webhook-scheme"
    if not host or host_kinds(host) - {Kind.PUBLIC}:
        return "webhook-host"
    return None


def _webhook(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    url = values.get("webhook")
    if isinstance(url, str):
        problem = webhook_problem(url)
        if problem:
            yield Finding("webhook", problem, {"value": url})


def _labels(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    """``labels`` is as long as ``points`` (the pair shape and the 0..1 range are in the spec)."""
    for group in ("pointsPositive", "pointsNegative"):
        spec_ = values.get(group)
        if not isinstance(spec_, dict) or not isinstance(spec_.get("points"), list):
            continue
        points, labels = spec_["points"], spec_.get("labels")
        if labels is not None and (not isinstance(labels, list) or len(labels) != len(points)):
            yield Finding(f"{group}.labels", "labels-length",
                          {"count": len(points), "value": len(labels) if isinstance(labels, list) else labels})


RULES = [
    RequiredWhen(CREATE, ("textPrompt",), equals("method", "text")),
    RequiredWhen(CREATE, ("pointsPositive",), equals("method", "points")),
    Custom(CREATE, _labels),
    Custom(WITH_WEBHOOK, _webhook),
]

# class-validator's wording, as NestJS ValidationPipe returns it.
TEMPLATES = {
    "required": "{name} should not be empty",
    "empty": "{name} should not be empty",
    "maximum": "{name} must not be greater than {limit}",
    "minimum": "{name} must not be less than {limit}",
    "exclusiveMaximum": "{name} must be less than {limit}",
    "exclusiveMinimum": "{name} must be greater than {limit}",
    "enum": "{name} must be one of the following values: {choices}",
    "type": "{name} must be {expected}",
    "format": "{name} must be a URL address",
    "unknown-field": "property {name} should not exist",
    "unsupported": "property {name} should not exist",
    "forbidden": "{name} is only allowed when method is {mode}",
    "minItems": "{name} must contain at least {limit} elements",
    "maxItems": "{name} must contain no more than {limit} elements",
    "minLength": "{name} must be longer than or equal to {limit} characters",
    "maxLength": "{name} must be shorter than or equal to {limit} characters",
    "labels-length": "{name} must contain as many labels as points ({count})",
    "webhook-scheme": "webhook must use HTTPS",
    "webhook-host": "webhook must point to a publicly routable host",
    "auth": "Unauthorized",
    "content-type": "Content-Type must be application/json",
    "malformed-body": "Unexpected token in JSON body",
}
TYPE_WORDS = {"number": "a number conforming to the specified constraints", "integer": "an integer number",
              "boolean": "a boolean value", "string": "a string", "object": "an object", "array": "an array"}


def phrase(rule: str, parameter: str | None, location: str, detail: dict[str, Any]) -> str:
    if rule == "forbidden":
        mode = "text" if (parameter or "").startswith("text") else "points"
        return f"{parameter} is only allowed when method is {mode}"
    return fill(TEMPLATES, rule, parameter, detail, TYPE_WORDS)


def render(violations: list[Violation], operation: str | None) -> HttpResponse:
    """NestJS ValidationPipe's shape: ``{"message": [...], "error": "Bad Request", "statusCode": 400}``."""
    errors = errors_only(violations)
    key = catalog_key(errors[0] if errors else None)
    if key == "auth_missing":
        return render_key("auth_missing", operation)
    entry = catalog_entry("tengr", "validation")
    status = int(entry.get("status", 400))
    return json_response(status, {"message": [v.message for v in errors],
                                  "error": entry.get("error", "Bad Request"), "statusCode": status})


def render_key(key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    entry = catalog_entry("tengr", key)
    status = int(fields.pop("status", entry.get("status", 400)))
    body: dict[str, Any] = {"message": fields.pop("message", entry.get("message", "Bad Request")), "statusCode": status}
    error = fields.pop("error", entry.get("error"))
    if error:
        body["error"] = error
    return json_response(status, body, fields.pop("headers", None))

