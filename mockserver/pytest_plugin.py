"""pytest fixtures (registered through the ``pytest11`` entry point, so no conftest is needed).

- ``segmock_server``: a live mock on a free loopback port (built once per configuration, reset per test),
  with ``.url_for(provider)`` and ``.inspector_url``.
- ``segmock_respx``: a respx router sending httpx calls addressed to the real provider hosts into the app
  in-process (no socket), so unchanged client code runs against the mock.
- ``segmock_requests``: the same for ``requests``-based clients.
- All three are the same operator API (``mockserver.operator.api.MockOperator``): ``requests(...)`` (the
  journal), ``fault(...)``, ``answer(...)`` (canned answers), ``force(...)``, ``advance_clock(...)``, ``reset()``.
- ``segmock_app``: the Flask app behind the in-process fixtures (built once per configuration, reset per test).
- ``segmock_config``: override it at any scope to change how the mock behaves for the tests under it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from .config import MockConfig
from .inprocess import InProcessTransport
from .operator.api import MockOperator


class LiveServer(MockOperator):
    """A mock served over real HTTP on loopback by the server ``segmock serve`` runs (:mod:`.serving`), in a
    background thread."""

    def __init__(self, app: Any) -> None:
        from .server_hooks import serving_options
        from .serving import Server, base_url, listen

        sock = listen("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.url = base_url(sock)
        super().__init__(app, self.url)
        self._server = Server(app, sock, serving_options(app))
        self._thread = threading.Thread(target=self._server.run, name="segmock-live", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.close()
        self._server.stop()
        self._thread.join(timeout=15)

    def url_for(self, provider: str) -> str:
        """The base URL to give a client of ``provider`` (every provider is served at its real paths)."""
        if provider not in self.app.extensions["segmock.providers"]:
            raise KeyError(f"{provider} is not served by this mock")
        return self.url

    @property
    def inspector_url(self) -> str:
        return f"{self.url}/__segmock/"


class RespxMock(MockOperator):
    """What ``segmock_respx`` gives a test: the operator API, and the started respx router (``.router``;
    its own methods such as ``.route(...)`` are reachable on this object too)."""

    def __init__(self, app: Any, router: Any) -> None:
        super().__init__(app)
        self.router = router

    def __getattr__(self, name: str) -> Any:
        if name == "router":
            raise AttributeError(name)
        return getattr(self.router, name)


class RequestsMock(MockOperator):
    """What ``segmock_requests`` gives a test: the operator API, and the in-process transport (``.transport``)."""

    def __init__(self, app: Any, transport: InProcessTransport) -> None:
        super().__init__(app)
        self.transport = transport

    @property
    def calls(self) -> list[tuple[str, str, int]]:
        return self.transport.calls


def config_key(config: MockConfig) -> str:
    """A stable key for a configuration's value: equal configs share one app, different ones never do."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True, default=repr)


class MockCache:
    """The session's apps and live servers, one per distinct ``segmock_config`` value.

    A ``segmock_config`` override (any scope, any conftest or module) therefore reaches exactly the tests that
    see it, and tests sharing a configuration share one app, reset before each of them.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._apps: dict[str, Any] = {}
        self._live: dict[str, LiveServer] = {}

    def _state_dir(self, config: MockConfig) -> Path:
        return config.state_dir if config.state_dir is not None else self._tmp.mktemp("segmock-state")

    def app(self, config: MockConfig) -> Any:
        key = config_key(config)
        if key not in self._apps:
            from .app import create_app

            config.validate()  # a bad progression fails the test here, in one sentence, not as 500s later

            self._apps[key] = create_app(config.replace(state_dir=self._state_dir(config)))
        return self._apps[key]

    def live(self, config: MockConfig) -> LiveServer:
        key = config_key(config)
        if key not in self._live:
            from .app import create_app

            config.validate()

            state_dir = self._state_dir(config) / "live"
            self._live[key] = LiveServer(create_app(config.replace(state_dir=state_dir))).start()
        return self._live[key]

    def close(self) -> None:
        for server in self._live.values():
            server.stop()


@pytest.fixture(scope="session")
def segmock_config() -> MockConfig:
    """The fixtures' configuration: private webhook receivers allowed (tests run them on loopback), webhook
    retries a few milliseconds apart instead of the documented seconds, and no inspector thumbnails (the
    journal still records every request; thumbnails cost a decode per image response).

    Override it at any scope, in a ``conftest.py`` or a test module; it applies to the tests under it only.
    Request ``segmock_config`` in the override to start from these defaults: ``segmock_config.replace(...)``.

    tengr's webhook signature is segmock's invention, not tengr's (tengr documents only that the organisation
    secret signs payloads): ``X-Tengr-Signature: sha256=<hex HMAC-SHA256 of the body>`` keyed with
    ``webhook_secret``. Set ``webhook_signature_header`` / ``webhook_signature_format`` (``{hexdigest}`` marks
    the HMAC) to test a receiver against the scheme it really gets. Prodia's job times follow ``clock``
    (``"frozen:2025-01-01T00:00:00Z"`` for byte-identical answers).
    """
    return MockConfig(allow_private_webhooks=True, webhook_delivery={"base_delay": 0.02, "timeout": 5.0},
                      journal_thumbnails=False)


@pytest.fixture(scope="session")
def _segmock_mocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockCache]:
    cache = MockCache(tmp_path_factory)
    yield cache
    cache.close()


@pytest.fixture
def segmock_app(_segmock_mocks: MockCache, segmock_config: MockConfig) -> Any:
    """The Flask app of this test's configuration, reset for this test."""
    app = _segmock_mocks.app(segmock_config)
    app.extensions["segmock"].reset()
    return app


@pytest.fixture
def segmock_server(_segmock_mocks: MockCache, segmock_config: MockConfig) -> LiveServer:
    """The live mock of this test's configuration, reset for this test."""
    server = _segmock_mocks.live(segmock_config)
    server.reset()
    return server


def provider_hosts(app: Any) -> list[str]:
    import contracts

    hosts: list[str] = []
    for name in app.extensions["segmock.providers"]:
        hosts.extend(h for h in contracts.spec(name).hosts if h not in hosts)
    return hosts


@pytest.fixture
def segmock_respx(segmock_app: Any) -> Iterator[RespxMock]:
    """httpx requests to the providers' real hosts are answered by the mock in-process (a started respx
    router); the fixture is the operator API (``fault``, ``answer``, ``requests`` …) and the router.

    Other hosts pass through untouched (so a test can still talk to its own local servers).
    """
    import httpx
    import respx

    transport = InProcessTransport(segmock_app)
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
        for host in provider_hosts(segmock_app):
            router.route(host=host).mock(side_effect=lambda request: _respx_forward(transport, request, httpx))
        router.route().pass_through()
        mock = RespxMock(segmock_app, router)
        yield mock
        mock.close()


def _respx_forward(transport: InProcessTransport, request: Any, httpx: Any) -> Any:
    status, headers, body = transport.send(request.method, str(request.url), list(request.headers.multi_items()),
                                           request.read())
    return httpx.Response(status, headers=headers, content=body)


@pytest.fixture
def segmock_requests(segmock_app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[RequestsMock]:
    """``requests`` calls to the providers' real hosts are answered by the mock in-process; the fixture is the
    operator API (``fault``, ``answer``, ``requests`` …)."""
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
    mock = RequestsMock(segmock_app, transport)
    yield mock
    mock.close()
