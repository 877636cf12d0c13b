"""Serve a WSGI app with gunicorn (one process, threads) until Ctrl-C or SIGTERM.

One worker process keeps the cassette, the report and the request budget in one place; threads let a slow
30 MB upload and a status poll proceed side by side. gunicorn handles the signals: SIGTERM finishes the
requests in flight, Ctrl-C stops at once, and ``on_exit`` runs in the parent either way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

WSGIApp = Callable[..., Any]


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], WSGIApp], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self.factory()


def _close_app(server: Any, worker: Any) -> None:
    """Let the app finish queued work (a recorder's last exchanges) before the worker process ends."""
    close = getattr(getattr(worker, "wsgi", None), "close", None)
    if callable(close):
        close()


def serve(factory: Callable[[], WSGIApp], host: str, port: int, banner: str,
          on_exit: Callable[[], None] | None = None, threads: int = 16) -> None:
    """Run until stopped; ``factory`` builds the app inside the worker, ``banner`` names what listens.

    The banner line ``<banner> on http://HOST:PORT`` is printed once the socket is bound (port 0 picks a
    free port, and the line says which).
    """

    def when_ready(server: Any) -> None:
        bound_host, bound_port = server.LISTENERS[0].sock.getsockname()[:2]
        print(f"{banner} on http://{bound_host}:{bound_port}", flush=True)

    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 600,  # a provider may take minutes; gthread heartbeats are independent of requests anyway
        "graceful_timeout": 30,
        "keepalive": 30,
        "limit_request_line": 0,  # Photoroom GET /v2/edit URLs can exceed gunicorn's 4 KB default
        "limit_request_field_size": 0,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": when_ready,
        "on_exit": lambda server: on_exit() if on_exit else None,
        "worker_exit": _close_app,
        "control_socket_disable": True,  # no gunicorn.ctl in the user's home, shared by every proxy started
    }
    parent = os.getpid()
    try:
        _Server(factory, options).run()
    except SystemExit as exc:  # gunicorn's arbiter and workers both leave through sys.exit
        if os.getpid() != parent:  # a worker must not run the caller's clean-up (it would delete its files)
            sys.stdout.flush()
            os._exit(exc.code if isinstance(exc.code, int) else 0)
        if exc.code not in (None, 0):
            raise
    sys.stdout.flush()
