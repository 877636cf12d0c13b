"""``mockserver.core.pinned``: the connection layer connects only to addresses the policy checked, trying a name's
addresses in turn. (TLS kept with the host name, over real sockets: ``tests/hostile/test_hostile_addresses``.)"""

from __future__ import annotations

import ipaddress
from typing import Any

import httpcore
import pytest

from mockserver.core.outbound import FETCH_KINDS, AddressPolicy, Refused
from mockserver.core.pinned import PinnedBackend

DOWN = {"::1"}  # addresses whose connection is refused


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address httpcore's own backend is asked to connect to (no socket is opened)."""
    attempts: list[str] = []

    def connect_tcp(self: Any, host: str, port: int, *args: Any) -> str:
        attempts.append(host)
        if host in DOWN:
            raise httpcore.ConnectError("connection refused")
        return f"stream to {host}"

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return attempts


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    found = [ipaddress.ip_address(a) for a in addresses]
    monkeypatch.setattr(AddressPolicy, "addresses", lambda self, host, port, timeout=None: found)


def test_the_socket_goes_to_the_checked_address_not_the_spelling(dialled: list[str]) -> None:
    backend = PinnedBackend(AddressPolicy(FETCH_KINDS))
    assert backend.connect_tcp("2130706433", 80) == "stream to 127.0.0.1"
    assert backend.connect_tcp("::ffff:127.0.0.1", 80) == "stream to 127.0.0.1"  # an IPv4-mapped address is IPv4
    assert dialled == ["127.0.0.1", "127.0.0.1"]


def test_a_names_addresses_are_tried_in_turn(dialled: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    backend = PinnedBackend(AddressPolicy(FETCH_KINDS))
    resolving_to(monkeypatch, "::1", "127.0.0.1")
    assert backend.connect_tcp("cdn.test", 80) == "stream to 127.0.0.1"
    resolving_to(monkeypatch, "::1")
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("cdn.test", 80)
    assert dialled == ["::1", "127.0.0.1", "::1"]


def test_forbidden_hosts_and_unix_sockets_are_never_dialled(dialled: list[str]) -> None:
    backend = PinnedBackend(AddressPolicy(FETCH_KINDS))
    with pytest.raises(Refused):
        backend.connect_tcp("0xa9fea9fe", 80)
    with pytest.raises(Refused):
        backend.connect_unix_socket("/var/run/docker.sock")
    assert dialled == []
