"""Every connection the mock opens to a URL a client gave it (fetched images, webhooks, each redirect hop).

One :class:`AddressPolicy` says which kinds of address (``contracts.check.addresses.Kind``) a purpose may reach.
The check sits where the connection is made, so nothing can go around it: httpcore asks its network backend
for a TCP connection to ``(host, port)`` for every request and every redirect hop, and our backend
(:class:`PinnedBackend`) reads the host as the network stack would (``2130706433`` is 127.0.0.1), resolves a
name once, refuses the connection if *any* address the name has is forbidden, and connects to the very address
it checked, so a second resolution cannot answer something else (DNS rebinding).

Why httpcore: it is the connection layer under httpx, well kept, and it takes a network backend as a public
argument (``ConnectionPool(network_backend=...)``), so TLS, SNI and certificate checks stay with the host name
while the socket goes to the pinned address. httpx itself only reads and normalises the URL here (IDNA,
percent-encoding), as it would before sending.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore

from contracts.check.addresses import (
    InvalidHost,
    IPAddress,
    Kind,
    address_kinds,
    name_kinds,
    normalise,
    parse_address,
)

HTTP_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError,
               httpcore.UnsupportedProtocol, httpcore.ProxyError, httpcore.ConnectionNotAvailable)

# Kinds no purpose may ever reach: they are how a mock on a shared host leaks credentials or hits itself.
NEVER = frozenset({Kind.LINK_LOCAL, Kind.METADATA, Kind.UNSPECIFIED, Kind.MULTICAST, Kind.INVALID})
# Fetched images: the public internet, and local servers (a test's image server on loopback, a CI service
# container on a private network). ``--fetch-allow-host`` narrows this to named hosts.
FETCH_KINDS = frozenset({Kind.PUBLIC, Kind.LOOPBACK, Kind.PRIVATE})
# Webhooks: what the providers document (tengr refuses loopback, link-local, private and metadata hosts);
# ``--allow-private-webhooks`` adds loopback and private receivers for tests.
WEBHOOK_KINDS = frozenset({Kind.PUBLIC})
PRIVATE_WEBHOOK_KINDS = frozenset({Kind.PUBLIC, Kind.LOOPBACK, Kind.PRIVATE})


class Refused(Exception):
    """The policy forbids this host; nothing was sent to it."""


class Unreachable(Exception):
    """The host could not be resolved or connected to, or did not answer in time."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which kinds of address may be reached and, when ``hosts`` is not empty, from which hosts only.

    ``hosts`` entries are names or addresses in any spelling (``127.1`` allows ``127.0.0.1``); kinds in
    :data:`NEVER` stay refused whatever is allowed.
    """

    allow: frozenset[Kind] = WEBHOOK_KINDS
    hosts: tuple[str, ...] = ()

    def check_host(self, host: str) -> IPAddress | None:
        """The host's address if it spells one, after the checks that need no resolver; raises :class:`Refused`."""
        try:
            address = parse_address(host)
        except InvalidHost:
            raise Refused(f"{host!r} is not a valid host") from None
        if self.hosts and not self._listed(host, address):
            raise Refused(f"{normalise(host)} is not an allowed host")
        kinds = address_kinds(address) if address is not None else name_kinds(host)
        self._check_kinds(normalise(host), kinds)
        return address

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` stands for, each one checked (one resolution, whose answer is then used)."""
        address = self.check_host(host)
        if address is not None:
            return [address]
        try:
            infos = socket.getaddrinfo(normalise(host), port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Unreachable(f"the host {normalise(host)} could not be resolved") from exc
        resolved: list[IPAddress] = []
        for info in infos:
            found = parse_address(str(info[4][0]))
            if found is not None and found not in resolved:
                resolved.append(found)
        for found in resolved:
            self._check_kinds(f"{normalise(host)} ({found})", address_kinds(found))
        if not resolved:
            raise Unreachable(f"the host {normalise(host)} has no address")
        return resolved

    def _listed(self, host: str, address: IPAddress | None) -> bool:
        for entry in self.hosts:
            try:
                listed = parse_address(entry)
            except InvalidHost:
                continue
            if (address is not None and listed == address) or (listed is None and normalise(entry) == normalise(host)):
                return True
        return False

    def _check_kinds(self, shown: str, kinds: Iterable[Kind]) -> None:
        refused = sorted(k.value for k in kinds if k in NEVER or k not in self.allow)
        if refused:
            raise Refused(f"{shown} is {' and '.join(refused)}, which this mock does not reach")


PROVIDER_WEBHOOKS = AddressPolicy(WEBHOOK_KINDS)  # what a receiver must be unless a test allows more


class PinnedBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous backend, given only addresses the policy checked."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._sync = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.policy.addresses(host, port):
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
def open_url(method: str, url: str, policy: AddressPolicy, *, timeout: float, headers: dict[str, str] | None = None,
             body: bytes = b"") -> Iterator[Answer]:
    """Send one request (no redirect followed) to ``url`` through the policy; raises :class:`Refused` before any
    byte leaves when the host is forbidden, :class:`Unreachable` when it cannot be reached."""
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
    sent = {"Host": target.netloc.decode("ascii"), "Accept": "*/*", **(headers or {})}
    if body or method not in ("GET", "HEAD"):
        sent["Content-Length"] = str(len(body))
    request_url = httpcore.URL(scheme=target.raw_scheme, host=target.raw_host, port=target.port,
                               target=target.raw_path)
    extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    with httpcore.ConnectionPool(network_backend=PinnedBackend(policy), max_connections=1) as pool:
        try:
            with pool.stream(method, request_url, headers=list(sent.items()), content=body or None,
                             extensions=extensions) as response:
                answer = Answer(response.status, {k.decode("latin-1").lower(): v.decode("latin-1")
                                                  for k, v in response.headers}, response)
                yield answer
        except HTTP_ERRORS as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""
