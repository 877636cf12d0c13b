"""Keep API keys out of cassettes, reports, the mock's journal and everything it shows.

Recorded traffic is committed to repositories and attached to CI runs, so every secret must be gone before a
byte reaches disk: named headers, query parameters, and JSON / urlencoded / multipart fields (VCR.py's
post-data filter cannot see inside multipart bodies, vcrpy #660), and the ``user:password@`` of any URL.
Whatever value was blanked is also scrubbed from everywhere else in the exchange (a key echoed in an error
body or a URL). The mock's journal and inspector use the same :class:`Redactor` (``redact_params``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import Headers

from contracts.wire.exchange import HttpRequest, HttpResponse
from contracts.wire.rawmultipart import boundary_of, split

PLACEHOLDER = "REDACTED"
DEFAULT_HEADERS = ("x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie")
DEFAULT_QUERY = ("api_key", "apikey", "key", "token", "access_token")
DEFAULT_FIELDS = ("api_key", "apiKey", "token", "access_token", "password", "secret")
_MIN_SECRET = 6  # shorter values are too likely to occur by chance to be scrubbed everywhere


def _lower(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


@dataclass(frozen=True)
class Redactor:
    """Which headers, query parameters and body fields are secrets (names compared case-insensitively)."""

    headers: frozenset[str] = field(default_factory=lambda: _lower(DEFAULT_HEADERS))
    query: frozenset[str] = field(default_factory=lambda: _lower(DEFAULT_QUERY))
    fields: frozenset[str] = field(default_factory=lambda: _lower(DEFAULT_FIELDS))

    @classmethod
    def with_extra(cls, headers: Iterable[str] = (), query: Iterable[str] = (),
                   fields: Iterable[str] = ()) -> Redactor:
        """The defaults plus the user's own names (``--redact-header`` and friends)."""
        return cls(_lower([*DEFAULT_HEADERS, *headers]), _lower([*DEFAULT_QUERY, *query]),
                   _lower([*DEFAULT_FIELDS, *fields]))

    def to_dict(self) -> dict[str, list[str]]:
        return {"headers": sorted(self.headers), "query": sorted(self.query), "fields": sorted(self.fields)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Redactor:
        if not data:
            return cls()
        return cls(_lower(data.get("headers", ())), _lower(data.get("query", ())), _lower(data.get("fields", ())))

    def secrets(self, request: HttpRequest, response: HttpResponse | None = None) -> set[str]:
        """The secret values an exchange carries (to scrub them from anything else written)."""
        found: set[str] = set()
        for headers in (request.headers, response.headers if response else Headers()):
            for name, value in headers.items():
                if name.lower() in self.headers:
                    found.add(value)
                    found.add(value.split(" ", 1)[-1])  # "Bearer <token>": the token alone too
        for name, value in parse_qsl(urlsplit(request.url).query, keep_blank_values=True):
            if name.lower() in self.query:
                found.add(value)
        found.update(_body_secrets(self, request.body, request.content_type))
        return {s for s in found if len(s) >= _MIN_SECRET and s != PLACEHOLDER}

    def request(self, request: HttpRequest, secrets: set[str] | None = None) -> HttpRequest:
        """A copy of ``request`` with every secret replaced by ``REDACTED``."""
        secrets = self.secrets(request) if secrets is None else secrets
        body = scrub(_redact_body(self, request.body, request.content_type), secrets)
        headers = self._headers(request.headers, secrets, len(body) if body != request.body else None)
        return HttpRequest(request.method, scrub_text(self._url(request.url), secrets), headers, body)

    def response(self, response: HttpResponse, secrets: set[str]) -> HttpResponse:
        """A copy of ``response`` with secret headers blanked and known secret values scrubbed."""
        body = scrub(response.body, secrets)
        headers = self._headers(response.headers, secrets, len(body) if body != response.body else None)
        return HttpResponse(response.status, headers, body)

    def _headers(self, headers: Headers, secrets: set[str], new_length: int | None) -> Headers:
        out = Headers()
        for name, value in headers.items():
            if name.lower() in self.headers:
                scheme, sep, _ = value.partition(" ")
                value = f"{scheme} {PLACEHOLDER}" if sep and scheme.lower() in ("bearer", "basic", "token") \
                    else PLACEHOLDER
            elif name.lower() == "content-length" and new_length is not None:
                value = str(new_length)
            out.add(name, scrub_text(value, secrets))
        return out

    def _url(self, url: str) -> str:
        return self.url(url)

    def url(self, url: str) -> str:
        """``url`` with its ``user:password@`` and secret query parameters blanked (unchanged if it has none)."""
        if "@" not in url and "?" not in url:
            return url  # nothing to blank (the common case: every URL in a JSON answer is looked at)
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        if "@" in parts.netloc:
            parts = parts._replace(netloc=f"{PLACEHOLDER}@{parts.netloc.rpartition('@')[2]}")
        if parts.query:
            query = self.query_string(parts.query)
            if query != parts.query:
                parts = parts._replace(query=query)
        redacted = urlunsplit(parts)
        return url if redacted == urlunsplit(urlsplit(url)) else redacted

    def query_string(self, query: str) -> str:
        """A query string with the values of secret parameters blanked (unchanged if it has none)."""
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(k.lower() in self.query for k, _ in pairs):
            return query
        return urlencode([(k, PLACEHOLDER if k.lower() in self.query else v) for k, v in pairs])

    def may_change(self, text: str) -> bool:
        """Whether :meth:`redact_json` of the JSON in ``text`` (or URL redaction of plain text) could change
        anything: a secret field is a quoted key, a URL's credentials need an ``@``, its secret parameters a
        ``?``, and ``\\u`` escapes could spell any of them. False lets a caller keep the text as it is."""
        lowered = text.lower()
        return any(mark in lowered for mark in ("@", "?", "\\u")) or any(f'"{name}"' in lowered for name in self.fields)

    def redact_json(self, value: Any) -> Any:
        """``value`` with every object member named like a secret field blanked, and the credentials of every
        URL it holds, at any depth."""
        if isinstance(value, dict):
            return {k: PLACEHOLDER if str(k).lower() in self.fields else self.redact_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, str) and "://" in value:
            return self.url(value)
        return value


DEFAULT = Redactor()


def redact_url(url: str) -> str:
    """``url`` as it may be shown or stored: no ``user:password@``, no secret query parameter values."""
    return DEFAULT.url(url)


def redact_params(params: Any) -> Any:
    """Parameters as they may be shown or stored (the journal, the inspector): secret fields and URL
    credentials blanked at any depth."""
    return DEFAULT.redact_json(params)


def scrub(data: bytes, secrets: set[str]) -> bytes:
    for secret in sorted(secrets, key=len, reverse=True):
        data = data.replace(secret.encode(), PLACEHOLDER.encode())
    return data


def scrub_text(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, PLACEHOLDER)
    return text


def _mimetype(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _json_secrets(redactor: Redactor, value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() in redactor.fields and isinstance(v, (str, int)):
                yield str(v)
            else:
                yield from _json_secrets(redactor, v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_secrets(redactor, v)


def _body_secrets(redactor: Redactor, body: bytes, content_type: str) -> Iterable[str]:
    mimetype = _mimetype(content_type)
    if mimetype == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return [v for k, v in pairs if k.lower() in redactor.fields]
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            return list(_json_secrets(redactor, json.loads(body)))
        except ValueError:
            return []
    boundary = boundary_of(content_type)
    raw = split(body, boundary) if boundary else None
    if raw is None:
        return []
    out: list[str] = []
    for part in raw.parts:
        if part.name and part.name.lower() in redactor.fields:
            out.append(part.data.decode("utf-8", "replace"))
        else:
            out.extend(_body_secrets(redactor, part.data, part.content_type or ""))
    return out


def _redact_body(redactor: Redactor, body: bytes, content_type: str) -> bytes:
    mimetype = _mimetype(content_type)
    if mimetype == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        if not any(k.lower() in redactor.fields for k, _ in pairs):
            return body
        return urlencode([(k, PLACEHOLDER if k.lower() in redactor.fields else v) for k, v in pairs]).encode()
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            value = json.loads(body)
        except ValueError:
            return body
        redacted = redactor.redact_json(value)
        return body if redacted == value else json.dumps(redacted, ensure_ascii=False).encode()
    boundary = boundary_of(content_type)
    raw = split(body, boundary) if boundary else None
    if raw is None:
        return body
    parts = []
    for part in raw.parts:
        if part.name and part.name.lower() in redactor.fields:
            parts.append(part.with_data(PLACEHOLDER.encode()))
        else:
            parts.append(part.with_data(_redact_body(redactor, part.data, part.content_type or "")))
    return type(raw)(raw.boundary, raw.preamble, tuple(parts), raw.epilogue).join()
