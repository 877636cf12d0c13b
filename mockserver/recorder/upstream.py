"""Keep-alive HTTP/1.1 connections from the recording proxy to the provider.

``http.client`` moves a body with one ``recv`` per read and no event parser in between: relaying an 8 MB
download costs ~4 ms of CPU, where httpx's ``iter_raw`` costs ~15 ms, and on a 2-core machine that CPU
is the proxy's overhead. Connections are pooled per host, so a request pays neither a TCP nor a TLS
handshake, and one SSL context (~30 ms to build) serves them all.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 300.0  # a provider may take minutes to answer
MAX_IDLE = 32  # idle connections kept per host
READ_SIZE = 1024 * 1024  # most a single read returns: one Python-level step per megabyte, bounded memory

UpstreamError = (OSError, http.client.HTTPException)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_Key = tuple[str, str, int]


def _ssl_context() -> ssl.SSLContext:
    """certifi's CA bundle, the one segmock's httpx clients trust, so every part of it judges a certificate alike."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with httpx, a dependency
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class _Forwarding:
    """Connect (and shake hands) within ``timeout``, then wait up to ``read_timeout`` for each read; send
    the request line as the client's bytes (latin-1, as the server decoded them), not re-encoded as ASCII."""

    sock: socket.socket | None

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            self.sock.settimeout(self.read_timeout)

    def _encode_request(self, request: str) -> bytes:
        return request.encode("latin-1")


class _HTTPConnection(_Forwarding, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Forwarding, http.client.HTTPSConnection):
    pass


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle connection is unusable when its socket is readable: the server closed it (or misbehaved)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _send_body(conn: http.client.HTTPConnection, body: Iterable[bytes]) -> tuple[http.client.HTTPResponse, bool]:
    """Send the body, then read the answer; True when the whole body went out.

    A provider may answer before the body ended (a 413, say) and stop reading: that answer is still the
    provider's, so it is read rather than reported as a send error (the connection is not reused).
    """
    failed: OSError | None = None
    for chunk in body:  # the client's own failures (it stopped sending) propagate as they are
        try:
            conn.send(chunk)
        except OSError as exc:
            failed = exc
            break
    if failed is None:
        return conn.getresponse(), True
    try:
        return conn.getresponse(), False
    except UpstreamError:
        raise failed from None


def _header_value(value: str) -> str:
    """A header folded over several lines (obsolete, RFC 9112 §5.2) as one line, the way httpx read it."""
    return " ".join(line.strip() for line in value.splitlines()) if "\n" in value else value


class UpstreamResponse:
    """The provider's answer: status line and headers read, body read on demand as raw (undecoded) bytes."""

    def __init__(self, pool: UpstreamPool, key: _Key | None, conn: http.client.HTTPConnection,
                 response: http.client.HTTPResponse) -> None:
        self._pool, self._key, self._conn, self._response = pool, key, conn, response
        self.status = response.status
        self.reason = response.reason
        self.headers = [(name, _header_value(value)) for name, value in response.msg.items()]
        self._done = False

    def read(self, size: int = READ_SIZE) -> bytes:
        """The next piece of the body (one socket read at most), ``b""`` once it is complete."""
        data = self._response.read1(size)
        if not data:
            if self._response.length:  # the provider hung up before the length it announced
                raise http.client.IncompleteRead(b"", self._response.length)
            self._done = True
        return data

    def release(self) -> None:
        """Give the connection back for the next request if the body was read to its end, else close it."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        self._response.close()
        if self._done and self._key is not None and not self._response.will_close:
            self._pool._checkin(self._key, conn)
        else:
            conn.close()


class UpstreamPool:
    """Connections to the provider's hosts, reused across requests and threads (one request at a time each)."""

    def __init__(self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 max_idle: int = MAX_IDLE) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._ssl = _ssl_context()

    def request(self, method: str, url: str, headers: Iterable[tuple[str, str]],
                body: Iterable[bytes] = (), length: int | None = None) -> UpstreamResponse:
        """Send ``method url`` with ``headers`` verbatim (plus Host) and ``body`` as it comes; await the answer.

        ``length`` is the body's size when the caller knows it but ``headers`` carry no Content-Length
        (a client that sent its body chunked, read in full): it is then declared. A POST, PUT or PATCH
        without a body declares 0, which some servers require.
        """
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = list(headers)
        conn = self._checkout(key) or self._connect(key)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", parts.netloc.rpartition("@")[2])
            if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
                if length or method.upper() in _BODY_METHODS:
                    conn.putheader("Content-Length", str(length or 0))
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
            response, reusable = _send_body(conn, body)
        except BaseException:
            conn.close()
            raise
        return UpstreamResponse(self, key if reusable else None, conn, response)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def _connect(self, key: _Key) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            return _HTTPSConnection(host, port, timeout=self.connect_timeout, context=self._ssl,
                                    read_timeout=self.read_timeout)
        return _HTTPConnection(host, port, timeout=self.connect_timeout, read_timeout=self.read_timeout)

    def _checkout(self, key: _Key) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                conns = self._idle.get(key)
                conn = conns.pop() if conns else None
            if conn is None or not _dropped(conn):
                return conn
            conn.close()

    def _checkin(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            conns = self._idle.setdefault(key, [])
            if len(conns) < self.max_idle:
                conns.append(conn)
                return
        conn.close()
