"""What an injected rule answers: a status fault's provider-shaped error, or a test's canned answer.

The provider's error catalog (``x-segmock-errors``) is the source: an explicit ``error`` key, else the
conventional key for the status (``rate_limited`` for 429, ``credits_exhausted`` for 402 …), else any
catalog entry with that status, else the provider's ``server_error`` body carrying the requested status and
its reason phrase (a 502/503 from the provider's edge keeps the provider's body format). A rule covering
several providers may name an error key only some of them list; the others answer by status.

A canned answer is checked against the spec when it is queued (``canned_rule``): a body the provider could
not send for that operation and status is refused there, naming what is wrong, never served.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from http import HTTPStatus
from typing import Any

from werkzeug.datastructures import Headers

import contracts
from contracts.check.providers import error_response

from .faults import FaultError, FaultRule

CONVENTIONAL = {
    402: ("credits_exhausted", "insufficient_credits"),
    429: ("rate_limited",),
    500: ("server_error",),
    401: ("auth_invalid",),
    403: ("forbidden", "auth_invalid"),
    404: ("not_found",),
    400: ("validation",),
}
DEFAULT_RETRY_AFTER = 1


def catalog_key(provider: str, status: int) -> str | None:
    """The catalog entry that best describes ``status`` for this provider (None: no entry has it)."""
    catalog = contracts.spec(provider).errors
    for key in CONVENTIONAL.get(status, ()):
        if key in catalog:
            return key
    for key, entry in catalog.items():
        if "." not in key and isinstance(entry, dict) and entry.get("status") == status:
            return key
    return None


def fault_answer(provider: str, operation: str, rule: FaultRule) -> contracts.HttpResponse:
    """The provider-shaped error response a ``status`` rule asks for."""
    catalog = contracts.spec(provider).errors
    fields: dict[str, object] = {}
    key = rule.error if rule.error in catalog else None  # a rule for every provider may name one's key
    if key is None:
        key = catalog_key(provider, int(rule.status or 500))
        if key is None:
            key = "server_error"
            fields["message"] = _reason(int(rule.status or 500))
    status = rule.status if rule.status is not None else int(catalog[key].get("status", 500))
    if rule.status is not None:
        fields["status"] = rule.status
    if status == 429 or rule.retry_after is not None:
        fields["headers"] = {"Retry-After": str(rule.retry_after if rule.retry_after is not None
                                                else DEFAULT_RETRY_AFTER)}
    return error_response(provider, key, operation, **fields)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def canned_rule(data: dict[str, Any], served: tuple[str, ...]) -> FaultRule:
    """A canned answer as a rule, refused (``FaultError``) when it would break the operation's contract.

    ``data``: ``provider`` and ``operation`` (required), then one of ``error`` (a catalog key) or ``status``
    alone (the provider's own error for it), ``json`` or ``body_base64`` (with ``status``, default 200, and
    ``headers``), or ``mask_base64`` (an image: the provider answers as usual around this mask); ``times``
    (default 1: the next call only).
    """
    unknown = set(data) - {"provider", "operation", "status", "error", "json", "body_base64", "headers",
                           "mask_base64", "times"}
    if unknown:
        raise FaultError(f"unknown answer field(s): {', '.join(sorted(unknown))}")
    provider, operation = data.get("provider"), data.get("operation")
    if provider not in served:
        raise FaultError(f"provider must be one of {', '.join(served)}, not {provider!r}")
    if operation not in contracts.spec(str(provider)).operations:
        raise FaultError(f"no operation {operation!r} in {provider} "
                         f"({', '.join(contracts.spec(str(provider)).operations)})")
    base = {"provider": provider, "operation": operation, "times": data.get("times", 1)}
    given = [k for k in ("error", "json", "body_base64", "mask_base64") if k in data]
    if len(given) > 1:
        raise FaultError(f"give one of error, json, body_base64 or mask_base64, not {' and '.join(given)}")
    if not given or given == ["error"]:
        if "status" not in data and "error" not in data:
            raise FaultError("say what to answer: error, status, json, body_base64 or mask_base64")
        error = FaultRule.from_json({"kind": "status", "status": data.get("status"), "error": data.get("error")})
        if error.error is not None and error.error not in contracts.spec(str(provider)).errors:
            raise FaultError(f"no error {error.error!r} in {provider}'s catalog "
                             f"({', '.join(k for k in contracts.spec(str(provider)).errors if '.' not in k)})")
        answer = fault_answer(str(provider), str(operation), error)
        return FaultRule.from_json({**base, "kind": "answer", "status": answer.status,
                                    "headers": dict(answer.headers.items()),
                                    "body": base64.b64encode(answer.body).decode()})
    if given == ["mask_base64"]:
        if not takes_an_image(contracts.spec(str(provider)), contracts.spec(str(provider)).operations[str(operation)]):
            raise FaultError(f"{provider} {operation} takes no image, so no mask of it: queue a mask for an "
                             "operation that segments an input (its image, imageUrl, imageKey or input field)")
        from ..core.canned import decode_mask  # numpy and Pillow: imported by the first mask queued

        try:
            decode_mask(base64.b64decode(str(data["mask_base64"]), validate=True))
        except (ValueError, binascii.Error) as exc:
            raise FaultError(f"mask_base64: {exc}") from None
        return FaultRule.from_json({**base, "kind": "mask", "mask": data["mask_base64"]})
    headers = {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
    if "json" in data:
        body = json.dumps(data["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    else:
        try:
            body = base64.b64decode(str(data["body_base64"]), validate=True)
        except binascii.Error as exc:
            raise FaultError(f"body_base64: {exc}") from None
    rule = FaultRule.from_json({**base, "kind": "answer", "status": data.get("status", 200), "headers": headers,
                                "body": base64.b64encode(body).decode()})
    problems = contract_problems(str(provider), str(operation), canned_response(rule))
    if problems:
        raise FaultError(f"this answer would break {provider}'s contract for {operation}: {'; '.join(problems)}")
    return rule


def takes_an_image(spec: contracts.Spec, op: contracts.Operation) -> bool:
    """Whether an operation's request names an input image (the operations a canned mask can stand in for)."""
    names = [str(p.get("name", "")) for p in spec.parameters(op)]
    body = spec.resolve(op.node.get("requestBody", {}))
    for content in body.get("content", {}).values():
        names += list(spec.resolve(content.get("schema", {})).get("properties", {}))
    return any("image" in n.lower() or n == "input" for n in names)


