"""Shared test setup: Hypothesis profiles, and ``mock_http``, which runs a provider test twice.

``mock_http`` is parametrized: once in-process (httpx to the providers' real hosts, answered by the app
through ``segmock_respx``) and once over real HTTP to the live server (``segmock_server``). Every response
either way is checked with ``contracts.validate_response``; a test fails if the mock ever answers off-spec.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cli_support import CliServer
from hypothesis import HealthCheck, settings

import contracts

settings.register_profile("ci", derandomize=True, max_examples=30, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class MockHttp:
    """An httpx client aimed at the mock, the same way whichever transport is under test."""

    kind: str
    app: Any
    client: httpx.Client
    live_url: str | None = None
    off_spec: list[str] = field(default_factory=list)

    def url(self, real_url: str) -> str:
        """A real provider URL (``https://image-api.photoroom.com/v2/edit``) as this transport reaches it."""
        if self.live_url is None:
            return real_url
        parts = urlsplit(real_url)
        return self.live_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, real_url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.url(real_url), **kwargs)

    def get(self, real_url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", real_url, **kwargs)

    def post(self, real_url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", real_url, **kwargs)

    @property
    def services(self) -> Any:
        return self.app.extensions["segmock"]


def _checker(mock: MockHttp) -> Any:
    def check(response: httpx.Response) -> None:
        response.read()
        method, path = response.request.method, urlsplit(str(response.request.url)).path
        provider = next((p for p in mock.app.extensions["segmock.providers"] if contracts.spec(p).find(method, path)),
                        None)
        if provider is None:
            return
        for v in contracts.validate_response(provider, response.request, response):
            mock.off_spec.append(f"{method} {response.request.url} -> {response.status_code}: {v}")

    return check


@pytest.fixture(params=["inprocess", "live"])
def mock_http(request: pytest.FixtureRequest) -> Iterator[MockHttp]:
    """The mock through one transport; fails the test if any response does not match its spec."""
    if request.param == "inprocess":
        request.getfixturevalue("segmock_respx")
        app = request.getfixturevalue("segmock_app")
        mock = MockHttp("inprocess", app, httpx.Client(timeout=30))
    else:
        server = request.getfixturevalue("segmock_server")
        mock = MockHttp("live", server.app, httpx.Client(timeout=30), live_url=server.url)
    mock.client.event_hooks["response"] = [_checker(mock)]
    yield mock
    mock.client.close()
    assert mock.off_spec == [], "the mock answered off-spec:\n" + "\n".join(mock.off_spec)


@pytest.fixture
def serve_process(tmp_path: Any) -> Iterator[Any]:
    """Start ``segmock serve`` with extra CLI args: ``server = serve_process("--workers", "2")``."""
    started: list[CliServer] = []

    def start(*args: str) -> CliServer:
        server = CliServer("serve", *args, "--state-dir", str(tmp_path / f"state{len(started)}"))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
