"""Run the mock on gunicorn (a production WSGI server), with shared state across worker processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

import contracts

from .app import create_app
from .config import MockConfig


class MockServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with threaded workers (keep-alive; see :mod:`mockserver.fastworker`) and the app built once
    before forking (fast start)."""

    def __init__(self, config: MockConfig, host: str, port: int, workers: int, threads: int = 8,
                 on_ready: Callable[[str], None] | None = None, access_log: bool = False) -> None:
        self.mock_config = config
        self.bind = f"{host}:{port}"
        self.workers = workers
        self.threads = threads
        self.on_ready = on_ready
        self.access_log = access_log
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": self.bind,
            "workers": self.workers,
            "worker_class": "mockserver.fastworker.FastWorker",
            "threads": self.threads,
            "preload_app": True,
            "keepalive": 30,
            "timeout": 120,
            "graceful_timeout": 5,
            "accesslog": "-" if self.access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "worker_tmp_dir": "/dev/shm",
            "control_socket_disable": True,  # no gunicorn.ctl in the user's home, shared by every mock started
            "when_ready": self._when_ready,
        }
        for key, value in settings.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def _when_ready(self, server: Any) -> None:
        if self.on_ready:
            host, port = server.LISTENERS[0].sock.getsockname()[:2]
            self.on_ready(f"http://{host}:{port}")

    def load(self) -> Any:
        # Build the openapi-core objects before forking so every worker starts warm.
        from contracts.check.validation import openapi

        app = create_app(self.mock_config)
        for name in app.extensions["segmock.providers"]:
            openapi(name)
        return app


def base_urls(base: str, providers: tuple[str, ...]) -> dict[str, list[str]]:
    """Where each provider's real base URLs point on the local mock (printed by ``segmock serve``)."""
    out: dict[str, list[str]] = {}
    for name in providers:
        out[name] = [f"{base}  (for {url})" for url in contracts.spec(name).base_urls]
    return out
