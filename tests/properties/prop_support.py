"""Shared by the property and hostile suites: an in-process mock, and what the specs say an answer must be."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import contracts
from contracts import HttpRequest, HttpResponse
from contracts.openapi.fields import fields, media_types
from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.inprocess import InProcessTransport
from mockserver.providers import available


@dataclass
class Mock:
    """One app answering requests in-process; state is forgotten before each request, so quotas, rate
    limits and job counts never depend on how many examples Hypothesis ran before."""

    app: Any

    def send(self, request: HttpRequest) -> HttpResponse:
        self.app.extensions["segmock"].reset()
        status, headers, body = InProcessTransport(self.app).send(request.method, request.url,
                                                                  list(request.headers.items()), request.body)
        return HttpResponse(status, headers, body)


def make_mock(state_dir: Any) -> Mock:
    return Mock(create_app(MockConfig(state_dir=state_dir, allow_private_webhooks=True)))


def operations(only_implemented: bool = True) -> list[tuple[str, str]]:
    """(provider, operationId) of every mocked operation of every (available) provider (the documented-but-unmocked
    ones answer 501 by design; tests/core/test_dispatch.py covers them)."""
    names = available() if only_implemented else contracts.providers()
    return [(p, op) for p in names for op in contracts.spec(p).operations if op not in contracts.spec(p).unmocked]


def ids(pairs: list[tuple[Any, ...]]) -> list[str]:
    return [":".join(str(x) for x in pair) for pair in pairs]


def responses(provider: str, operation: str) -> dict[str, Any]:
    return contracts.spec(provider).operations[operation].node.get("responses", {})


def success_statuses(provider: str, operation: str) -> set[int]:
    """The documented 2xx statuses of an operation."""
    return {int(code) for code in responses(provider, operation) if code.isdigit() and code.startswith("2")}


def addresses_a_resource(provider: str, operation: str) -> bool:
    """Whether a request names a stored resource (a path id or token, an ``id``/``imageKey`` field): a valid
    request for an id nobody created gets the documented not-found answer, not a 2xx."""
    for media in media_types(provider, operation) or [None]:
        for f in fields(provider, operation, media):
            if f.location == "path" or f.name in ("id", "imageKey"):
                return True
    return False


def not_found_statuses(provider: str, operation: str) -> set[int]:
    """Documented answers for an unknown resource: 404, or a storage URL's 403 (SellerPic's presigned URLs)."""
    out = {int(c) for c in responses(provider, operation) if c in ("404", "403")}
    return out if addresses_a_resource(provider, operation) else set()


def body_text(response: HttpResponse) -> str:
    return response.body.decode("utf-8", "replace")


def leaf(parameter: str) -> str:
    """The last name of a dotted/indexed path (``job.config.prompt`` → ``prompt``)."""
    tokens = [t for t in re.split(r"[.\[\]]", parameter) if t and not t.isdigit()]
    return tokens[-1] if tokens else parameter


def names_parameter(response: HttpResponse, parameter: str) -> bool:
    text = body_text(response)
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return parameter in text or leaf(parameter) in text


def off_spec(provider: str, request: HttpRequest, response: HttpResponse) -> list[str]:
    return [str(v) for v in contracts.validate_response(provider, request, response)]


def binary_operations() -> Iterator[tuple[str, str, str, str]]:
    """(provider, operation, media type, field) for every available operation taking an uploaded image."""
    from contracts.generate.values import is_binary

    for provider, operation in operations():
        for media in media_types(provider, operation):
            for f in fields(provider, operation, media):
                items = f.schema.get("items") if isinstance(f.schema, dict) else None
                if is_binary(f.schema) or is_binary(items):
                    yield provider, operation, media, f.name


def job_type(request: HttpRequest) -> str | None:
    """The ``type`` of a Prodia job, from its ``job`` part or JSON body."""
    try:
        if request.is_form:
            fields_, files = request.form_parts()
            raw = files["job"].data if "job" in files else fields_.get("job", "")
            return json.loads(raw).get("type")
        return json.loads(request.body or b"{}").get("type")
    except (ValueError, KeyError, AttributeError):
        return None


def documented_refusal(provider: str, operation: str, request: HttpRequest) -> int | None:
    """The status a contract-valid request gets because of mock facts the spec declares outside the schema:
    Prodia job types without ``async_permitted`` refused by the async endpoint (``async_not_permitted``)."""
    spec = contracts.spec(provider)
    entry = spec.errors.get("async_not_permitted")
    if entry and operation in entry.get("operations", []):
        kind = job_type(request)
        types = spec.raw.get("x-segmock-job-types", {})
        canonical = spec.raw.get("x-segmock-job-type-aliases", {}).get(kind, kind)
        if canonical in types and not types[canonical].get("async_permitted", False):
            return int(entry["status"])
    return None
