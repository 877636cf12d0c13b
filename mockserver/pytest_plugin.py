"""pytest fixtures (registered through the ``pytest11`` entry point, so no conftest is needed).

- ``segmock_server``: a live mock on a free loopback port (session-scoped; ``.reset()`` between tests), with
  ``.requests(...)`` (the journal as objects), ``.fault(...)`` (fault injection) and ``.inspector_url``.
- ``segmock_respx``: a respx router sending httpx calls addressed to the real provider hosts into the app
  in-process (no socket), so unchanged client code runs against the mock.
- ``segmock_requests``: the same for ``requests``-based clients.
- ``segmock_app``: the Flask app behind the in-process fixtures (session-scoped, reset per test).
- ``segmock_config``: override it to change how the fixtures' mock behaves.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from .config import MockConfig
from .inprocess import InProcessTransport


class LiveServer:
    """A mock served over real HTTP on loopback by werkzeug's threaded server in a background thread."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # make_server(threaded=True) is threading
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="segmock-live", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if "operator" in self.__dict__:
            self.operator.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url_for(self, provider: str) -> str:
        """The base URL to give a client of ``provider`` (every provider is served at its real paths)."""
        if provider not in self.app.extensions["segmock.providers"]:
            raise KeyError(f"{provider} is not served by this mock")
        return self.url

    @property
    def services(self) -> Any:
        return self.app.extensions["segmock"]

    def reset(self) -> None:
        """Forget quotas, jobs, recorded traffic and fault rules (call between tests that share the server)."""
        self.services.reset()

    @functools.cached_property
    def operator(self) -> Any:
        """The server's ``/__segmock/`` API (``mockserver.operator.client.OperatorClient``)."""
        from .operator.client import OperatorClient

        return OperatorClient(self.url)

    @property
    def inspector_url(self) -> str:
        return f"{self.url}/__segmock/"

    def requests(self, provider: str | None = None, operation: str | None = None, status: int | None = None,
                 limit: int | None = None) -> list[Any]:
        """What clients sent, oldest first, as ``JournalEntry`` objects (method, path, provider, operation,
        params, image size, status …)."""
        return self.operator.requests(provider=provider, operation=operation, status=status, limit=limit)

    def fault(self, provider: str | None = None, operation: str | None = None, **rule: Any) -> int:
        """Make matching requests fail: ``status=429`` (provider's own body, ``Retry-After``), ``error=KEY``,
        ``delay=S``, ``kind="reset"|"empty"|"truncated"``; ``times=N`` or ``probability=P, seed=S``."""
        return int(self.operator.fault(provider, operation, **rule))

    def faults(self) -> list[dict[str, Any]]:
        return list(self.operator.faults())

    def clear_faults(self) -> None:
        self.operator.clear_faults()

    def clear_requests(self) -> None:
        self.operator.clear_requests()

    def force(self, outcome: str = "failed", error: Any = None, **options: Any) -> int:
        """Make the next async job(s) end ``failed`` (with ``error``) or ``canceled``, with no contrived input.

        ``options`` are those of ``JobStore.force``: ``provider``, ``match`` (e.g. ``{"textPrompt": "boom"}``)
        and ``times``. The rule is forgotten at the next ``reset()``.
        """
        return int(self.services.jobs.force(outcome, error, **options))

    def advance_clock(self, seconds: float) -> float:
        """Move the async jobs' clock forward (e.g. past a provider's retention) for every worker."""
        return float(self.services.jobs.clock.advance(seconds))


@pytest.fixture(scope="session")
def segmock_config(tmp_path_factory: pytest.TempPathFactory) -> MockConfig:
    """The fixtures' configuration: private webhook receivers allowed (tests run them on loopback), webhook
    retries a few milliseconds apart instead of the documented seconds, and no inspector thumbnails (the
    journal still records every request; thumbnails cost a decode per image response)."""
    return MockConfig(state_dir=tmp_path_factory.mktemp("segmock-state"), allow_private_webhooks=True,
                      webhook_delivery={"base_delay": 0.02, "timeout": 5.0}, journal_thumbnails=False)


@pytest.fixture(scope="session")
def _segmock_session_app(segmock_config: MockConfig) -> Any:
    from .app import create_app

    return create_app(segmock_config)


@pytest.fixture
def segmock_app(_segmock_session_app: Any) -> Any:
    _segmock_session_app.extensions["segmock"].reset()
    return _segmock_session_app


@pytest.fixture(scope="session")
def _segmock_live(segmock_config: MockConfig) -> Iterator[LiveServer]:
    from .app import create_app

    server = LiveServer(create_app(segmock_config.replace(state_dir=segmock_config.resolved_state_dir() / "live")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def segmock_server(_segmock_live: LiveServer) -> LiveServer:
    """The live mock, reset for this test."""
    _segmock_live.reset()
    return _segmock_live


def provider_hosts(app: Any) -> list[str]:
    import contracts

    hosts: list[str] = []
    for name in app.extensions["segmock.providers"]:
        hosts.extend(h for h in contracts.spec(name).hosts if h not in hosts)
    return hosts


@pytest.fixture
def segmock_respx(segmock_app: Any) -> Iterator[Any]:
    """A started respx router: httpx requests to the providers' real hosts are answered by the mock.

    Other hosts pass through untouched (so a test can still talk to its own local servers).
    """
    import httpx
    import respx

    transport = InProcessTransport(segmock_app)
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
        for host in provider_hosts(segmock_app):
            router.route(host=host).mock(side_effect=lambda request: _respx_forward(transport, request, httpx))
        router.route().pass_through()
        yield router


def _respx_forward(transport: InProcessTransport, request: Any, httpx: Any) -> Any:
    status, headers, body = transport.send(request.method, str(request.url), list(request.headers.multi_items()),
                                           request.read())
    return httpx.Response(status, headers=headers, content=body)


@pytest.fixture
def segmock_requests(segmock_app: Any, monkeypatch: pytest.MonkeyPatch) -> InProcessTransport:
    """``requests`` calls to the providers' real hosts are answered by the mock in-process."""
    import requests
    from requests.adapters import HTTPAdapter

    transport = InProcessTransport(segmock_app)
    hosts = set(provider_hosts(segmock_app))
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if urlsplit(request.url or "").netloc not in hosts:
            return original(self, request, *args, **kwargs)
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        status, headers, content = transport.send(request.method or "GET", request.url or "",
                                                  [(k, str(v)) for k, v in request.headers.items()], cast(bytes, body))
        resp = requests.Response()
        resp.status_code = status
        resp.headers = requests.structures.CaseInsensitiveDict(headers)
        resp._content = content
        resp.url = request.url or ""
        resp.request = request
        resp.reason = ""
        resp.encoding = requests.utils.get_encoding_from_headers(resp.headers)
        return resp

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return transport
