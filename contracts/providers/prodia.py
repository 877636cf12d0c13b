"""Prodia v2: job-part rules, Go-jsonschema phrasing, and multipart / plain-text error responses."""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..errors import catalog_entry, catalog_key, first_error, stable_uuid
from ..exchange import HttpResponse
from ..multipart import Part, encode
from ..phrasing import fmt_number
from ..rules import Custom, Finding
from ..violations import Violation

JOBS = ("create-job", "create-async-job")


def _parts(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    """One ``job`` part; at least one ``input`` part, with distinct filenames (multipart requests)."""
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
    if not inputs and not fields.getlist("input"):
        yield Finding("input", "missing-input", {})
    names = [p.filename or "" for p in inputs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        yield Finding("input", "duplicate-input-filename", {"value": dupes[0]})


def _json_needs_input(values: dict[str, Any], ctx: Any) -> Iterable[Finding]:
    """A JSON body carries no images, and every segment job needs one."""
    if ctx is not None and not ctx.request.is_form and ctx.request.mimetype.endswith("json"):
        yield Finding("input", "missing-input", {})


RULES = [Custom(JOBS, _parts), Custom(JOBS, _json_needs_input)]


def _pointer(parameter: str | None) -> str:
    if not parameter:
        return ""
    path = parameter.removeprefix("job.").removeprefix("job")
    return "/" + path.replace("[", ".").replace("]", "").replace(".", "/").strip("/") if path else ""


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value) if not isinstance(value, str) else value
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return fmt_number(value)


def phrase(rule: str, parameter: str | None, location: str, detail: dict[str, Any]) -> str:
    """Messages in the shape of the Go jsonschema library the real API reports with."""
    at = _pointer(parameter)
    limit, value = detail.get("limit"), detail.get("value")
    if rule in ("minLength", "maxLength"):
        got = len(value) if isinstance(value, str) else value
        body = f"{rule}: got {_num(got)}, want {_num(limit)}"
    elif rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        body = f"{rule}: got {_num(value)}, want {_num(limit)}"
    elif rule == "required" and parameter == "input":
        return "job requires an input image part named 'input'"
    elif rule == "required":
        parent, _, name = at.rpartition("/")
        return f"jsonschema validation failed with 'job.json#'\n- at '{parent}': missing property '{name}'"
    elif rule == "unknown-field":
        parent, _, name = at.rpartition("/")
        return f"jsonschema validation failed with 'job.json#'\n- at '{parent}': additional properties '{name}' not allowed"
    elif rule == "type":
        body = f"got {type(value).__name__ if value is not None else 'null'}, want {detail.get('expected')}"
    elif rule in ("enum", "const", "oneOf", "anyOf"):
        body = f"value must be one of {json.dumps(limit) if not isinstance(limit, list) or len(limit) < 10 else '...'}"
    elif rule == "missing-input":
        return "job requires an input image part named 'input'"
    elif rule == "missing-job":
        return "request must contain exactly one part named 'job'"
    elif rule == "multiple-job-parts":
        return f"request must contain exactly one part named 'job', got {detail.get('count')}"
    elif rule == "duplicate-input-filename":
        return f"input parts must use different filenames: '{value}' is used more than once"
    elif rule == "auth":
        return "token is invalid"
    elif rule == "content-type":
        return "Content-Type must be multipart/form-data or application/json"
    elif rule == "malformed-body":
        return f"invalid request body: {detail.get('reason', '')}".strip()
    elif rule == "unsupported":
        return f"unknown parameter '{parameter}'"
    else:
        body = f"{rule}: invalid value"
    return f"jsonschema validation failed with 'job.json#'\n- at '{at}': {body}"


ASYNC = ("create-async-job",)


def render(violations: list[Violation], operation: str | None) -> HttpResponse:
    first = first_error(violations)
    if catalog_key(first) == "auth_missing":
        return render_key("auth_missing", operation)
    message = first.message if first else "invalid job"
    status = int(catalog_entry("prodia", "validation").get("status", 400))
    return job_error(status, message, seed=message, as_json=operation in ASYNC)


def job_error(status: int, message: str, *, seed: Any = "", headers: dict[str, str] | None = None,
              as_json: bool = False) -> HttpResponse:
    """How the API reports a refused job: a multipart ``job`` part carrying ``error`` (the async endpoint
    answers the same object as JSON)."""
    job = {"id": stable_uuid("prodia-error", seed), "error": message}
    if as_json:
        return HttpResponse(status, {"Content-Type": "application/json", **(headers or {})},
                            json.dumps(job, separators=(",", ":")).encode())
    content_type, body = encode([Part("job", json.dumps(job).encode(), "application/json", "job.json")])
    return HttpResponse(status, {"Content-Type": content_type, **(headers or {})}, body)


def render_key(key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    entry = catalog_entry("prodia", key)
    status = int(fields.pop("status", entry.get("status", 400)))
    message = fields.pop("message", entry.get("message", key))
    headers = dict(fields.pop("headers", {}) or {})
    retry = fields.pop("retry_after", entry.get("retry_after"))
    if retry is not None:
        headers.setdefault("Retry-After", str(retry))
    if entry.get("body", "job-error" if status == 400 else "text") == "job-error":
        return job_error(status, message, seed=fields.pop("seed", message), headers=headers,
                         as_json=operation in ASYNC)
    return HttpResponse(status, {"Content-Type": "text/plain; charset=utf-8", **headers}, message.encode())
