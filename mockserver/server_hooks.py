"""What the mock tells the HTTP server it runs on (:mod:`mockserver.serving`): how large each operation's body
may be, so an oversize upload is refused from its head before a byte of its body is read, and the
provider-shaped answer to a request the server refused by itself (a malformed head, a bad chunk)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import contracts
from contracts.check.providers import error_response

from . import providers as registry
from .operator.answers import catalog_key
from .serving import Options


def _operation(providers: tuple[str, ...], method: str, path: str) -> tuple[str, str] | None:
    for name in providers:
        found = contracts.spec(name).find(method, path) if method and path else None
        if found is not None:
            return name, found[0].operation_id
    return None


def body_limit(providers: tuple[str, ...]) -> Callable[[str, str], int | None]:
    """``(method, path) -> bytes``: the operation's own body limit (None: no limit of its own). A request
    declaring more is handed to the app at once, without its body, and the app answers with the provider's
    error for it (no ``100 Continue`` is sent)."""

    def limit(method: str, path: str) -> int | None:
        found = _operation(providers, method, path)
        return None if found is None else registry.load(found[0]).max_body(found[1])

    return limit


def refusal(providers: tuple[str, ...]) -> Callable[[int, str, str, str, str], tuple[str, bytes]]:
    """The answer to a request the HTTP server refused before the app saw it (a malformed head, a head or
    body over the server's limits, a bad chunk): the provider's own error body for that status when the path
    is one of its operations, else the mock's JSON error shape (as for an unknown path)."""

    def answer(status: int, reason: str, detail: str, method: str, path: str) -> tuple[str, bytes]:
        message = f"{reason}: {detail}" if detail else reason
        found = _operation(providers, method, path)
        if found is None:
            body = {"error": reason.lower().replace(" ", "_"), "message": message}
            return "application/json", json.dumps(body).encode()
        name, operation = found
        key = catalog_key(name, status)
        fields: dict[str, object] = {"status": status}
        if key is None or status == 400:
            key = key or "server_error"
            fields["message"] = message
        response = error_response(name, key, operation, **fields)
        return response.headers.get("Content-Type", "application/json"), response.body

    return answer


def serving_options(app: Any, **changes: Any) -> Options:
    """The server options for a mock app: its providers' body limits and error shapes."""
    providers = tuple(app.extensions["segmock.providers"])
    return Options(refusal=refusal(providers), body_limit=body_limit(providers), **changes)
