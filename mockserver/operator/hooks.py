"""The operator's hooks around every provider request: faults before, journal and log line after.

``Operator`` is built once per app and hung on ``Services`` hooks (``injectors``, ``observers``,
``resetters``); its stores open lazily, so an app that never serves a request never creates their files.
The journal entry and the log line are written before the answer leaves (~0.1 ms together, measured), so a
test that reads the journal right after its call always finds it.
"""

from __future__ import annotations

import base64
import functools
import os
import queue
import threading
import time
from typing import Any

from flask import Response, g, request

from ..core.provider import REASON
from ..core.services import Services
from . import logs
from .answers import canned_response, fault_answer
from .entries import exchange, inputs
from .faults import FaultBook
from .journal import Journal
from .pictures import input_thumbnail, looks_like_image, may_hold_images, outputs
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
        if rule.kind == "mask":
            from ..core import canned  # numpy and Pillow: imported by the first canned mask, not at start-up

            canned.use(canned.decode_mask(base64.b64decode(rule.mask or "")))
            return None  # the provider answers, around the canned mask
        if rule.kind == "answer":
            return canned_response(rule)
        if rule.kind == "status":
            return fault_answer(provider, operation, rule)
        return Response(broken_body(request.environ, rule.kind, b""), direct_passthrough=True)

    def observe(self, provider: str, operation: str, request: Any, ctx: Any, response: Any, elapsed: float,
                injected: bool) -> None:
        """Journal the exchange; pictures come from a thread.
        ``request`` is the request itself, not Flask's proxy: it outlives its context."""
        fault = g.get("segmock_fault")
        reason = g.get(REASON)
        g.segmock_exchange = (provider, operation)
        self._journal(provider, operation, request, ctx, response, elapsed, fault, reason)

    def _journal(self, provider: str, operation: str, req: Any, ctx: Any, response: Any, elapsed: float,
                 fault: str | None, reason: str | None) -> None:
        entry = exchange(provider, operation, req, ctx, response, elapsed, fault, thumbnails=False, reason=reason)
        seq = self.journal.record(entry)
        if self.thumbnails and entry.status is not None:
            first = next((data for data in inputs(ctx.sent if ctx is not None else {}) if looks_like_image(data)),
                         None)
            body = b"" if getattr(response, "is_streamed", True) else response.get_data()
            answered = 200 <= entry.status < 300 and may_hold_images(entry.content_type or "", body)
            if first is not None or answered:  # a JSON poll wakes no thread
                self.pictures.submit(seq, first, entry.status, entry.content_type or "", body)

    @functools.cached_property
    def pictures(self) -> PictureQueue:
        return PictureQueue(self.journal)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for pictures still being made in this process (the inspector shows them once made)."""
        if "pictures" in self.__dict__:
            self.pictures.wait(timeout)

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
                      fault=fault, pid=os.getpid(), reason=g.get(REASON))
        return response


def _truncated(response: Response) -> Response:
    """The same status and headers, announcing the full length, then half the body and a closed connection."""
    body = response.get_data()
    headers = response.headers.copy()
    headers["Content-Length"] = str(len(body))
    return Response(broken_body(request.environ, "truncated", body), status=response.status_code,
                    headers=headers, direct_passthrough=True)


class PictureQueue:
    """Makes inspector thumbnails off the request path: decoding a 16 MP answer must not slow the client.

    At most ``PENDING`` exchanges wait (each holds its upload and answer bytes); beyond that an entry is
    journaled without pictures, so memory stays bounded under load.
    """

    PENDING = 4

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.jobs: queue.Queue[tuple[int, bytes | None, int, str, bytes]] = queue.Queue(self.PENDING)
        self.thread = threading.Thread(target=self._run, name="segmock-pictures", daemon=True)
        self.thread.start()

    def submit(self, seq: int, upload: bytes | None, status: int, content_type: str, body: bytes) -> None:
        try:
            self.jobs.put_nowait((seq, upload, status, content_type, body))
        except queue.Full:
            pass

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def _run(self) -> None:
        while True:
            seq, upload, status, content_type, body = self.jobs.get()
            try:
                thumb = input_thumbnail(upload) if upload is not None else None
                pictures = outputs(content_type, body) if 200 <= status < 300 and body else []
                self.journal.attach(seq, thumb, pictures)
            except Exception:  # a picture must never take the journal down
                pass
            finally:
                self.jobs.task_done()
