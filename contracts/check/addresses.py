"""What a URL's host really names: every spelling of an address brought to one form, and the kinds it falls in.

An attacker spells 127.0.0.1 as ``2130706433``, ``0x7f000001``, ``127.1`` or ``0177.0.0.1`` (the C library's
``inet_aton`` accepts them all, and so does every HTTP client that hands the host to the resolver), and
169.254.169.254 as ``[::ffff:a9fe:a9fe]``, ``[64:ff9b::a9fe:a9fe]`` or ``[2002:a9fe:a9fe::]``. A check that
reads the host as text misses them; this module reads it as the network stack will.

Why our own few lines: the standard library parses strict dotted quads and IPv6 (``ipaddress``) and legacy
spellings (``socket.inet_aton``), but nothing joins them with the URL rule that a host ending in a number is an
address or nothing (WHATWG URL §host parsing), nor looks inside IPv6 forms that carry an IPv4 address. The
PyPI SSRF guards (``advocate`` and its kin) wrap ``requests`` and are unmaintained; here the pure part is
shared by the contract rules (tengr's webhook-host rule, no network) and by the mock's connections
(``mockserver.core.outbound``, which resolves names and connects only to addresses checked here).
"""

from __future__ import annotations

import enum
import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Kind(enum.StrEnum):
    """Where an address leads. A host may fall in several kinds (an IPv6 form and the IPv4 address it carries)."""

    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"  # RFC 1918, unique-local, shared (CGNAT) and every other non-global unicast range
    LINK_LOCAL = "link-local"
    METADATA = "metadata"  # cloud instance-metadata services
    UNSPECIFIED = "unspecified"  # 0.0.0.0/8 and ::, which Linux connects to the machine itself
    MULTICAST = "multicast"  # multicast and the limited broadcast address
    INVALID = "invalid"  # a host no resolver should be asked about


METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
    "169.254.170.2",  # AWS ECS task credentials
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal",
                            "instance-data.ec2.internal"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# RFC 6761 ``.localhost``; names that only a local network's resolver answers.
LOOPBACK_SUFFIXES = (".localhost",)
PRIVATE_SUFFIXES = (".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp")

_NUMBER = r"(?:0x[0-9a-f]*|[0-9]+)"
_LEGACY_IPV4 = re.compile(rf"{_NUMBER}(?:\.{_NUMBER}){{0,3}}")
_ENDS_IN_NUMBER = re.compile(rf"(?:^|\.){_NUMBER}$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class InvalidHost(ValueError):
    """The host is neither a name nor an address (e.g. ``256.1``, ``1.2.3.4.5``, a percent sign)."""


def normalise(host: str) -> str:
    """The host as a resolver sees it: lower case, no brackets, no trailing dot, no IPv6 zone."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        host = host.split("%", 1)[0]  # an IPv6 zone (``fe80::1%25eth0``) names an interface, not a host
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def parse_address(host: str) -> IPAddress | None:
    """The address a host spells (any IPv4 spelling ``inet_aton`` accepts, any IPv6), or None for a name.

    Raises :class:`InvalidHost` for a host that ends in a number but is no address: a URL parser refuses it,
    and the C resolver would read some of them as addresses anyway.
    """
    host = normalise(host)
    if not host or "%" in host or any(c.isspace() for c in host):
        raise InvalidHost(host)
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        raise InvalidHost(host)
    if not _ENDS_IN_NUMBER.search(host):
        return None
    if not _LEGACY_IPV4.fullmatch(host):
        raise InvalidHost(host)
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError as exc:
        raise InvalidHost(host) from exc


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may be routed to (mapped, compatible, SIIT, NAT64, 6to4,
    Teredo server and client)."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return [low32]
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # ``::`` and ``::1`` are themselves
        return [low32]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def _own_kind(address: IPAddress) -> Kind:
    if address in METADATA_ADDRESSES:
        return Kind.METADATA
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address.packed[0] == 0):
        return Kind.UNSPECIFIED
    if address.is_loopback:
        return Kind.LOOPBACK
    if address.is_link_local:
        return Kind.LINK_LOCAL
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return Kind.MULTICAST
    if address in _NAT64_LOCAL:
        return Kind.PRIVATE  # a local NAT64 prefix: the IPv4 side is the operator's own network
    return Kind.PUBLIC if address.is_global else Kind.PRIVATE


def address_kinds(address: IPAddress) -> frozenset[Kind]:
    """The kinds of an address; an IPv6 form carrying an IPv4 address has the kinds of what it carries."""
    carried = embedded_ipv4(address)
    if carried:
        return frozenset(_own_kind(a) for a in carried)
    return frozenset({_own_kind(address)})


def name_kinds(name: str) -> frozenset[Kind]:
    """What a name says of itself before any resolution (empty: nothing; resolve it and look at the addresses)."""
    name = normalise(name)
    if name in METADATA_NAMES:
        return frozenset({Kind.METADATA})
    if name in LOOPBACK_NAMES or name.endswith(LOOPBACK_SUFFIXES):
        return frozenset({Kind.LOOPBACK})
    if "." not in name or name.endswith(PRIVATE_SUFFIXES):
        return frozenset({Kind.PRIVATE})  # a single label is looked up in the local search domains
    return frozenset()


def host_kinds(host: str) -> frozenset[Kind]:
    """The kinds a URL host is known to fall in without asking a resolver (empty: a public-looking name)."""
    try:
        address = parse_address(host)
    except InvalidHost:
        return frozenset({Kind.INVALID})
    return address_kinds(address) if address is not None else name_kinds(host)
