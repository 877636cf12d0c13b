"""A reverse proxy (WSGI app) that forwards to the real provider unchanged and hands each exchange on.

Bodies, statuses and end-to-end headers pass byte for byte in both directions. Both bodies are streamed
as they arrive (the upload to the provider while the client still sends it, the answer to the client
while the provider still sends it), never decompressed or re-encoded, and kept as the pieces that went
over the wire. The exchange is handed to ``on_exchange`` only when the WSGI server closes the response,
after the last byte went out, so checking and recording never delay the client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from werkzeug.datastructures import Headers

from contracts.openapi.documents import Spec
from contracts.wire.exchange import HttpRequest
from mockserver.recorder.upstream import READ_SIZE, UpstreamError, UpstreamPool, UpstreamResponse

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})

StartResponse = Callable[..., Any]


@dataclass
class Forwarded:
    """One exchange as it crossed the proxy. Bodies are the pieces that went over the wire, not joined:
    joining an 8 MB body is a copy nobody needs before the recorder reads it."""

    method: str
    url: str
    request_headers: Headers
    request_body: list[bytes]
    status: int
    response_headers: Headers
    response_body: list[bytes]
    duration_ms: float


OnExchange = Callable[[Forwarded], None]


class Counter(Protocol):
    """A shared integer (``multiprocessing.Value``) so the budget survives a restarted worker."""

    value: int

    def get_lock(self) -> Any: ...


@dataclass
class _LocalCounter:
    value: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get_lock(self) -> threading.Lock:
        return self._lock


class Budget:
    """At most ``limit`` requests are forwarded; the rest are refused by the proxy, never sent on."""

    def __init__(self, limit: int | None, counter: Counter | None = None) -> None:
        self.limit = limit
        self.counter: Counter = counter if counter is not None else _LocalCounter()

    def take(self) -> bool:
        with self.counter.get_lock():
            if self.limit is not None and self.counter.value >= self.limit:
                return False
            self.counter.value += 1
            return True

    @property
    def used(self) -> int:
        return self.counter.value


def upstream_for(spec: Spec, method: str, path: str) -> str:
    """The real base URL serving ``method path``: the operation's own server, else the spec's first one."""
    found = spec.find(method, path)
    if found:
        op = found[0]
        nodes = [op.node.get("servers"), spec.raw["paths"][op.path].get("servers"), spec.raw.get("servers")]
    else:
        nodes = [spec.raw.get("servers")]
    server = next(s[0] for s in nodes if s)
    url = server["url"]
    for name, var in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", str(var.get("default", "")))
    return url


def _request_headers(environ: dict[str, Any]) -> Headers:
    headers = Headers()
    for key, value in environ.items():
        if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            headers.add(key[5:].replace("_", "-").title(), value)
    if environ.get("CONTENT_TYPE"):
        headers.add("Content-Type", environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers.add("Content-Length", environ["CONTENT_LENGTH"])
    return _end_to_end(headers)


def _end_to_end(headers: Headers) -> Headers:
    listed = {t.strip().lower() for v in headers.getlist("Connection") for t in v.split(",")}
    return Headers([(k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP | listed])


class _ClientBody:
    """The client's request body, read piece by piece as the upstream connection sends it, every piece kept.

    A body the client sent chunked (no Content-Length) is read in full first and goes on with a
    Content-Length, which every provider accepts.
    """

    def __init__(self, environ: dict[str, Any]) -> None:
        self._stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        self._left = int(length) if length else 0
        self.pieces: list[bytes] = []
        self.length: int | None = None
        if not length and environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            self.pieces.append(self._stream.read())
            self.length = len(self.pieces[0])

    def __iter__(self) -> Iterator[bytes]:
        yield from list(self.pieces)
        while self._left > 0:
            piece = self._stream.read(min(self._left, READ_SIZE))
            if not piece:
                raise ConnectionAbortedError(f"the client stopped sending with {self._left} body bytes to go")
            self._left -= len(piece)
            self.pieces.append(piece)
            yield piece

    def read(self) -> bytes:
        """The whole body (what was not sent on yet is read now)."""
        for _ in self:
            pass
        return b"".join(self.pieces)


def _raw_target(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    query = environ.get("QUERY_STRING")
    return environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")


def proxy_error(start_response: StartResponse, status: str, kind: str, message: str) -> list[bytes]:
    """An answer from the proxy itself, marked so nobody mistakes it for the provider's."""
    body = json.dumps({"segmock_proxy": kind, "message": message}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Segmock-Proxy", kind)])
    return [body]


class RecordingProxy:
    """WSGI app: forward to the provider, stream the answer back, then report the exchange."""

    def __init__(self, spec: Spec, on_exchange: OnExchange, upstream: str | None = None,
                 budget: Budget | None = None, pool: UpstreamPool | None = None,
                 on_refused: Callable[[HttpRequest, str], None] | None = None) -> None:
        self.spec = spec
        self.upstream = upstream.rstrip("/") if upstream else None
        self.on_exchange = on_exchange
        self.on_refused = on_refused or (lambda request, reason: None)
        self.budget = budget or Budget(None)
        self.pool = pool or UpstreamPool()

    def close(self) -> None:
        """Stop: drop the upstream connections."""
        self.pool.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        target = _raw_target(environ)
        base = self.upstream or upstream_for(self.spec, method, target.split("?", 1)[0])
        url, headers, body = base + target, _request_headers(environ), _ClientBody(environ)
        if not self.budget.take():
            reason = (f"budget exhausted: {self.budget.limit} request(s) already forwarded "
                      "(--max-requests); this one was not sent to the provider")
            self.on_refused(HttpRequest(method, url, headers, body.read()), reason)
            return proxy_error(start_response, "429 Too Many Requests", "budget-exhausted", reason)
        started = time.perf_counter()
        try:
            upstream = self.pool.request(method, url, headers.items(), body, body.length)
        except UpstreamError as exc:
            self.on_refused(HttpRequest(method, url, headers, b"".join(body.pieces)), f"upstream error: {exc!r}")
            return proxy_error(start_response, "502 Bad Gateway", "upstream-error",
                               f"could not reach {base}: {exc!r}")
        response_headers = _end_to_end(Headers(upstream.headers))
        start_response(f"{upstream.status} {upstream.reason}", list(response_headers.items()))
        forwarded = Forwarded(method, url, headers, body.pieces, upstream.status, response_headers, [], 0.0)
        return _Relay(upstream, forwarded, started, self.on_exchange)


class _Relay:
    """The response body as a WSGI iterable: each piece goes to the client as it is read from the provider.

    The server calls ``close`` after the last byte went out (and after a chunked body's terminator): only
    then is the upstream connection given back and the exchange reported, so the client never waits for it.
    """

    def __init__(self, upstream: UpstreamResponse, forwarded: Forwarded, started: float,
                 on_exchange: OnExchange) -> None:
        self._upstream = upstream
        self._forwarded = forwarded
        self._started = started
        self._on_exchange = on_exchange
        self._complete = False

    def __iter__(self) -> _Relay:
        return self

    def __next__(self) -> bytes:
        piece = self._upstream.read()
        if not piece:
            if not self._complete:
                self._complete = True
                self._forwarded.duration_ms = (time.perf_counter() - self._started) * 1000
            raise StopIteration
        self._forwarded.response_body.append(piece)
        return piece

    def close(self) -> None:
        self._upstream.release()
        if self._complete:
            self._complete = False  # report once, however often the server closes
            self._on_exchange(self._forwarded)
