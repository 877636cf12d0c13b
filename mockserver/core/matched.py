"""Match a request to its operation and check it, remembering bodiless requests: a client polls the same URL
with the same headers again and again, and each match builds the same context and verdict (~60 us of a poll's
critical path).

Both are pure functions of what the key holds (provider, method, URL parts and every header), so a remembered
context is handed out as a copy whose ``sent`` and ``locations`` the caller may change freely, with a copy of
its verdict. Requests with a body are matched and checked afresh: their parameters live in it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from contracts.check.validation import RequestContext, check_request, match
from contracts.check.violations import Violation

SIZE = 512
_ENVIRON_PARTS = ("REQUEST_METHOD", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME",
                  "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE")


class Matcher:
    """``contracts.check.validation.match`` then ``check_request``, with a bounded memory of bodiless requests (one
    per app)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[Any, ...], tuple[RequestContext, list[Violation]]] = OrderedDict()
        self._lock = threading.Lock()

    def match(self, provider: str, request: Any) -> tuple[RequestContext, list[Violation]]:
        """The request's context and the violations of its contract (raises ``FormError`` as ``match``)."""
        key = _key(provider, request.environ)
        if key is None:
            ctx = match(provider, request)
            return ctx, check_request(ctx)
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None:
                self._seen.move_to_end(key)
        if seen is None:
            ctx = match(provider, request)
            seen = ctx, check_request(ctx)
            with self._lock:
                self._seen[key] = seen
                while len(self._seen) > self.size:
                    self._seen.popitem(last=False)
        ctx, verdict = seen
        return dataclasses.replace(ctx, sent=dict(ctx.sent), locations=dict(ctx.locations)), list(verdict)


def _key(provider: str, environ: dict[str, Any]) -> tuple[Any, ...] | None:
    """Everything the context depends on, for a request without a body (None for one with a body)."""
    if environ.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in environ:
        return None
    headers = tuple(sorted((k, v) for k, v in environ.items() if k.startswith("HTTP_")))
    return (provider, *(environ.get(part) for part in _ENVIRON_PARTS), headers)
