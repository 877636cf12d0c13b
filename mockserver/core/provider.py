"""The shape every provider folder fills in, and the ``Call`` its handlers receive.

A provider folder (``mockserver/providers/<name>/``) has the same files in every provider:

- ``__init__.py``: ``PROVIDER``, the folder's :class:`ProviderDef` (the registry reads nothing else);
- ``settings.py``: what the mock reads from ``specs/<name>.yaml`` (numbers, words, limits), as typed values;
- ``models.py``: state and rules (the backend object, built once per app from the services);
- ``handlers.py``: the HTTP layer: read the call, ask the backend, answer in the provider's shapes;
- ``render.py``: output bodies and images (pure functions, no HTTP, no state);
- ``urls.py``: ``URLS``, operationId → handler.

``__init__.py`` and ``urls.py`` name ``models`` and ``handlers`` through :func:`on_first_call`, so loading a
folder imports neither: a server answering JSON calls starts without the imaging libraries the handlers use.

Paths, methods, credentials and which operations need none come from the spec, never from the folder.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import contracts
from contracts import HttpResponse, Violation
from contracts.check.validation import RequestContext
from contracts.openapi.documents import Spec

if TYPE_CHECKING:
    from ..config import MockConfig
    from .services import JobSettings, Services

Handler = Callable[["Call"], Any]


@dataclass(frozen=True)
class Deferred:
    """``module.name``, imported when first called (Flask's lazily loaded views), then called directly."""

    module: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target(*args, **kwargs)

    @functools.cached_property
    def target(self) -> Callable[..., Any]:
        """The callable itself (``AttributeError`` naming it when the module has no such name)."""
        found = getattr(importlib.import_module(self.module), self.name, None)
        if not callable(found):
            raise AttributeError(f"{self.module} has no callable {self.name!r}")
        return found


class _Module:
    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Deferred:
        return Deferred(self._module, name)


def on_first_call(module: str) -> Any:
    """A stand-in for ``module`` whose attributes are :class:`Deferred` callables: ``on_first_call(__package__ +
    ".handlers").edit`` imports the handlers on the first request that needs one."""
    return _Module(module)


def _no_limit(operation: str) -> int | None:
    return None


@dataclass(frozen=True)
class ProviderDef:
    """What the server core needs to know about a provider beyond its spec.

    ``urls`` maps operationIds to handlers (every operation of the spec needs one). ``backend`` builds the
    provider's state object from the services. ``jobs`` tells the shared job store what the provider's async
    jobs need (retention, payloads, webhook policy); None for a provider without async jobs. ``max_body``
    gives the byte limit of an operation's request body (checked from ``Content-Length`` before the body is
    read). Credentials and the operations that need none come from the spec's ``securitySchemes``/``security``.
    """

    name: str
    urls: Mapping[str, Handler]
    backend: Callable[[Services], Any]
    jobs: Callable[[MockConfig], JobSettings] | None = None
    max_body: Callable[[str], int | None] = _no_limit

    @property
    def spec(self) -> Spec:
        return contracts.spec(self.name)

    @property
    def rules(self) -> ModuleType:
        """The provider's contract module (``contracts/check/providers/<name>.py``): rule table, phrasing,
        error rendering."""
        from contracts.check.providers import provider_module

        return provider_module(self.name)

    def public(self, operation: str) -> bool:
        """Whether the operation needs no key (``security: []`` in the spec, e.g. signed result URLs)."""
        return operation in self._public

    @functools.cached_property
    def _public(self) -> frozenset[str]:
        spec = self.spec
        return frozenset(name for name, op in spec.operations.items() if not spec.requires_key(op))

    def credential(self, request: Any) -> str | None:
        """The key a request carries, read as the spec's security scheme says (None: none, or blank)."""
        cred = self.spec.credential
        if cred is None:
            return None
        # Only the carrier the scheme names is read: a header key needs no parse of the query or the cookies.
        return cred.read(request.headers, request.args if cred.location == "query" else None,
                         request.cookies if cred.location == "cookie" else None)


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
