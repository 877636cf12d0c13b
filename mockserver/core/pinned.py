"""The connection layer of :mod:`.outbound`: httpcore with a network backend that connects only to checked addresses.

Kept apart so that importing the policy costs nothing: httpcore (and ssl, h11) load on the first outbound request.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore

from .outbound import AddressPolicy, Refused, Unreachable, _host_of

HTTP_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError,
               httpcore.UnsupportedProtocol, httpcore.ProxyError, httpcore.ConnectionNotAvailable)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle (tens of milliseconds)."""
    return httpcore.default_ssl_context()


class PinnedBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous backend, given only addresses the policy checked."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._sync = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.policy.addresses(host, port, timeout):
            target = getattr(address, "ipv4_mapped", None) or address  # ::ffff:a.b.c.d is a.b.c.d
            try:
                return self._sync.connect_tcp(str(target), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise Refused("unix sockets are never reached")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class Answer:
    """An open response: status, headers (lower-case names) and the body still to be read."""

    status: int
    headers: dict[str, str]
    response: httpcore.Response

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self.response.iter_stream()
        except HTTP_ERRORS as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc


@contextmanager
def send(method: str, url: str, policy: AddressPolicy, *, timeout: float, headers: dict[str, str],
         body: bytes) -> Iterator[Answer]:
    """``outbound.open_url``: one request, no redirect followed."""
    import httpx  # reads the URL the way clients do (IDNA, percent-encoding); imported on first use only

    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        try:
            policy.check_host(_host_of(url))  # an address httpx cannot read is still refused as what it is
        except ValueError:
            pass
        raise Unreachable(f"the URL is malformed: {exc}") from exc
    if target.scheme not in ("http", "https"):
        raise Refused(f"unsupported URL scheme: {target.scheme or 'none'}")
    policy.check_host(target.host)
    sent = {"Host": target.netloc.decode("ascii"), "Accept": "*/*", **headers}
    if body or method not in ("GET", "HEAD"):
        sent["Content-Length"] = str(len(body))
    request_url = httpcore.URL(scheme=target.raw_scheme, host=target.raw_host, port=target.port,
                               target=target.raw_path)
    extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    with httpcore.ConnectionPool(ssl_context=_tls(), network_backend=PinnedBackend(policy), max_connections=1) as pool:
        try:
            with pool.stream(method, request_url, headers=list(sent.items()), content=body or None,
                             extensions=extensions) as response:
                answer = Answer(response.status, {k.decode("latin-1").lower(): v.decode("latin-1")
                                                  for k, v in response.headers}, response)
                yield answer
        except HTTP_ERRORS as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
