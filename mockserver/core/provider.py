"""The shape every provider folder fills in, and the ``Call`` its handlers receive.

A provider folder (``mockserver/providers/<name>/``) holds ``models.py`` (state and logic), ``handlers.py``
(HTTP layer: read the call, ask the backend, build the response), ``urls.py`` (operationId → handler) and
``__init__.py`` exposing ``PROVIDER``. Paths and methods come from the spec, never from the folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import HttpResponse, Violation
from contracts.check.validation import RequestContext

from ..environ_keys import Later, after_response
from .services import Services

Handler = Callable[["Call"], Any]


@dataclass
class ProviderDef:
    """What the server core needs to know about a provider beyond its spec.

    ``urls`` maps operationIds to handlers. ``backend`` builds the provider's state object from the
    services. ``max_body`` gives the byte limit of an operation's request body (checked from the
    ``Content-Length`` header before the body is read). ``public`` lists operations that need no key
    (e.g. result files behind signed URLs). ``credential`` pulls the key out of a request.
    """

    name: str
    urls: Mapping[str, Handler]
    backend: Callable[[Services], Any]
    max_body: Callable[[str], int | None] = lambda operation: None
    public: frozenset[str] = frozenset()
    credential: Callable[[Any], str | None] = lambda request: None


@dataclass
class Call:
    """One request on its way through a provider handler."""

    provider: str
    operation: str
    ctx: RequestContext
    request: Any
    services: Services
    backend: Any
    api_key: str | None
    params: dict[str, Any]
    warnings: list[Violation] = field(default_factory=list)
    admission: Any = None  # what the backend's guard admitted the request with (tengr: its rate-limit window)

    @property
    def sent(self) -> dict[str, Any]:
        """Only what the client sent (no defaults)."""
        return self.ctx.sent

    @property
    def path_params(self) -> dict[str, str]:
        return self.ctx.path_params

    @property
    def after_response(self) -> Later | None:
        """Where to leave work the answer need not wait for (None: the server keeps no such place)."""
        return after_response(self.request.environ)

    def explain(self, reason: str) -> None:
        """Say why this request failed where the provider's answer cannot (see :func:`explain`)."""
        explain(reason)

    @property
    def base_url(self) -> str:
        """The scheme and host the client used, for URLs the mock hands out (results, downloads)."""
        return self.request.host_url.rstrip("/")


REASON = "segmock_reason"


def explain(reason: str) -> None:
    """Record why the mock refused or failed the current request (an ``imageUrl`` it could not fetch, an image
    it could not decode), for the journal, the inspector and the request log: the provider's own answer stays
    as documented, and often names no cause."""
    from flask import g

    setattr(g, REASON, reason)


def fetch_reason(error: Exception) -> str:
    """Why an ``imageUrl`` could not be used, with the hint a test author needs: the mock fetches the URL
    itself, so a URL answered by the test's own respx or requests mock never reaches it."""
    return (f"{error} (segmock fetches imageUrl itself, over the network: use a data: URL or a server on "
            "127.0.0.1; see 'Image URLs' in the README)")


def respond(resp: HttpResponse) -> Any:
    """A contracts ``HttpResponse`` as a Flask response."""
    from flask import Response

    out = Response(resp.body, status=resp.status)
    out.headers.clear()
    for key, value in resp.headers.items():
        out.headers.add(key, value)
    out.headers["Content-Length"] = str(len(resp.body))
    return out
