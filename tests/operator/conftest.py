"""Operator test helpers: a Photoroom-only app on a fresh state dir, a packshot, a stand-in segmenter.

The stand-in segmenter (non-white pixels are the subject) keeps these tests about the journal, faults and
inspector, independent of the reference segmenter's tuning.
"""

from __future__ import annotations

import io
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.pytest_plugin import LiveServer

KEY = {"x-api-key": "sk_test_operator"}


class WhiteBackgroundSegmenter:
    """Everything not near-white is the subject."""

    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> Any:
        alpha = (np.asarray(image)[..., :3].min(axis=2) < 240).astype(np.uint8) * 255
        return types.SimpleNamespace(alpha=alpha, mask=alpha > 0, box=(0, 0, 1, 1), score=1.0)


def packshot(width: int = 96, height: int = 64) -> bytes:
    """A red square on white, centred (left and right thirds are background)."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste((200, 30, 30), (width // 3, height // 4, 2 * width // 3, 3 * height // 4))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


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
