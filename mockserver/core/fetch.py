"""Fetch an ``imageUrl`` the way a careful server does: bounded in time, size and redirects, SSRF-safe.

Link-local and cloud-metadata addresses are always refused (they are how a mock on a shared host leaks
credentials); loopback and private hosts are allowed so tests can serve images locally, unless an
allow-list restricts fetching to named hosts. ``data:`` URLs are decoded in place.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

if TYPE_CHECKING:
    import httpx

_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal"})
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                 ipaddress.ip_address("100.100.100.200")})


class FetchError(ValueError):
    """The URL could not be fetched; ``kind`` is ``refused``, ``unreachable`` or ``too_large``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 10.0
    max_bytes: int = 30 * 1024 * 1024
    max_redirects: int = 3
    allow_hosts: tuple[str, ...] = ()


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_link_local or address in _METADATA_ADDRESSES or address.is_multicast or address.is_unspecified


def check_host(host: str, policy: FetchPolicy) -> None:
    """Refuse metadata and link-local targets, by name and by every address the name resolves to."""
    host = host.lower().rstrip(".")
    if not host:
        raise FetchError("refused", "The URL has no host.")
    if policy.allow_hosts and host not in policy.allow_hosts:
        raise FetchError("refused", f"Fetching from {host} is not allowed.")
    if host in _METADATA_HOSTS:
        raise FetchError("refused", f"Fetching from {host} is not allowed.")
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError("unreachable", f"The host {host} could not be resolved.") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if _refused_address(address):
            raise FetchError("refused", f"Fetching from {host} is not allowed.")


def decode_data_url(url: str, max_bytes: int) -> bytes:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise FetchError("unreachable", "The data URL is malformed.")
    try:
        data = base64.b64decode(payload, validate=True) if header.endswith(";base64") else unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise FetchError("unreachable", "The data URL is malformed.") from exc
    if len(data) > max_bytes:
        raise FetchError("too_large", "The image is too large.")
    return data


def fetch(url: str, policy: FetchPolicy, client: httpx.Client | None = None) -> bytes:
    """The body at ``url`` (http, https or data), or a ``FetchError``."""
    if url.startswith("data:"):
        return decode_data_url(url, policy.max_bytes)
    import httpx  # only when a URL is fetched: importing it costs `segmock serve` a tenth of a second at start-up

    own = client is None
    client = client or httpx.Client(timeout=policy.timeout, follow_redirects=False, trust_env=False)
    try:
        for _ in range(policy.max_redirects + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                raise FetchError("refused", f"Unsupported URL scheme: {parts.scheme or 'none'}.")
            check_host(parts.hostname or "", policy)
            try:
                with client.stream("GET", url, timeout=policy.timeout) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status_code >= 400:
                        raise FetchError("unreachable", f"The image URL answered {resp.status_code}.")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                        raise FetchError("too_large", "The image is too large.")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > policy.max_bytes:
                            raise FetchError("too_large", "The image is too large.")
                        chunks.append(chunk)
                    return b"".join(chunks)
            except httpx.HTTPError as exc:
                raise FetchError("unreachable", f"The image URL could not be fetched: {type(exc).__name__}.") from exc
        raise FetchError("unreachable", "Too many redirects.")
    finally:
        if own:
            client.close()
