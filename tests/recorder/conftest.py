"""Stand-in upstreams that answer like Photoroom, loopback servers, and the ``segmock`` CLI as a process.

Nothing here talks to a real provider: the "provider" is a small Flask app on 127.0.0.1 (one faithful, one
drifting from the spec), and the proxy under test is the real ``segmock record`` command.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cli_support import CliServer
from flask import Flask, Response, request
from PIL import Image
from werkzeug.serving import WSGIRequestHandler, make_server

from mockserver.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_live_9f8e7d6c5b4a39281716"


def png(width: int = 24, height: int = 16, seed: int = 1) -> bytes:
    """A small RGBA PNG whose alpha is a rectangle (a plausible cut-out)."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    rnd = random.Random(seed)
    x0, y0 = rnd.randrange(width // 2), rnd.randrange(height // 2)
    for x in range(x0, x0 + width // 2):
        for y in range(y0, y0 + height // 2):
            img.putpixel((x, y), (200, 30, 30, 255))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass
class Upstream:
    url: str
    hits: list[str] = field(default_factory=list)


def standin_app(hits: list[str], drift: bool = False) -> Flask:
    """Answers like Photoroom; with ``drift`` it breaks the spec the way a changed provider would."""
    app = Flask("standin")

    @app.before_request
    def count() -> None:
        hits.append(f"{request.method} {request.path}")

    @app.get("/v2/account")
    def account() -> Response:
        key = request.headers.get("x-api-key")
        if not key:
            return Response(json.dumps({"error": {"message": "apiKey: Required"}}), 400,
                            content_type="application/json")
        if key != KEY:
            if drift:
                return Response("Forbidden", 403, content_type="text/plain")
            return Response(json.dumps({"error": {"message": "Forbidden"}}), 403, content_type="application/json")
        if drift:
            return Response(json.dumps({"plan": "basic", "images": {"available": "lots"}}), 200,
                            content_type="application/json")
        body = {"images": {"available": 99, "subscription": 100}, "plan": "basic"}
        return Response(json.dumps(body), 200, content_type="application/json")

    @app.post("/v1/segment")
    def segment() -> Response:
        received = hashlib.sha256(request.get_data(cache=True)).hexdigest()
        upload = request.files.get("image_file")
        if upload is None:
            body = {"detail": "Please provide an image.", "status_code": 400, "type": "missing_image"}
            return Response(json.dumps(body), 400, content_type="application/json")
        size = request.headers.get("X-Standin-Size")
        data = random_bytes(int(size), seed=7) if size else png(seed=len(upload.read()))
        return Response(data, 200, content_type="image/png",
                        headers={"X-Received-Sha256": received, "x-uncertainty-score": "0.2"})

    @app.get("/v2/edit")
    def edit() -> Response:
        chunks = [random_bytes(64 * 1024, seed=i) for i in range(8)]
        return Response(iter(chunks), 200, content_type="image/png")  # no length: sent chunked

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        """Keep test output to what the proxy prints."""


class LoopbackServer:
    """A threaded werkzeug server on a free loopback port, for stand-in upstreams and mock apps."""

    def __init__(self, app: object) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    hits: list[str] = []
    with LoopbackServer(standin_app(hits)) as server:
        yield Upstream(server.url, hits)


@pytest.fixture(scope="session")
def drifting_upstream() -> Iterator[Upstream]:
    hits: list[str] = []
    with LoopbackServer(standin_app(hits, drift=True)) as server:
        yield Upstream(server.url, hits)


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Completed:
    """A one-shot command through the CLI's own ``main`` (in-process: no interpreter start-up per call)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return Completed(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def cli() -> Iterator[type[CliServer]]:
    """Start ``segmock`` servers; any still running at the end of the test are stopped."""
    started: list[CliServer] = []

    class Tracked(CliServer):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


@pytest.fixture(scope="session")
def segmock():
    """Run a one-shot ``segmock`` command (verify, export) and return the completed process."""
    return run_cli


@pytest.fixture(scope="session")
def api_key() -> str:
    return KEY


@pytest.fixture(scope="session")
def make_png():
    return png


@pytest.fixture(scope="session")
def standin_bytes():
    """The stand-in's deterministic random bytes: ``standin_bytes(size, seed)``."""
    return random_bytes


def send_upload(client: httpx.Client, upload: bytes, headers: dict[str, str],
                **data: str) -> tuple[bytes, httpx.Response]:
    """POST ``upload`` as /v1/segment's image_file through ``client``: the exact bytes sent, and the answer."""
    request = client.build_request("POST", "/v1/segment", headers=headers,
                                   files={"image_file": ("big.png", upload, "image/png")}, data=data or None)
    sent = request.read()
    return sent, client.send(request)


@pytest.fixture(scope="session")
def upload_through():
    """``upload_through(client, bytes, headers, **form_fields) -> (bytes sent, response)``."""
    return send_upload


@dataclass
class Recording:
    cassette: Path
    report: Path
    output: str
    upload: bytes


@pytest.fixture(scope="session")
def recorded(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """A cassette recorded through ``segmock record`` from the faithful stand-in (clean traffic only)."""
    folder = tmp_path_factory.mktemp("recorded")
    cassette, report = folder / "photoroom.yaml", folder / "report.json"
    server = CliServer("record", "--provider", "photoroom", "--upstream", upstream.url,
                       "--cassette", str(cassette), "--report", str(report))
    upload = png(40, 30, seed=3)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.get("/v2/account", headers={"x-api-key": KEY}).raise_for_status()
            for _ in range(2):  # the same image twice: one asset file
                client.post("/v1/segment", headers={"x-api-key": KEY},
                            files={"image_file": ("shoe.png", upload, "image/png")},
                            data={"format": "png"}).raise_for_status()
            assert client.get("/v2/account", headers={"x-api-key": "sk_wrong_000000"}).status_code == 403
    finally:
        output = server.stop()
    return Recording(cassette, report, output, upload)
