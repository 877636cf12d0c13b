"""Call the mock's WSGI app in-process, as if over HTTP to the real provider host (no socket)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder


class InProcessTransport:
    """Sends a request to the app with the URL the client used, so URLs the mock hands out (results,
    downloads) point at the real provider host and route back through the same fixture."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[tuple[str, str, int]] = []

    def send(self, method: str, url: str, headers: Iterable[tuple[str, str]],
             body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        header_list = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length")]
        builder = EnvironBuilder(method=method, base_url=base, path=parts.path or "/", query_string=parts.query,
                                 headers=header_list, data=body)
        content_type = next((v for k, v in header_list if k.lower() == "content-type"), None)
        if content_type is not None:
            builder.content_type = content_type
        env = builder.get_environ()
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = response_headers
            return lambda data: None

        chunks = self.app(env, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        self.calls.append((method, url, captured["status"]))
        return captured["status"], captured["headers"], content
