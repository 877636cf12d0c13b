"""Fetch an ``imageUrl`` the way a careful server does: bounded in time, size and redirects, SSRF-safe.

Every hop goes through :mod:`.outbound`: the host is read in all its spellings, a name is resolved once and
connected to at the address that was checked, and each redirect target is checked again. The default policy
(:data:`.outbound.FETCH_KINDS`) reaches public, loopback and private hosts (tests serve images locally) and
never link-local or cloud-metadata ones; ``fetch_allow_hosts`` restricts fetching to named hosts.
``data:`` URLs are decoded in place.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes, urljoin

from .outbound import FETCH_KINDS, AddressPolicy, Refused, Unreachable, open_url

USER_AGENT = "segmock-fetch"


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
    addresses: AddressPolicy = field(default_factory=lambda: AddressPolicy(FETCH_KINDS))


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


def fetch(url: str, policy: FetchPolicy) -> bytes:
    """The body at ``url`` (http, https or data), or a ``FetchError`` saying why not."""
    if url.startswith("data:"):
        return decode_data_url(url, policy.max_bytes)
    try:
        for _ in range(policy.max_redirects + 1):
            with open_url("GET", url, policy.addresses, timeout=policy.timeout,
                          headers={"User-Agent": USER_AGENT}) as answer:
                if 300 <= answer.status < 400 and "location" in answer.headers:
                    url = urljoin(url, answer.headers["location"])
                    if url.startswith("data:"):
                        raise FetchError("refused", "A redirect to a data: URL is not followed.")
                    continue
                if answer.status >= 400:
                    raise FetchError("unreachable", f"The image URL answered {answer.status}.")
                declared = answer.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > policy.max_bytes:
                    raise FetchError("too_large", "The image is too large.")
                chunks, size = [], 0
                for chunk in answer.chunks():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise FetchError("too_large", "The image is too large.")
                    chunks.append(chunk)
                return b"".join(chunks)
        raise FetchError("unreachable", "Too many redirects.")
    except Refused as exc:
        raise FetchError("refused", f"Fetching {url!r} was refused: {exc}.") from exc
    except Unreachable as exc:
        raise FetchError("unreachable", f"The image URL could not be fetched: {exc}.") from exc
