"""Operator fixtures: a Photoroom-only app on a fresh state dir (helpers live in ``operator_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from operator_support import WhiteBackgroundSegmenter

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.pytest_plugin import LiveServer


def with_stub_segmenter(app: Any) -> Any:
    app.extensions["segmock"].__dict__["segmenter"] = WhiteBackgroundSegmenter()
    return app


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Any]:
    """``make_app(**config)``: a Photoroom app on ``tmp_path/state`` (two calls share that state dir)."""

    def make(**changes: Any) -> Any:
        config = MockConfig(providers=("photoroom",), state_dir=tmp_path / "state", **changes)
        return with_stub_segmenter(create_app(config))

    return make


@pytest.fixture
def client(make_app: Callable[..., Any]) -> Any:
    return make_app().test_client()


@pytest.fixture(scope="module")
def _live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = MockConfig(providers=("photoroom",), state_dir=tmp_path_factory.mktemp("live-state"))
    server = LiveServer(with_stub_segmenter(create_app(config))).start()
    yield server
    server.stop()


@pytest.fixture
def live(_live_server: LiveServer) -> LiveServer:
    """The plugin's ``LiveServer`` (what ``segmock_server`` is) serving Photoroom, reset for this test."""
    _live_server.reset()
    return _live_server
