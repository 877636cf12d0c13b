"""A small WSGI app for tests/operator/test_fastworker.py, served by gunicorn with the FastWorker.

Routes:

* ``/echo...`` (any other path too): JSON of the method, path, query, the environ keys the tests compare, the
  HTTP_* headers and the body read from ``wsgi.input``;
* ``/stream``: a generator body without Content-Length (the server frames it);
* ``/empty``: 204; ``/not-modified``: 304 with the unconditional response's Content-Length;
* ``/close``: the app asks for ``Connection: close``;
* ``/boom``: raises before start_response; ``/bad-header``: a header name with a space;
* ``/sleep?s=SECONDS``: answers after a nap; ``/slow-stream?s=SECONDS``: one part, a nap, the last part;
* ``/stream-fail``: one part of a body, then the generator raises;
* ``/short``, ``/long``: a body shorter, or longer, than the Content-Length the app set;
* ``/unread``: answers without reading the request body.

The echo also says which parser read the request (``via``, and the ``X-Via`` header): gunicorn's environ
carries ``wsgi.early_hints``, the fast path's does not; the tests use it to make sure a comparison really
crossed both paths.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator

# environ keys that must be the same whichever parser read the request
COMPARED = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "SCRIPT_NAME", "CONTENT_TYPE",
            "CONTENT_LENGTH", "REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme",
            "wsgi.input_terminated", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "wsgi.version",
            "SERVER_SOFTWARE")

STREAM_PARTS = [b"first part;", b"x" * 5000, b";", b"", b"last part"]


def _stream() -> Iterator[bytes]:
    yield from STREAM_PARTS


def _stream_fail() -> Iterator[bytes]:
    yield b"partial body"
    raise RuntimeError("the body failed half way")


def _slow_stream(seconds: float) -> Iterator[bytes]:
    yield b"started;"
    time.sleep(seconds)
    yield b"finished"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    path = environ["PATH_INFO"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream()
    if path == "/stream-fail":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream_fail()
    if path == "/slow-stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _slow_stream(float(environ["QUERY_STRING"].partition("=")[2] or "1"))
    if path in ("/short", "/long"):
        start_response("200 OK", [("Content-Length", "10" if path == "/short" else "4")])
        return [b"four", b"", b"+more" if path == "/long" else b""]
    if path == "/empty":
        start_response("204 No Content", [("Content-Length", "0"), ("X-Route", path)])
        return [b""]
    if path == "/not-modified":
        start_response("304 Not Modified", [("Content-Length", "12"), ("X-Route", path)])
        return [b""]
    if path == "/close":
        body = b"bye"
        start_response("200 OK", [("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]
    if path == "/boom":
        raise RuntimeError("the app failed")
    if path == "/bad-header":
        start_response("200 OK", [("Bad Name", "x"), ("Content-Length", "2")])
        return [b"no"]
    if path == "/sleep":
        time.sleep(float(environ["QUERY_STRING"].partition("=")[2] or "1"))
        body = b"slept"
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    if path == "/unread":
        body = b"unread"
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    body_bytes = environ["wsgi.input"].read()
    via = "gunicorn" if "wsgi.early_hints" in environ else "fast"
    payload = {
        "environ": {key: environ[key] for key in COMPARED if key in environ},
        "headers": {key: value for key, value in environ.items() if key.startswith("HTTP_")},
        "via": via,
        "socket_peer": list(environ["gunicorn.socket"].getpeername()),
        "protocol": environ["SERVER_PROTOCOL"],
        "body_length": len(body_bytes),
        "body_head": body_bytes[:64].decode("latin-1"),
        "body_sum": sum(body_bytes) % 1_000_003,
    }
    body = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                              ("X-Via", via)])
    return [body]
