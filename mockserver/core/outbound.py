"""Every connection the mock opens to a URL a client gave it (fetched images, webhooks, each redirect hop).

One :class:`AddressPolicy` says which kinds of address (``contracts.check.addresses.Kind``) a purpose may reach.
The check sits where the connection is made, so nothing can go around it: httpcore asks its network backend
for a TCP connection to ``(host, port)`` for every request and every redirect hop, and our backend
(``core.pinned.PinnedBackend``) reads the host as the network stack would (``2130706433`` is 127.0.0.1), resolves a
name once, refuses the connection if *any* address the name has is forbidden, and connects to the very address
it checked, so a second resolution cannot answer something else (DNS rebinding).

Why httpcore: it is the connection layer under httpx, well kept, and it takes a network backend as a public
argument (``ConnectionPool(network_backend=...)``), so TLS, SNI and certificate checks stay with the host name
while the socket goes to the pinned address. httpx itself only reads and normalises the URL here (IDNA,
percent-encoding), as it would before sending.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from contracts.check.addresses import (
    InvalidHost,
    IPAddress,
    Kind,
    address_kinds,
    name_kinds,
    normalise,
    parse_address,
)

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

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[IPAddress]:
        """Every address ``host`` stands for, each one checked (one resolution, whose answer is then used);
        a resolution taking longer than ``timeout`` seconds is given up (the C resolver has no timeout of ours)."""
        address = self.check_host(host)
        if address is not None:
            return [address]
        try:
            infos = _resolve(normalise(host), port, timeout)
        except (OSError, UnicodeError) as exc:
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


def _resolve(host: str, port: int, timeout: float | None) -> list[Any]:
    """``getaddrinfo`` on a daemon thread, waited for at most ``timeout`` seconds."""
    answer: list[Any] = []

    def run() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            answer.append(exc)

    thread = threading.Thread(target=run, name="segmock-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if not answer:
        raise Unreachable(f"resolving {host} took longer than {timeout} s")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return list(answer[0])


def open_url(method: str, url: str, policy: AddressPolicy, *, timeout: float, headers: dict[str, str] | None = None,
             body: bytes = b"") -> AbstractContextManager[Answer]:
    """Send one request (no redirect followed) to ``url`` through the policy, as ``with open_url(...) as answer``:
    raises :class:`Refused` before any byte leaves when the host is forbidden, :class:`Unreachable` when it
    cannot be reached. (The connection layer is imported on first use: ``segmock serve`` starts without it.)"""
    from .pinned import send

    return send(method, url, policy, timeout=timeout, headers=headers or {}, body=body)


class Answer(Protocol):
    """An open response: status, headers (lower-case names) and the body still to be read."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> dict[str, str]: ...

    def chunks(self) -> Iterator[bytes]: ...


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""
