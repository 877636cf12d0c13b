"""Turn a broken rule into a sentence; providers override the templates to sound like themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_TEMPLATES: dict[str, str] = {
    "required": "{name} is required",
    "required-body": "a request body is required",
    "empty": "{name} must not be empty",
    "type": "{name} must be {expected}",
    "maximum": "{name} must be less than or equal to {limit}",
    "minimum": "{name} must be greater than or equal to {limit}",
    "exclusiveMaximum": "{name} must be less than {limit}",
    "exclusiveMinimum": "{name} must be greater than {limit}",
    "enum": "{name} must be one of: {choices}",
    "const": "{name} must be {limit}",
    "pattern": "{name} has an invalid format",
    "format": "{name} must be a valid {limit}",
    "minLength": "{name} must be at least {limit} characters long",
    "maxLength": "{name} must be at most {limit} characters long",
    "minItems": "{name} must contain at least {limit} items",
    "maxItems": "{name} must contain at most {limit} items",
    "oneOf": "{name} is not a valid value",
    "anyOf": "{name} is not a valid value",
    "unknown-field": "{name} is not allowed",
    "unsupported": "{name} is not supported",
    "duplicate": "{name} was provided {count} times",
    "exclusive": "{name} can't be provided together with {with}",
    "one-of-required": "one of {choices} must be provided",
    "forbidden": "{name} can't be provided if {when}",
    "auth": "missing credentials: {name}",
    "content-type": "unsupported content type {value}",
    "malformed-body": "the request body could not be parsed: {reason}",
    "malformed": "{name} could not be parsed",
    "unknown-operation": "no operation {method} {path}",
    "method-not-allowed": "method {method} not allowed on {path}",
    "undocumented-status": "status {status} is not documented for this operation",
    "invalid": "{name} is invalid",
}

TYPE_WORDS = {"number": "a number", "integer": "an integer", "boolean": "a boolean", "string": "a string",
              "object": "an object", "array": "an array", "null": "null"}


def fmt_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def phrase(templates: Mapping[str, str], rule: str, parameter: str | None, detail: Mapping[str, Any],
           type_words: Mapping[str, str] = TYPE_WORDS) -> str:
    """Fill the template for ``rule`` (provider's first, then the default) with the violation's details."""
    template = templates.get(rule) or DEFAULT_TEMPLATES.get(rule) or "{name} is invalid ({rule})"
    expected = detail.get("expected", detail.get("limit"))
    if isinstance(expected, list):
        expected_text = " or ".join(type_words.get(str(t), str(t)) for t in expected)
    else:
        expected_text = type_words.get(str(expected), str(expected))
    limit = detail.get("limit")
    choices = detail.get("names") or (limit if isinstance(limit, list) else None) or []
    values = {
        "name": parameter or "request",
        "rule": rule,
        "expected": expected_text,
        "limit": fmt_number(limit) if not isinstance(limit, (list, dict)) else limit,
        "choices": ", ".join(str(c) for c in choices),
        "with": detail.get("with", ""),
        "when": detail.get("when", ""),
        "count": detail.get("count", ""),
        "value": detail.get("value", ""),
        "reason": detail.get("reason", ""),
        "method": detail.get("method", ""),
        "path": detail.get("path", ""),
        "status": detail.get("status", ""),
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return DEFAULT_TEMPLATES.get(rule, "{name} is invalid").format(**values)
