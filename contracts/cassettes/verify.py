"""Check recorded exchanges against the contract: the client's side, the provider's side, the assumptions.

One function, ``check_exchange``, serves the live proxy and the offline ``segmock verify`` alike, so an
exchange gets the same verdict whether it was checked while recording or months later in CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

from contracts.cassettes import bodies
from contracts.cassettes.assumptions import AssumptionVerdict, judge
from contracts.cassettes.cassette import Cassette
from contracts.check.validation import validate_request, validate_response
from contracts.check.violations import Violation, errors_only
from contracts.openapi.documents import providers, spec
from contracts.wire.exchange import HttpRequest, HttpResponse


@dataclass
class ExchangeReport:
    """The verdict on one exchange: who broke the contract, and which assumptions it settles."""

    index: int
    method: str
    url: str
    status: int
    operation: str | None
    client: list[Violation] = field(default_factory=list)
    provider: list[Violation] = field(default_factory=list)
    assumptions: list[AssumptionVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not errors_only(self.client) and not errors_only(self.provider)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "method": self.method, "url": self.url, "status": self.status,
            "operation": self.operation, "ok": self.ok,
            "client_violations": [v.to_dict() for v in self.client],
            "provider_violations": [v.to_dict() for v in self.provider],
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


def decoded(response: HttpResponse) -> HttpResponse:
    """The response as the client library sees it: Content-Encoding undone (validation reads this)."""
    coding = response.headers.get("Content-Encoding")
    body = bodies.decode_content(response.body, coding)
    if not coding or body is None:
        return response
    headers = Headers([(k, v) for k, v in response.headers.items() if k.lower() != "content-encoding"])
    return HttpResponse(response.status, headers, body)


def check_exchange(provider: str, request: HttpRequest, response: HttpResponse, index: int = 0) -> ExchangeReport:
    """Validate both directions of one exchange and judge the assumptions it touches."""
    plain = decoded(response)
    client = validate_request(provider, request)
    drift = validate_response(provider, request, plain)
    found = spec(provider).find(request.method, request.path)
    operation = found[0].operation_id if found else None
    verdicts: list[AssumptionVerdict] = []
    if operation is not None:
        text = plain.body[:65536].decode("utf-8", "replace") if plain.body else ""
        verdicts = judge(spec(provider), operation, plain.status, plain.mimetype, plain.headers.keys(), text, drift)
    return ExchangeReport(index, request.method, request.url, response.status, operation, client, drift, verdicts)


def infer_provider(url: str) -> str | None:
    """The provider whose spec lists the URL's host among its servers (templated hosts are not guessed)."""
    host = (urlsplit(url).hostname or "").lower()
    for name in providers():
        if any(urlsplit(base).hostname == host for base in spec(name).base_urls if "{" not in base):
            return name
    return None


class ProviderUnknown(ValueError):
    """No ``--provider`` was given and the cassette's hosts are not any provider's."""


def cassette_provider(cassette: Cassette, given: str | None = None) -> str:
    if given:
        return given
    if cassette.provider:
        return cassette.provider
    for interaction in cassette.interactions:
        name = infer_provider(interaction.request.url)
        if name:
            return name
    hosts = sorted({urlsplit(i.request.url).netloc for i in cassette.interactions})
    raise ProviderUnknown(f"{cassette.path}: cannot tell the provider from hosts {', '.join(hosts) or '(none)'}; "
                          "pass --provider")


def verify_cassette(cassette: Cassette, provider: str | None = None) -> list[ExchangeReport]:
    """Every exchange of a cassette, checked offline."""
    name = cassette_provider(cassette, provider)
    return [check_exchange(name, i.request, i.response, n) for n, i in enumerate(cassette.interactions, 1)]
