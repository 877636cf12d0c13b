"""Keep-alive connections from the recording proxy to the provider: urllib3's connection pools.

urllib3 pools connections per host (no TCP or TLS handshake per request, one SSL context for all), reads a
body one socket read at a time without decoding it, and already reads a provider's early answer (a 413 while
the upload is still going) instead of reporting the broken pipe. What this module adds is the proxy's
policy: the request goes out as the client wrote it (urllib3 adds no ``Accept-Encoding`` or ``User-Agent``
of its own), never retried or redirected, and a body cut short is an error, not an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.util import SKIP_HEADER

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 300.0  # a provider may take minutes to answer
MAX_IDLE = 32  # idle connections kept per host
READ_SIZE = 1024 * 1024  # most a single read returns: one Python-level step per megabyte, bounded memory

UpstreamError = (OSError, HTTPError)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ADDED_BY_URLLIB3 = ("Accept-Encoding", "User-Agent")  # sent only when the client sent them


def _ca_certs() -> str | None:
    """certifi's CA bundle, the one segmock's httpx clients trust, so every part of it judges a certificate alike."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with httpx, a dependency
        return None
    return str(certifi.where())


class UpstreamResponse:
    """The provider's answer: status line and headers read, body read on demand as raw (undecoded) bytes."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        self.status = response.status
        self.reason = response.reason or ""
        self.headers: list[tuple[str, str]] = list(response.headers.items())
        self._done = False

    def read(self, size: int = READ_SIZE) -> bytes:
        """The next piece of the body (one socket read at most), ``b""`` once it is complete; a provider that
        hangs up before the length it announced raises ``urllib3.exceptions.ProtocolError``."""
        data = self._response.read1(size)
        if not data:
            self._done = True
        return data

    def release(self) -> None:
        """Give the connection back for the next request if the body was read to its end, else close it."""
        if not self._done:
            self._response.close()  # unread bytes would be taken for the next answer
        self._response.release_conn()


class UpstreamPool:
    """Connections to the provider's hosts, reused across requests and threads (one request at a time each)."""

    def __init__(self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 max_idle: int = MAX_IDLE) -> None:
        self._pools = urllib3.PoolManager(num_pools=16, maxsize=max_idle, block=False, ca_certs=_ca_certs(),
                                          timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                                          retries=False)

    def request(self, method: str, url: str, headers: Iterable[tuple[str, str]],
                body: Iterable[bytes] = (), length: int | None = None) -> UpstreamResponse:
        """Send ``method url`` with ``headers`` verbatim (plus Host) and ``body`` as it comes; await the answer.

        ``length`` is the body's size when the caller knows it but ``headers`` carry no Content-Length
        (a client that sent its body chunked, read in full): it is then declared. A POST, PUT or PATCH
        without a body declares 0, which some servers require.
        """
        sent = urllib3.HTTPHeaderDict()
        for name, value in headers:
            sent.add(name, value)
        framed = "content-length" in sent or "transfer-encoding" in sent
        if not framed and (length or method.upper() in _BODY_METHODS):
            sent["Content-Length"] = str(length or 0)
        for name in _ADDED_BY_URLLIB3:
            if name not in sent:
                sent[name] = SKIP_HEADER
        # a generator, never the caller's object: urllib3 would read() anything that has a read method
        chunks: Any = iter(body) if "content-length" in sent or "transfer-encoding" in sent else None
        response = self._pools.urlopen(method, url, body=chunks, headers=sent, redirect=False,
                                       preload_content=False, decode_content=False, assert_same_host=False)
        return UpstreamResponse(response)

    def close(self) -> None:
        self._pools.clear()
