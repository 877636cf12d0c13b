"""A reverse proxy (WSGI app) that forwards to the real provider unchanged and hands each exchange on.

Bodies, statuses and end-to-end headers pass byte for byte in both directions; the response is streamed
to the client as it arrives (``iter_raw``: no decompression, no re-encoding), and the exchange is handed to
``on_exchange`` only after the last byte went out, so checking and recording never delay the client.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol

import httpx
from werkzeug.datastructures import Headers

from .exchange import HttpRequest, HttpResponse
from .specs import Spec

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})

OnExchange = Callable[[HttpRequest, HttpResponse, float], None]
StartResponse = Callable[..., Any]


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


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    return stream.read() if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" else b""


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
                 budget: Budget | None = None, client: httpx.Client | None = None,
                 on_refused: Callable[[HttpRequest, str], None] | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        self.spec = spec
        self.upstream = upstream.rstrip("/") if upstream else None
        self.on_exchange = on_exchange
        self.on_refused = on_refused or (lambda request, reason: None)
        self.budget = budget or Budget(None)
        self.on_close = on_close
        self.client = client or httpx.Client(timeout=httpx.Timeout(300.0, connect=15.0), trust_env=False,
                                             follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=32))

    def close(self) -> None:
        """Stop: finish what ``on_close`` still has queued, then drop the upstream connections."""
        if self.on_close:
            self.on_close()
        self.client.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        target = _raw_target(environ)
        base = self.upstream or upstream_for(self.spec, method, target.split("?", 1)[0])
        request = HttpRequest(method, base + target, _request_headers(environ), _read_body(environ))
        if not self.budget.take():
            reason = (f"budget exhausted: {self.budget.limit} request(s) already forwarded "
                      "(--max-requests); this one was not sent to the provider")
            self.on_refused(request, reason)
            return proxy_error(start_response, "429 Too Many Requests", "budget-exhausted", reason)
        started = time.perf_counter()
        outgoing = httpx.Request(method, request.url, headers=list(request.headers.items()), content=request.body)
        try:
            upstream = self.client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            self.on_refused(request, f"upstream error: {exc!r}")
            return proxy_error(start_response, "502 Bad Gateway", "upstream-error",
                               f"could not reach {base}: {exc!r}")
        headers = _end_to_end(Headers(list(upstream.headers.multi_items())))
        start_response(f"{upstream.status_code} {upstream.reason_phrase}", list(headers.items()))
        return self._stream(request, upstream, headers, started)

    def _stream(self, request: HttpRequest, upstream: httpx.Response, headers: Headers,
                started: float) -> Iterator[bytes]:
        chunks: list[bytes] = []
        complete = False
        try:
            for chunk in upstream.iter_raw():
                chunks.append(chunk)
                yield chunk
            complete = True
        finally:
            upstream.close()
            if complete:
                elapsed = (time.perf_counter() - started) * 1000
                self.on_exchange(request, HttpResponse(upstream.status_code, headers, b"".join(chunks)), elapsed)
