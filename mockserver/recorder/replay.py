"""Serve a cassette's recorded responses to matching requests (WSGI app).

A request that matches nothing gets a plain answer saying so and which recordings came closest and why
(WireMock's near misses), instead of an exception deep in a client library (VCR.py's
``CannotOverwriteExistingCassetteException``, vcrpy #838). Both sides are normalised with the cassette's
redaction rules first, so a request carrying the real key still matches its redacted recording.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request

from contracts.cassettes.cassette import Cassette, Interaction
from contracts.cassettes.redaction import Redactor
from contracts.wire.exchange import FormError, HttpRequest
from mockserver.recorder.proxy import HOP_BY_HOP

CRITERIA = ("method", "path", "query", "body")


def body_digest(request: HttpRequest) -> str:
    """A digest of what the body means: multipart parts (not the random boundary), JSON values, form pairs."""
    digest = hashlib.sha256()
    if request.mimetype == "multipart/form-data":
        try:
            parts: tuple[Any, Any] | None = request.form_parts()
        except FormError:
            parts = None
        if parts is not None:
            fields, files = parts
            for name, value in sorted(fields.items(multi=True)):
                digest.update(f"f\0{name}\0{value}\0".encode())
            for name, part in sorted(files.items(multi=True), key=lambda kv: kv[0]):
                digest.update(f"p\0{name}\0{part.filename}\0{part.content_type}\0".encode())
                digest.update(hashlib.sha256(part.data).digest())
            return digest.hexdigest()
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        try:
            return hashlib.sha256(json.dumps(json.loads(request.body), sort_keys=True).encode()).hexdigest()
        except ValueError:
            pass
    if request.mimetype == "application/x-www-form-urlencoded":
        pairs = sorted(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True))
        return hashlib.sha256(repr(pairs).encode()).hexdigest()
    return hashlib.sha256(request.body).hexdigest()


@dataclass(frozen=True)
class Key:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: str

    @classmethod
    def of(cls, request: HttpRequest) -> Key:
        parts = urlsplit(request.url)
        query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        return cls(request.method, parts.path or "/", query, body_digest(request))

    def differences(self, other: Key, criteria: Iterable[str]) -> list[str]:
        return [c for c in criteria if getattr(self, c) != getattr(other, c)]


def _describe_difference(criterion: str, recorded: Key, got: Key) -> str:
    if criterion == "query":
        want, have = dict(recorded.query), dict(got.query)
        names = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
        return "query " + ", ".join(f"{k}: recorded {want.get(k)!r}, got {have.get(k)!r}" for k in names)
    if criterion == "body":
        return "body differs (compared by content: multipart parts, JSON value, form pairs or bytes)"
    return f"{criterion}: recorded {getattr(recorded, criterion)}, got {getattr(got, criterion)}"


class ReplayApp:
    """WSGI app answering from a cassette; repeated matches are served in recorded order, the last repeats."""

    def __init__(self, cassette: Cassette, match_on: Iterable[str] = CRITERIA,
                 log: Callable[[str], None] | None = None) -> None:
        self.cassette = cassette
        self.match_on = tuple(match_on)
        unknown = set(self.match_on) - set(CRITERIA)
        if unknown:
            raise ValueError(f"unknown match criteria: {', '.join(sorted(unknown))}; use {', '.join(CRITERIA)}")
        self.redactor = Redactor.from_dict(cassette.redaction) if cassette.redaction else Redactor()
        self.keys = [Key.of(self.redactor.request(i.request)) for i in cassette.interactions]
        self.log = log or (lambda line: None)
        self._served: dict[int, int] = {}
        self._lock = threading.Lock()

    def pick(self, request: HttpRequest) -> tuple[Interaction | None, Key]:
        """The interaction to answer ``request`` with (None when nothing matches)."""
        key = Key.of(self.redactor.request(request))
        matches = [n for n, k in enumerate(self.keys) if not k.differences(key, self.match_on)]
        if not matches:
            return None, key
        with self._lock:
            fresh = [n for n in matches if not self._served.get(n)]
            chosen = fresh[0] if fresh else matches[-1]
            self._served[chosen] = self._served.get(chosen, 0) + 1
        return self.cassette.interactions[chosen], key

    def near_misses(self, key: Key, limit: int = 3) -> list[dict[str, Any]]:
        ranked = sorted(range(len(self.keys)),
                        key=lambda n: (len(self.keys[n].differences(key, self.match_on)),
                                       [c in self.keys[n].differences(key, self.match_on) for c in CRITERIA]))
        out = []
        for n in ranked[:limit]:
            recorded = self.keys[n]
            interaction = self.cassette.interactions[n]
            out.append({"interaction": n + 1, "method": interaction.request.method, "url": interaction.request.url,
                        "differs_in": [_describe_difference(c, recorded, key)
                                       for c in recorded.differences(key, self.match_on)]})
        return out

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        incoming = Request(environ)
        request = HttpRequest(incoming.method, incoming.url, Headers(list(incoming.headers.items())),
                              incoming.get_data(cache=False))
        interaction, key = self.pick(request)
        if interaction is None:
            return self._no_match(request, key, start_response)
        response = interaction.response
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP | {"content-length"}]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        self.log(f"replayed {request.method} {request.path} -> {response.status}")
        return [response.body]

    def _no_match(self, request: HttpRequest, key: Key, start_response: Callable[..., Any]) -> list[bytes]:
        closest = self.near_misses(key)
        message = (f"segmock replay: no recorded interaction matches {request.method} {request.path} "
                   f"(matching on {', '.join(self.match_on)}; cassette {self.cassette.path})")
        lines = [message] + [f"  closest: #{c['interaction']} {c['method']} {c['url']}: {'; '.join(c['differs_in'])}"
                             for c in closest]
        self.log("\n".join(lines))
        body = json.dumps({"segmock_replay": "no-match", "message": message, "closest": closest}, indent=2).encode()
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                         ("X-Segmock-Replay", "no-match")])
        return [body]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