def canned_response(rule: FaultRule) -> contracts.HttpResponse:
    """What a canned ``answer`` rule answers: its status, headers and body, with the right length."""
    body = base64.b64decode(rule.body or "")
    return contracts.HttpResponse(int(rule.status or 200), Headers(list((rule.headers or {}).items())), body)


def contract_problems(provider: str, operation: str, response: contracts.HttpResponse) -> list[str]:
    """Why the spec would refuse ``response`` as the operation's answer (empty: it is a documented answer)."""
    op = contracts.spec(provider).operations[operation]
    path = re.sub(r"\{([^}]+)\}", lambda m: _path_value(op, m.group(0)), op.path)
    request = {"method": op.method.upper(), "url": op.base_url + path, "headers": {}, "body": b""}
    return [v.message if v.parameter and v.parameter in v.message else f"{v.parameter or v.rule}: {v.message}"
            for v in contracts.validate_response(provider, request, response)]


def _path_value(op: contracts.Operation, placeholder: str) -> str:
    """A path segment the operation's own pattern accepts (only the operation matters here, not the id)."""
    for candidate in ("00000000-0000-4000-8000-000000000000", "segmock", "0", "mask.png", "job.json"):
        if op.match(op.method, op.path.replace(placeholder, candidate)) is not None:
            return candidate
    return "segmock"
