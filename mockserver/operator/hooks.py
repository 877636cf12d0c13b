"""The operator's hooks around every provider request: faults before, journal and log line after.

``Operator`` is built once per app and hung on ``Services`` hooks (``injectors``, ``observers``,
``resetters``); its stores open lazily, so an app that never serves a request never creates their files.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from flask import Response, g, request

from ..core.services import Services
from . import logs
from .answers import fault_answer
from .faults import FaultBook
from .journal import Journal
from .record import exchange
from .wire import broken_body

class Operator:
    """Journal, faults and request log of one app (shared with other workers through the state dir)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        config = services.config
        self.journal_size = int(config.journal_size)
        self.thumbnails = bool(config.journal_thumbnails)
        self.log_format = config.log_format

    @functools.cached_property
    def journal(self) -> Journal:
        return Journal(self.services.state_dir / "journal.sqlite", self.journal_size)

    @functools.cached_property
    def faults(self) -> FaultBook:
        return FaultBook(self.services.state_dir / "faults.sqlite")

    def install(self) -> None:
        self.services.injectors.append(self.inject)
        self.services.observers.append(self.observe)
        self.services.resetters.append(self.reset)

    def reset(self) -> None:
        self.journal.clear()
        self.faults.clear()

    def inject(self, provider: str, operation: str, request: Any) -> Any:
        """Answer instead of the provider when a fault rule fires (``None``: let the provider answer)."""
        rule = self.faults.draw(provider, operation)
        if rule is None:
            return None
        g.segmock_fault = rule.kind
        if rule.delay:
            time.sleep(rule.delay)
        if rule.kind in ("latency", "truncated"):
            return None  # the provider answers; ``after_request`` cuts a truncated body
        if rule.kind == "status":
            return fault_answer(provider, operation, rule)
        return Response(broken_body(request.environ, rule.kind, b""), direct_passthrough=True)

    def observe(self, provider: str, operation: str, request: Any, ctx: Any, response: Any, elapsed: float,
                injected: bool) -> None:
        fault = g.get("segmock_fault")
        g.segmock_exchange = (provider, operation)
        self.journal.record(exchange(provider, operation, request, ctx, response, elapsed, fault, self.thumbnails))

    def before_request(self) -> None:
        g.segmock_started = time.perf_counter()

    def after_request(self, response: Response) -> Response:
        """Cut a truncated body, then write the request's log line (admin and unknown paths included)."""
        fault = g.get("segmock_fault")
        if fault == "truncated":
            response = _truncated(response)
        if self.log_format:
            provider, operation = g.get("segmock_exchange", (None, None))
            started = g.get("segmock_started", time.perf_counter())
            logs.emit(self.log_format, method=request.method, path=request.path,
                      status=None if fault in ("reset", "empty") else response.status_code,
                      elapsed_ms=(time.perf_counter() - started) * 1000, provider=provider, operation=operation,
                      fault=fault, pid=os.getpid())
        return response


def _truncated(response: Response) -> Response:
    """The same status and headers, announcing the full length, then half the body and a closed connection."""
    body = response.get_data()
    headers = response.headers.copy()
    headers["Content-Length"] = str(len(body))
    return Response(broken_body(request.environ, "truncated", body), status=response.status_code,
                    headers=headers, direct_passthrough=True)
