"""Prodia v2: job-part rules, Go-jsonschema phrasing, and multipart / plain-text error responses.

Every message template, status and the order in which problems win come from ``specs/prodia.yaml``
(``x-segmock-errors``, ``x-segmock-check-order``); this module only decides which catalog entry a violation is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import Headers

from contracts.check.errors import catalog_entry, first_error, stable_uuid
from contracts.check.phrasing import fmt_number
from contracts.check.rules import Custom, Finding
from contracts.check.violations import Violation, errors_only
from contracts.openapi.documents import spec
from contracts.wire.exchange import HttpResponse
from contracts.wire.multipart import Part, encode

JOBS = ("create-job", "create-async-job")
ASYNC = ("create-async-job",)
_GO_NUMBERS = frozenset({"bytes", "max_bytes", "count"})
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "dict": "object",
               "list": "array", "NoneType": "null", "bytes": "string"}


def canonical_type(job_type: Any) -> str | None:
    """The canonical job type for a type string (aliases resolved), or None when the spec does not know it."""
    raw = spec("prodia").raw
    if not isinstance(job_type, str):
        return None
    job_type = raw.get("x-segmock-job-type-aliases", {}).get(job_type, job_type)
    return job_type if job_type in raw.get("x-segmock-job-types", {}) else None


def needs_input(job: Any) -> bool:
    """Whether the job's type takes an input image (unknown types are judged by the schema, not here)."""
    canonical = canonical_type(job.get("type")) if isinstance(job, dict) else None
    if canonical is None:
        return False
    return spec("prodia").raw["x-segmock-job-types"][canonical].get("input") is not None


