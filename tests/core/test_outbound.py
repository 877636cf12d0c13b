"""``mockserver.core.outbound``: which hosts a purpose may reach, decided before any lookup where the spelling
says, and for a name by every address it resolves to. (Real connections: ``tests/hostile/test_hostile_addresses``.)"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from contracts.check.addresses import Kind
from mockserver.core.outbound import (
    FETCH_KINDS,
    PRIVATE_WEBHOOK_KINDS,
    WEBHOOK_KINDS,
    AddressPolicy,
    Refused,
    Unreachable,
)

EVERY_KIND = AddressPolicy(frozenset(Kind))


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``getaddrinfo`` answered from a table (name → addresses, or an exception); each lookup is recorded."""
    table: dict[str, Any] = {"lookups": []}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        table["lookups"].append(host)
        answer = table.get(host, socket.gaierror(socket.EAI_NONAME, "unknown name"))
        if isinstance(answer, BaseException):
            raise answer
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answer]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.mark.parametrize("host", ["169.254.169.254", "2852039166", "[::ffff:a9fe:a9fe]", "[fe80::1%25eth0]",
                                  "metadata.google.internal", "0", "0.0.0.0", "[::]", "224.0.0.1", "256.1", "0x"])
def test_what_no_purpose_may_reach_is_refused_before_any_lookup(host: str, resolver: dict[str, Any]) -> None:
    """Link-local, cloud metadata, unspecified, multicast and unreadable hosts: even a policy allowing every
    other kind refuses them."""
    for policy in (EVERY_KIND, AddressPolicy(FETCH_KINDS), AddressPolicy(PRIVATE_WEBHOOK_KINDS)):
        with pytest.raises(Refused):
            policy.addresses(host, 80)
    assert resolver["lookups"] == []


def test_an_address_in_any_spelling_is_read_as_the_network_stack_reads_it(resolver: dict[str, Any]) -> None:
    fetching = AddressPolicy(FETCH_KINDS)
    for host in ("2130706433", "0x7f000001", "127.1", "0177.0.0.1"):
        assert fetching.addresses(host, 80) == [ipaddress.ip_address("127.0.0.1")]
    assert fetching.check_host("images.example") is None  # a name: decided once resolved
    with pytest.raises(Refused, match="loopback"):
        AddressPolicy(WEBHOOK_KINDS).check_host("2130706433")  # webhooks reach public hosts only
    with pytest.raises(Refused, match="private"):
        AddressPolicy(WEBHOOK_KINDS).check_host("10.1")
    assert resolver["lookups"] == []


def test_a_name_is_resolved_once_and_refused_if_any_of_its_addresses_is(resolver: dict[str, Any]) -> None:
    resolver["cdn.test"] = ["127.0.0.1", "::1", "127.0.0.1"]
    resolver["mixed.test"] = ["127.0.0.1", "169.254.169.254"]
    policy = AddressPolicy(FETCH_KINDS)
    assert policy.addresses("CDN.test.", 80) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    with pytest.raises(Refused, match=r"mixed.test \(169.254.169.254\) is metadata"):
        policy.addresses("mixed.test", 80)
    assert resolver["lookups"] == ["cdn.test", "mixed.test"]


def test_a_name_that_does_not_resolve_is_unreachable_not_refused(resolver: dict[str, Any]) -> None:
    resolver["empty.test"] = []
    policy = AddressPolicy(FETCH_KINDS)
    with pytest.raises(Unreachable, match="could not be resolved"):
        policy.addresses("nowhere.test", 80)
    with pytest.raises(Unreachable, match="has no address"):
        policy.addresses("empty.test", 80)


def test_the_allow_list_admits_listed_hosts_in_any_spelling_and_nothing_else(resolver: dict[str, Any]) -> None:
    policy = AddressPolicy(FETCH_KINDS, hosts=("127.0.0.1", "Images.Example.test."))
    assert policy.check_host("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert policy.check_host("images.example.TEST") is None
    for host in ("10.0.0.1", "127.0.0.2", "localhost", "other.example.test"):
        with pytest.raises(Refused, match="not an allowed host"):
            policy.check_host(host)
    with pytest.raises(Refused, match="metadata"):  # listing a forbidden host does not make it reachable
        AddressPolicy(FETCH_KINDS, hosts=("169.254.169.254",)).check_host("169.254.169.254")
