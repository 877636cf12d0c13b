"""Credentials as a spec's ``securitySchemes`` declare them: where the key travels and how to read it.

One reader for the contract checks, the mock's key check and the example builders, so a padded header or a
lower-case ``bearer`` means the same thing everywhere: surrounding whitespace is never part of a key, an
``http`` scheme's name is matched case-insensitively (RFC 9110 §11.1), and a blank key is no key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_Lookup = Any  # anything with ``.get(name)``: a dict, werkzeug's Headers or MultiDict, a cookie jar


@dataclass(frozen=True)
class Credential:
    """One security scheme: an ``apiKey`` in a header/query/cookie, or an ``http`` scheme in Authorization."""

    scheme: str  # its name under components/securitySchemes
    type: str  # "apiKey" or "http"
    name: str  # the header (or query/cookie) name that carries it
    location: str  # "header", "query" or "cookie"
    http_scheme: str | None = None  # "bearer", "basic" … for type http

    def read(self, headers: _Lookup, query: _Lookup | None = None, cookies: _Lookup | None = None) -> str | None:
        """The key a request carries, or None when it carries none (absent, blank, another scheme)."""
        source = {"header": headers, "query": query, "cookie": cookies}.get(self.location)
        raw = source.get(self.name) if source is not None else None
        if raw is None:
            return None
        value = str(raw).strip()
        if self.http_scheme is not None:
            scheme, _, value = value.partition(" ")
            if scheme.lower() != self.http_scheme.lower():
                return None
        return value.strip() or None

    def present(self, headers: _Lookup, query: _Lookup | None = None, cookies: _Lookup | None = None) -> bool:
        """Whether the carrier (header, parameter, cookie) is there at all, blank or not."""
        source = {"header": headers, "query": query, "cookie": cookies}.get(self.location)
        return source is not None and source.get(self.name) is not None

    def header(self, key: str) -> dict[str, str]:
        """The header that carries ``key`` (for examples and test clients)."""
        if self.http_scheme is not None:
            return {self.name: f"{self.http_scheme.capitalize()} {key}"}
        return {self.name: key} if self.location == "header" else {}


def credential(raw: Mapping[str, Any]) -> Credential | None:
    """The scheme a spec document requires (its top-level ``security``, else its only scheme); None: no auth."""
    schemes: dict[str, Any] = raw.get("components", {}).get("securitySchemes", {}) or {}
    required = [name for entry in raw.get("security") or [] for name in entry]
    name = next((n for n in required if n in schemes), None) or next(iter(schemes), None)
    if name is None:
        return None
    node = schemes[name]
    kind = node.get("type")
    if kind == "apiKey":
        return Credential(name, "apiKey", node["name"], node.get("in", "header"))
    if kind == "http":
        return Credential(name, "http", "Authorization", "header", str(node.get("scheme", "bearer")).lower())
    raise ValueError(f"security scheme {name!r}: type {kind!r} is not supported (apiKey or http)")