def _parts(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    """One ``job`` part; an ``input`` part when the job type needs one, with distinct filenames."""
    if ctx is None or not ctx.request.is_form:
        return
    try:
        fields, files = ctx.request.form_parts()
    except ValueError:
        return
    jobs = len(fields.getlist("job")) + len(files.getlist("job"))
    if jobs == 0:
        yield Finding("job", "missing-job", {})
    elif jobs > 1:
        yield Finding("job", "multiple-job-parts", {"count": jobs})
    inputs = files.getlist("input")
    if not inputs and not fields.getlist("input") and needs_input(values.get("job")):
        yield Finding("input", "required", {})
    names = [p.filename or "" for p in inputs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        yield Finding("input", "duplicate-input-filename", {"value": dupes[0]})


def _json_needs_input(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    """A JSON body carries no images, and every segment job needs one."""
    if ctx is not None and not ctx.request.is_form and ctx.request.mimetype.endswith("json") \
            and needs_input(values):
        yield Finding("input", "missing-input", {})


RULES = [Custom(JOBS, _parts), Custom(JOBS, _json_needs_input)]


def _pointer(parameter: str | None) -> str:
    if not parameter:
        return ""
    path = parameter.removeprefix("job.").removeprefix("job")
    return "/" + path.replace("[", ".").replace("]", "").replace(".", "/").strip("/") if path else ""


def _num(value: Any) -> str:
    """Numbers as Go's jsonschema prints them (thousands separators); other values as JSON."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value) if not isinstance(value, str) else value
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return fmt_number(value)


def _validation() -> tuple[str, dict[str, str]]:
    entry = catalog_entry("prodia", "validation")
    return entry["message"], dict(entry.get("details", {}))


def phrase(rule: str, parameter: str | None, location: str, detail: dict[str, Any]) -> str:
    """Messages in the shape of the Go jsonschema library the real API reports with (templates from the spec)."""
    template, details = _validation()
    at = _pointer(parameter)
    limit, value = detail.get("limit"), detail.get("value")
    if location == "header" and rule not in ("auth", "content-type"):
        return details["header"].format(property=parameter, got=value)
    if rule in ("minLength", "maxLength"):
        got = len(value) if isinstance(value, str) else value
        body = details[rule].format(got=_num(got), want=_num(limit))
    elif rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        body = details.get(rule, details["maximum"].replace("maximum", rule)).format(got=_num(value), want=_num(limit))
    elif rule in ("required", "missing-input") and parameter == "input":
        return _catalog_message("missing_input")
    elif rule in ("required", "unknown-field"):
        at, _, name = at.rpartition("/")
        body = details["required" if rule == "required" else "additionalProperties"].format(property=name)
    elif rule == "type":
        got = _JSON_TYPES.get(type(value).__name__, type(value).__name__)
        body = details["type"].format(got=got, want=detail.get("expected"))
    elif rule in ("enum", "const", "oneOf", "anyOf"):
        choices = limit if isinstance(limit, list) else [limit]
        shown = ", ".join(json.dumps(c) for c in choices) if all(not isinstance(c, dict) for c in choices) else "..."
        body = details["enum"].format(want=shown)
    elif rule == "pattern":
        body = details["pattern"].format(got=value, want=limit)
    elif rule == "missing-job":
        return _catalog_message("multiple_job_parts", count=0)
    elif rule == "multiple-job-parts":
        return _catalog_message("multiple_job_parts", count=detail.get("count"))
    elif rule == "duplicate-input-filename":
        return _catalog_message("duplicate_input_filename", filename=value)
    elif rule == "auth":
        return _catalog_message("auth_invalid")
    elif rule == "content-type":
        return "Content-Type must be multipart/form-data or application/json"
    elif rule == "malformed-body":
        return f"invalid request body: {detail.get('reason', '')}".strip()
    elif rule == "unsupported":
        return f"unknown parameter '{parameter}'"
    else:
        body = f"{rule}: invalid value"
    return template.format(pointer=at, detail=body)


def _catalog_message(key: str, **values: Any) -> str:
    message = str(catalog_entry("prodia", key).get("message", key))
    if not values:
        return message
    return message.format(**{k: _num(v) if k in _GO_NUMBERS else v for k, v in values.items()})


def catalog_key(violation: Violation) -> str:
    """Which ``x-segmock-errors`` entry answers a violation."""
    rule, parameter = violation.rule, violation.parameter
    if rule == "auth":
        return "auth_missing"
    if rule == "multiple-job-parts" or (rule == "duplicate" and parameter == "job"):
        return "multiple_job_parts"
    if rule == "missing-job" or (rule == "required" and parameter in ("job", "job.type", "type")):
        return "unknown_job_type"
    if rule in ("oneOf", "anyOf", "enum", "const") and parameter in (None, "job", "job.type", "type") \
            and violation.location != "header" and isinstance(violation.detail.get("value"), (dict, str)) \
            and _names_no_known_type(violation.detail.get("value")):
        return "unknown_job_type"
    if parameter == "input" and rule in ("required", "missing-input", "minItems"):
        return "missing_input"
    if rule == "duplicate-input-filename":
        return "duplicate_input_filename"
    return "validation"


def _names_no_known_type(value: Any) -> bool:
    """A job object whose ``type`` is missing or unknown (a bare string is the ``type`` value itself)."""
    job_type = value.get("type") if isinstance(value, dict) else value
    return canonical_type(job_type) is None


def _order() -> list[str]:
    return list(spec("prodia").raw.get("x-segmock-check-order", {}).get("order", []))


def render(violations: list[Violation], operation: str | None) -> HttpResponse:
    """The answer to a refused request: the catalog entry of the problem that the check order puts first."""
    errors = errors_only(violations)
    if not errors:
        first = first_error(violations)
        return render_key("validation", operation, message=first.message if first else "invalid job")
    order = _order()
    keyed = sorted(((catalog_key(v), v) for v in errors),
                   key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    key, violation = keyed[0]
    if key in ("validation", "missing_input", "multiple_job_parts", "duplicate_input_filename"):
        return render_key(key, operation, message=violation.message)
    return render_key(key, operation)


def job_error(status: int, message: str, *, seed: Any = "", headers: dict[str, str] | None = None,
              as_json: bool = False) -> HttpResponse:
    """How the API reports a refused job: a multipart ``job`` part carrying ``error`` (the async endpoint
    answers the same object as JSON)."""
    job = {"id": stable_uuid("prodia-error", seed), "error": message}
    if as_json:
        return HttpResponse(status, Headers({"Content-Type": "application/json", **(headers or {})}),
                            json.dumps(job, separators=(",", ":")).encode())
    content_type, body = encode([Part("job", json.dumps(job).encode(), "application/json", "job.json")])
    return HttpResponse(status, Headers({"Content-Type": content_type, **(headers or {})}), body)


def render_key(key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    """A catalog entry as the API sends it; ``values`` fill the message's ``{placeholders}``."""
    entry = catalog_entry("prodia", key)
    status = int(fields.pop("status", entry.get("status", 400)))
    values = fields.pop("values", None)
    message = fields.pop("message", None) or (_catalog_message(key, **values) if values else entry.get("message", key))
    headers = dict(fields.pop("headers", {}) or {})
    retry = fields.pop("retry_after", entry.get("retry_after"))
    if retry is not None:
        headers.setdefault("Retry-After", str(retry))
    if entry.get("body", "job-error" if status == 400 else "text") == "job-error":
        return job_error(status, message, seed=fields.pop("seed", message), headers=headers,
                         as_json=operation in ASYNC)
    return HttpResponse(status, Headers({"Content-Type": "text/plain; charset=utf-8", **headers}), message.encode())
