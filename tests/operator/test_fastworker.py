"""The gunicorn worker behind ``segmock serve`` (:mod:`mockserver.fastworker`), run for real: gunicorn in a
subprocess serving ``fastworker_app``, spoken to over loopback sockets.

What a client relies on: keep-alive and pipelining work and frame every answer exactly; the fast path hands
the app the environ gunicorn's own parser would; bodies of every kind (small, large, chunked, after
``Expect: 100-continue``) arrive whole and leave the connection usable; unusual or malformed requests get
gunicorn's answers and never hang; more idle connections than threads are all served; a graceful stop
finishes the request in flight.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from fastworker_app import STREAM_PARTS
from gunicorn import SERVER

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
THREADS = 2
KEEPALIVE = 2  # seconds
TIMEOUT = 10.0  # any single wait on the server; a hang fails the test instead of stalling the run
FORCE_GUNICORN = ("Forwarded", "for=192.0.2.1")  # a header the fast path leaves to gunicorn's parser


# -- the server ---------------------------------------------------------------------------------------------


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @classmethod
    def start(cls, directory: Path, *, threads: int = THREADS, keepalive: int = KEEPALIVE,
              graceful_timeout: int = 30, extra: tuple[str, ...] = ()) -> Served:
        log_path = directory / "gunicorn.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "fastworker_app:app",
                 "--worker-class", "mockserver.fastworker.FastWorker", "--workers", "1",
                 "--threads", str(threads), "--keep-alive", str(keepalive), "--bind", "127.0.0.1:0",
                 "--graceful-timeout", str(graceful_timeout), "--timeout", "60", "--no-control-socket",
                 "--pythonpath", str(HERE), "--chdir", str(ROOT), *extra],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_path.read_text("latin-1"))
            if found:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("gunicorn did not start:\n" + log_path.read_text("latin-1"))
            time.sleep(0.02)
        served = cls(proc, int(found.group(1)), log_path)
        try:
            with served.wire() as wire:  # the worker has booted and answers
                assert wire.ask(request(headers=[("Connection", "close")])).status == 200, served.log()
        except BaseException:
            proc.kill()  # never leave a server behind when the fixture fails
            proc.wait()
            raise
        return served

    def wire(self) -> Wire:
        return Wire(self.port)

    def log(self) -> str:
        return self.log_path.read_text("latin-1")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served.start(tmp_path_factory.mktemp("fastworker"))
    yield served
    assert served.stop() == 0, served.log()
    # A request must never cost the worker: one boot for the whole module.
    assert served.log().count("Booting worker") == 1, served.log()


# -- a raw HTTP/1.1 client ----------------------------------------------------------------------------------


def request(method: str = "GET", target: str = "/echo", headers: list[tuple[str, str]] | None = None,
            body: bytes = b"", version: str = "HTTP/1.1") -> bytes:
    """The bytes of one request (Host first; Content-Length added for a body unless the headers frame it)."""
    headers = list(headers or [])
    lines = [f"{method} {target} {version}", "Host: fastworker.test"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body and not any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Reply:
    version: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    chunked: bool = False
    raw: bytes = b""  # everything read for this answer, as it came

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Wire:
    """One client connection; answers are read exactly as their head frames them, never more."""

    port: int
    sock: socket.socket = field(init=False)
    buf: bytes = b""
    raw: bytes = b""

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"the server closed the connection; unparsed: {self.buf[:300]!r}")
        self.buf += chunk

    def _until(self, marker: bytes) -> bytes:
        while (end := self.buf.find(marker)) < 0:
            self._more()
        return self._take(end + len(marker))[: -len(marker)]

    def _take(self, size: int) -> bytes:
        while len(self.buf) < size:
            self._more()
        data, self.buf = self.buf[:size], self.buf[size:]
        self.raw += data
        return data

    def head(self) -> Reply:
        self.raw = b""
        lines = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, status, _ = (lines[0].split(" ", 2) + [""])[:3]
        assert re.fullmatch(r"HTTP/1\.[01]", version), lines[0]
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            assert colon and name == name.strip(), f"malformed response header line {line!r}"
            headers.append((name, value.strip(" \t")))
        return Reply(version, int(status), headers)

    def chunk(self) -> bytes:
        """The next chunk of a chunked body (b"" for the last one, trailers skipped)."""
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            while self._until(b"\r\n"):
                pass
            return b""
        data = self._take(size)
        assert self._take(2) == b"\r\n", "a chunk must end with CRLF"
        return data

    def reply(self, *, to_head: bool = False) -> Reply:
        """The next answer; ``to_head`` for an answer to HEAD (no body whatever its head says)."""
        reply = self.head()
        encoding = reply.header("Transfer-Encoding")
        length = reply.header("Content-Length")
        if to_head or reply.status in (204, 304) or 100 <= reply.status < 200:
            pass
        elif encoding is not None:
            assert encoding.lower() == "chunked" and length is None, reply.headers
            reply.chunked = True
            parts = []
            while part := self.chunk():
                parts.append(part)
            reply.body = b"".join(parts)
        elif length is not None:
            reply.body = self._take(int(length))
        else:  # read until the server closes
            reply.body = self.buf + self.rest()
            self.raw += reply.body
            self.buf = b""
        reply.raw = self.raw
        return reply

    def rest(self) -> bytes:
        """Whatever still comes until the server closes the connection (a hang fails on the timeout)."""
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk

    def closed(self) -> bool:
        """The server closed the connection, sending nothing more."""
        extra = self.buf + self.rest()
        assert extra == b"", f"unexpected bytes after the answer: {extra[:300]!r}"
        return True

    def ask(self, data: bytes, **kwargs: Any) -> Reply:
        self.send(data)
        return self.reply(**kwargs)


def body_sum(data: bytes) -> int:
    return sum(data) % 1_000_003


# -- 1. keep-alive ------------------------------------------------------------------------------------------


def test_keep_alive_answers_many_requests_on_one_connection_each_framed_exactly(server: Served) -> None:
    with server.wire() as wire:
        for i in range(40):
            reply = wire.ask(request(target=f"/echo?i={i}"))
            assert reply.status == 200
            assert reply.header("Connection") == "keep-alive"
            assert reply.header("Server") == SERVER
            sent = email.utils.parsedate_to_datetime(reply.header("Date") or "")
            assert sent.tzinfo is not None and abs((datetime.now(timezone.utc) - sent).total_seconds()) < 3600
            assert reply.header("Transfer-Encoding") is None
            assert int(reply.header("Content-Length") or -1) == len(reply.body)
            echo = reply.json()
            assert echo["environ"]["QUERY_STRING"] == f"i={i}"
            assert echo["environ"]["REMOTE_PORT"] == str(wire.local_port)  # the same connection, server side too
            assert wire.buf == b""  # nothing beyond the Content-Length arrived
        last = wire.ask(request(target="/echo?last", headers=[("Connection", "close")]))
        assert last.status == 200 and last.header("Connection") == "close"
        assert last.json()["environ"]["QUERY_STRING"] == "last"
        assert wire.closed()


def test_a_standard_client_keeps_its_one_connection(server: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.connect()
        sock = conn.sock
        for i in range(20):
            conn.request("POST", f"/echo?i={i}", body=b"n=%d" % i, headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            echo = json.loads(response.read())
            assert response.status == 200 and not response.will_close
            assert echo["body_head"] == f"n={i}" and echo["environ"]["CONTENT_TYPE"] == "text/plain"
            assert conn.sock is sock
    finally:
        conn.close()


# -- 2. pipelining ------------------------------------------------------------------------------------------


def test_two_pipelined_requests_get_two_answers_in_order(server: Served) -> None:
    with server.wire() as wire:
        wire.send(request(target="/echo?n=1") + request(target="/echo?n=2"))
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "n=1"
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "n=2"
        assert wire.buf == b""


def test_pipelined_requests_crossing_both_parsers_are_answered_in_order(server: Served) -> None:
    requests = [
        request(target="/echo?n=1"),
        request("POST", "/echo?n=2", headers=[FORCE_GUNICORN], body=b"second body"),
        request("POST", "/echo?n=3", body=b"third body"),
        request("POST", "/unread?n=4", body=b"x" * 1000),
        request("GET", "/echo?n=5", version="HTTP/1.0", headers=[("Connection", "keep-alive")]),
        request("POST", "/echo?n=6", headers=[("Transfer-Encoding", "chunked")], body=b"4\r\nsixt\r\n0\r\n\r\n"),
        request(target="/echo?n=7"),
    ]
    with server.wire() as wire:
        wire.send(b"".join(requests))
        echoes = [wire.reply() for _ in requests]
    assert [reply.status for reply in echoes] == [200] * 7
    assert echoes[3].body == b"unread"
    echoed = [reply.json() for n, reply in enumerate(echoes) if n != 3]
    assert [echo["environ"]["QUERY_STRING"] for echo in echoed] == ["n=1", "n=2", "n=3", "n=5", "n=6", "n=7"]
    assert [echo["via"] for echo in echoed] == ["fast", "gunicorn", "fast", "gunicorn", "gunicorn", "fast"]
    assert [echo["body_head"] for echo in echoed] == ["", "second body", "third body", "", "sixt", ""]


# -- 3. environ parity --------------------------------------------------------------------------------------

PARITY_CASES = {
    "percent-decoded path, raw query, repeated headers": (
        "GET", "/a%20b/caf%C3%A9?x=1&y=%20z&x=2",
        [("X-Multi", "one"), ("x-multi", "two"), ("X-MULTI", " three\t"), ("Accept", "*/*")], b""),
    "body with a content type": (
        "POST", "/submit/%2Fslash%3F", [("Content-Type", "application/json; charset=utf-8")], b'{"a": 1}'),
    "double slash, question marks in the query, odd values": (
        "PUT", "//double//slash?q=a?b=c&", [("X-Empty", ""), ("X-Latin", "caf\xe9"), ("X-Tab", "a\tb")], b""),
    "empty body with a length": ("DELETE", "/thing/1", [("Content-Length", "0"), ("Content-Type", "x/y")], b""),
}


@pytest.mark.parametrize("case", PARITY_CASES, ids=list(PARITY_CASES))
def test_the_fast_path_hands_the_app_the_environ_gunicorns_parser_does(server: Served, case: str) -> None:
    method, target, headers, body = PARITY_CASES[case]
    with server.wire() as wire:
        fast = wire.ask(request(method, target, headers, body)).json()
        slow = wire.ask(request(method, target, [*headers, FORCE_GUNICORN], body)).json()
        old = wire.ask(request(method, target, [*headers, ("Connection", "keep-alive")], body,
                               version="HTTP/1.0")).json()
        peer = [*wire.sock.getsockname()]
    assert (fast["via"], slow["via"], old["via"]) == ("fast", "gunicorn", "gunicorn")
    assert fast["environ"] == slow["environ"] == old["environ"]
    assert fast["headers"] == {k: v for k, v in slow["headers"].items() if k != "HTTP_FORWARDED"}
    assert fast["headers"] == {k: v for k, v in old["headers"].items() if k != "HTTP_CONNECTION"}
    for key in ("body_length", "body_head", "body_sum", "socket_peer"):
        assert fast[key] == slow[key] == old[key], key
    assert fast["socket_peer"] == peer  # gunicorn.socket is this connection's socket
    assert fast["protocol"] == slow["protocol"] == "HTTP/1.1" and old["protocol"] == "HTTP/1.0"


def test_the_environ_carries_what_the_wire_said(server: Served) -> None:
    method, target, headers, _ = PARITY_CASES["percent-decoded path, raw query, repeated headers"]
    with server.wire() as wire:
        echo = wire.ask(request("POST", target, [*headers, ("Content-Type", "text/plain")], b"hello")).json()
        port = wire.local_port
    env = echo["environ"]
    assert echo["via"] == "fast"
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/a b/caf\xc3\xa9"  # percent-decoded, bytes as latin-1 (PEP 3333)
    assert env["RAW_URI"] == target
    assert env["QUERY_STRING"] == "x=1&y=%20z&x=2"  # raw
    assert echo["headers"]["HTTP_X_MULTI"] == "one,two,three"
    assert echo["headers"]["HTTP_HOST"] == "fastworker.test"
    assert env["CONTENT_TYPE"] == "text/plain" and env["CONTENT_LENGTH"] == "5"
    assert "HTTP_CONTENT_TYPE" not in echo["headers"] and "HTTP_CONTENT_LENGTH" not in echo["headers"]
    assert env["REMOTE_ADDR"] == "127.0.0.1" and env["REMOTE_PORT"] == str(port)
    assert env["SERVER_NAME"] == "127.0.0.1" and env["SERVER_PORT"] == str(server.port)
    assert env["wsgi.url_scheme"] == "http" and env["SCRIPT_NAME"] == ""
    assert echo["body_head"] == "hello"


# -- 4. request bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "via"), [(5_120, "fast"), (64 * 1024, "fast"), (200_800, "gunicorn")],
                         ids=["small", "fast-path limit", "200 KB"])
def test_a_body_arrives_whole_and_the_request_pipelined_behind_it_still_works(server: Served, size: int,
                                                                               via: str) -> None:
    body = (bytes(range(251)) * (size // 251 + 1))[:size]  # not a multiple of any buffer size
    with server.wire() as wire:
        wire.send(request("POST", "/echo", body=body) + request(target="/echo?after"))
        echo = wire.reply().json()
        # a body over 64 KB is streamed by gunicorn's reader, never buffered by the fast path
        assert (echo["via"], echo["body_length"], echo["body_sum"]) == (via, size, body_sum(body))
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "after"


def test_a_large_body_the_app_leaves_unread_is_not_taken_for_the_next_request(server: Served) -> None:
    body = b"GET /not-a-request HTTP/1.1\r\n\r\n" * 7000
    with server.wire() as wire:
        wire.send(request("POST", "/unread", body=body) + request(target="/echo?after"))
        assert wire.reply().body == b"unread"
        assert wire.reply().json()["environ"]["PATH_INFO"] == "/echo"
        wire.send(request(target="/echo?again"))
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "again"


def test_a_chunked_upload_arrives_whole_and_the_next_request_still_works(server: Served) -> None:
    chunks = [b"hello ", b"chunked " * 1000, b"world"]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\nX-Trailer: yes\r\n\r\n"
    body = b"".join(chunks)
    with server.wire() as wire:
        wire.send(request("POST", "/echo", [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")],
                          encoded) + request(target="/echo?after"))
        echo = wire.reply().json()
        assert (echo["body_length"], echo["body_sum"]) == (len(body), body_sum(body))
        assert "CONTENT_LENGTH" not in echo["environ"] and echo["environ"]["CONTENT_TYPE"] == "text/plain"
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "after"


@pytest.mark.parametrize("size", [10, 100_000])
def test_expect_100_continue_is_answered_before_the_body_is_sent(server: Served, size: int) -> None:
    body = b"e" * size
    with server.wire() as wire:
        wire.send(request("POST", "/echo", [("Expect", "100-continue"), ("Content-Length", str(size))]))
        interim = wire.head()  # the client waits for this before it sends a byte of the body
        assert interim.status == 100 and interim.headers == []
        wire.send(body)
        echo = wire.reply().json()
        assert (echo["body_length"], echo["body_sum"]) == (size, body_sum(body))
        assert echo["headers"]["HTTP_EXPECT"] == "100-continue"
        assert wire.ask(request(target="/echo?after")).json()["environ"]["QUERY_STRING"] == "after"


def test_a_body_sent_by_httpx_in_pieces_arrives_whole(server: Served) -> None:
    pieces = [b"a" * 30_000, b"b" * 50_000, b"c" * 10]
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=TIMEOUT) as client:
        echo = client.post("/echo", content=iter(pieces)).json()  # a generator: httpx sends it chunked
        assert echo["body_length"] == 80_010 and echo["body_sum"] == body_sum(b"".join(pieces))
        assert client.post("/echo", content=b"x" * 70_000).json()["body_length"] == 70_000
        assert client.get("/echo?after").json()["environ"]["QUERY_STRING"] == "after"


# -- 5. response framing ------------------------------------------------------------------------------------


def test_a_body_without_length_is_sent_chunked_and_decodes_whole(server: Served) -> None:
    with server.wire() as wire:
        wire.send(request(target="/stream") + request(target="/echo?after"))
        reply = wire.reply()
        assert reply.chunked and reply.header("Content-Length") is None
        assert reply.header("Connection") == "keep-alive"
        assert reply.body == b"".join(STREAM_PARTS)
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "after"
    response = httpx.get(f"http://127.0.0.1:{server.port}/stream", timeout=TIMEOUT)
    assert response.content == b"".join(STREAM_PARTS)


# 204: no Content-Length even though the app set one (RFC 9110 8.6); 304: the unconditional answer's length
@pytest.mark.parametrize(("target", "status", "length"), [("/empty", 204, None), ("/not-modified", 304, "12")],
                         ids=["204", "304"])
@pytest.mark.parametrize("forced", [[], [FORCE_GUNICORN]], ids=["fast", "gunicorn"])
def test_204_and_304_have_no_body_and_keep_the_connection(server: Served, target: str, status: int,
                                                          length: str | None, forced: list[Any]) -> None:
    with server.wire() as wire:
        wire.send(request(target=target, headers=forced) + request(target="/echo?after"))
        reply = wire.reply()
        assert reply.status == status and reply.header("X-Route") == target
        assert reply.header("Content-Length") == length and reply.header("Transfer-Encoding") is None
        assert reply.header("Connection") == "keep-alive"
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "after"  # no stray body bytes before it


def test_connection_close_from_the_app_closes_after_the_answer(server: Served) -> None:
    with server.wire() as wire:
        wire.send(request(target="/close") + request(target="/echo?never"))
        reply = wire.reply()
        assert (reply.status, reply.body, reply.header("Connection")) == (200, b"bye", "close")
        assert wire.closed()


def test_connection_close_from_the_client_closes_after_the_answer(server: Served) -> None:
    for forced in ([], [FORCE_GUNICORN]):
        with server.wire() as wire:
            wire.send(request(target="/echo?x", headers=[("Connection", "close"), *forced]))
            reply = wire.reply()
            assert reply.status == 200 and reply.header("Connection") == "close"
            assert reply.json()["environ"]["QUERY_STRING"] == "x"
            assert wire.closed()


def test_keep_alive_0_answers_one_request_per_connection_on_both_paths(tmp_path: Path) -> None:
    served = Served.start(tmp_path, keepalive=0)
    try:
        for forced in ([], [FORCE_GUNICORN]):
            with served.wire() as wire:
                wire.send(request(target="/echo?once", headers=forced))
                reply = wire.reply()
                assert reply.status == 200 and reply.header("Connection") == "close"
                assert wire.closed()
    finally:
        assert served.stop() == 0, served.log()


def test_with_gunicorns_access_log_every_request_takes_gunicorns_path_and_is_logged(tmp_path: Path) -> None:
    served = Served.start(tmp_path, extra=("--access-logfile", "-"))
    try:
        with served.wire() as wire:
            echo = wire.ask(request(target="/echo?logged-request")).json()
        assert echo["via"] == "gunicorn"
    finally:
        assert served.stop() == 0, served.log()
    assert '"GET /echo?logged-request HTTP/1.1" 200' in served.log()


# -- 6. malformed input, app errors -------------------------------------------------------------------------

MALFORMED = {
    "no version": (b"GET /echo\r\nHost: x\r\n\r\n", 400),
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "lower-case method": (b"get /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "two-letter method": (b"GE /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "unknown version": (b"GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 400),
    "space in the target": (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bare LF": (b"GET /echo HTTP/1.1\nHost: x\n\n\r\n\r\n", 400),
    "space before the colon": (b"GET /echo HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "header without a colon": (b"GET /echo HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    "folded header": (b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
    "control character in a value": (b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    "two Host headers": (b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "two Content-Type headers": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 2\r\n\r\nhi",
        400),
    "two Content-Length headers": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", 400),
    "non-numeric Content-Length": (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\nhi", 400),
    "chunked and a length": (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                             b"Content-Length: 7\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 400),
    "bad chunk size": (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nhi\r\n0\r\n\r\n", 400),
    "unknown transfer coding": (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n", 501),
    "unknown expectation": (b"GET /echo HTTP/1.1\r\nHost: x\r\nExpect: miracles\r\n\r\n", 417),
    "request line over the limit": (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    # one byte more than the fast path reads before it gives a head up to gunicorn, and no end in sight
    "request line over the limit, still coming": (b"GET /" + b"a" * (64 * 1024 - 4), 414),
    "header line over the limit": (b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Long: " + b"v" * 8181 + b"\r\n\r\n", 431),
    "too many headers": (b"GET /echo HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 101 + b"\r\n", 431),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_requests_get_gunicorns_error_and_the_connection_closes(server: Served, case: str) -> None:
    data, status = MALFORMED[case]
    with server.wire() as wire:
        wire.send(data)
        reply = wire.reply()
        assert reply.status == status, reply.raw[:300]
        assert reply.header("Connection") == "close"
        assert wire.closed()


def test_a_header_line_just_within_the_limit_is_served(server: Served) -> None:
    # gunicorn counts the line's CRLF: 8 + 8180 + 2 == 8190, the default limit_request_field_size
    with server.wire() as wire:
        reply = wire.ask(request(headers=[("X-Long", "v" * 8180)]))
        assert reply.status == 200 and reply.json()["headers"]["HTTP_X_LONG"] == "v" * 8180


def test_a_header_name_with_an_underscore_is_dropped_as_gunicorn_drops_it(server: Served) -> None:
    # header_map="drop": X_Forwarded_For must not pass for (or merge into) X-Forwarded-For
    with server.wire() as wire:
        echo = wire.ask(request(headers=[("X-Forwarded-For", "10.0.0.1"), ("X_Forwarded_For", "1.2.3.4")])).json()
    assert echo["via"] == "gunicorn"
    assert echo["headers"]["HTTP_X_FORWARDED_FOR"] == "10.0.0.1"


@pytest.mark.parametrize("forced", [[], [FORCE_GUNICORN]], ids=["fast", "gunicorn"])
def test_an_app_exception_is_a_500(server: Served, forced: list[tuple[str, str]]) -> None:
    with server.wire() as wire:
        reply = wire.ask(request(target="/boom", headers=forced))
        assert reply.status == 500 and reply.header("Connection") == "close"
        assert b"the app failed" not in reply.raw
        assert wire.closed()


@pytest.mark.parametrize("forced", [[], [FORCE_GUNICORN]], ids=["fast", "gunicorn"])
def test_an_invalid_response_header_from_the_app_is_a_500_and_never_sent(server: Served,
                                                                         forced: list[tuple[str, str]]) -> None:
    with server.wire() as wire:
        reply = wire.ask(request(target="/bad-header", headers=forced))
        assert reply.status == 500 and reply.header("Connection") == "close"
        assert b"Bad Name" not in reply.raw and reply.body != b"no"
        assert wire.closed()


def test_a_body_that_fails_half_way_is_cut_off_never_followed_by_an_error_page(server: Served) -> None:
    with server.wire() as wire:  # fast path, chunked: the client sees the body end without its last chunk
        wire.send(request(target="/stream-fail"))
        head = wire.head()
        assert head.status == 200 and head.header("Transfer-Encoding") == "chunked"
        assert wire.chunk() == b"partial body"
        rest = wire.buf + wire.rest()
        assert rest == b"", rest[:300]
    with server.wire() as wire:  # gunicorn's path, HTTP/1.0: the body is read until the connection closes
        reply = wire.ask(request(target="/stream-fail", version="HTTP/1.0"))
        assert reply.status == 200 and reply.header("Content-Length") is None
        assert reply.body == b"partial body"


def test_a_body_shorter_than_its_length_ends_with_the_connection(server: Served) -> None:
    with server.wire() as wire:  # the client is not left waiting for the six bytes that never come
        wire.send(request(target="/short"))
        head = wire.head()
        assert head.status == 200 and head.header("Content-Length") == "10"
        assert wire.buf + wire.rest() == b"four"


@pytest.mark.parametrize("forced", [[], [FORCE_GUNICORN]], ids=["fast", "gunicorn"])
def test_a_body_longer_than_its_length_is_cut_to_it(server: Served, forced: list[Any]) -> None:
    with server.wire() as wire:
        wire.send(request(target="/long", headers=forced) + request(target="/echo?after"))
        assert wire.reply().body == b"four"
        assert wire.reply().json()["environ"]["QUERY_STRING"] == "after"


def test_clients_that_leave_mid_request_cost_nothing(server: Served) -> None:
    for partial in (b"GET /echo HTT", b"GET /echo HTTP/1.1\r\nHost: x\r\n",
                    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly some",
                    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"):
        with server.wire() as wire:
            wire.send(partial)
            wire.sock.shutdown(socket.SHUT_WR)
            assert wire.rest() == b""  # no answer to half a request, and the connection is closed
    with server.wire() as wire:
        assert wire.ask(request()).status == 200


# -- 7. more idle connections than threads ------------------------------------------------------------------


def test_more_idle_keep_alive_connections_than_threads_are_all_served(server: Served) -> None:
    wires = [server.wire() for _ in range(3 * THREADS)]
    try:
        for round_ in range(2):
            for n, wire in enumerate(wires):
                echo = wire.ask(request(target=f"/echo?round={round_}&n={n}")).json()
                assert echo["environ"]["QUERY_STRING"] == f"round={round_}&n={n}"
                assert echo["environ"]["REMOTE_PORT"] == str(wire.local_port)
            time.sleep(0.2)  # let every connection go quiet (back to the poller); not a timing assertion
        for n, wire in enumerate(wires):  # all at once this time
            wire.send(request(target=f"/echo?together={n}"))
        for n, wire in enumerate(wires):
            assert wire.reply().json()["environ"]["QUERY_STRING"] == f"together={n}"
    finally:
        for wire in wires:
            wire.sock.close()


def test_requests_that_overlap_more_than_the_threads_all_complete(server: Served) -> None:
    wires = [server.wire() for _ in range(3 * THREADS)]
    try:
        for wire in wires:
            wire.send(request(target="/sleep?s=0.2"))
        assert [wire.reply().body for wire in wires] == [b"slept"] * len(wires)
    finally:
        for wire in wires:
            wire.sock.close()


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(server: Served) -> None:
    with server.wire() as wire:
        assert wire.ask(request()).header("Connection") == "keep-alive"
        wire.sock.settimeout(KEEPALIVE + TIMEOUT)
        assert wire.closed()


# -- 8. graceful stop ---------------------------------------------------------------------------------------


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(tmp_path: Path) -> None:
    served = Served.start(tmp_path, graceful_timeout=60)
    try:
        with served.wire() as busy, served.wire() as idle:
            assert idle.ask(request()).status == 200
            busy.send(request(target="/slow-stream?s=0.5"))
            head = busy.head()
            assert head.status == 200 and busy.chunk() == b"started;"  # the request is in flight
            served.proc.send_signal(signal.SIGTERM)
            assert busy.chunk() == b"finished" and busy.chunk() == b""
            assert busy.closed()  # no further requests once stopping
            assert idle.closed()  # a quiet connection does not hold the stop up
            assert served.proc.wait(timeout=TIMEOUT) == 0  # well within the 60 s graceful timeout
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", served.port), timeout=TIMEOUT).close()
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait()


# -- 9. HEAD ------------------------------------------------------------------------------------------------


def test_head_goes_through_gunicorn_and_has_no_body(server: Served) -> None:
    with server.wire() as wire:
        wire.send(request("HEAD", "/echo?h") + request("HEAD", "/stream") + request(target="/echo?after"))
        head = wire.reply(to_head=True)
        assert head.status == 200 and int(head.header("Content-Length") or 0) > 0
        assert head.header("X-Via") == "gunicorn"
        assert head.header("Connection") == "keep-alive"
        streamed = wire.reply(to_head=True)
        assert streamed.status == 200 and streamed.header("Transfer-Encoding") is None
        after = wire.reply().json()  # the next answer starts right after the heads: no body bytes came
        assert after["environ"]["QUERY_STRING"] == "after"
    response = httpx.head(f"http://127.0.0.1:{server.port}/echo", timeout=TIMEOUT)
    assert response.status_code == 200 and response.content == b""
