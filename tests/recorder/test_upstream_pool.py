"""The proxy's upstream connections: requests go out as the client wrote them, connections are reused,
and a provider that hangs up early is noticed rather than recorded as a complete answer."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from urllib3.exceptions import ProtocolError

from mockserver.recorder import upstream
from mockserver.recorder.upstream import UpstreamPool

Handler = Callable[[socket.socket, bytes], bool]  # (connection, raw request head) -> keep the connection open


class RawServer:
    """A loopback HTTP/1.1 server that records each request's raw head and lets a test script its answers."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)  # released each time the server hung up on a connection
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        finally:
            conn.close()
            self.closed.release()

    def _converse(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            self.heads.append(head + b"\r\n\r\n")
            length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
            while length and len(buffer) < int(length[1]):
                buffer += conn.recv(65536)
            self.bodies.append(buffer[:int(length[1])] if length else b"")
            buffer = buffer[len(self.bodies[-1]):]
            if not self.handler(conn, head):
                return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(body: bytes, keep: bool = True) -> Handler:
    def handler(conn: socket.socket, head: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Two: a\r\nX-Two: b\r\n\r\n" % len(body) + body)
        return keep
    return handler


def read_all(response: upstream.UpstreamResponse) -> bytes:
    pieces = []
    while piece := response.read():
        pieces.append(piece)
    response.release()
    return b"".join(pieces)


def test_request_goes_out_as_the_client_wrote_it(raw_server):
    server = raw_server(answer(b"ok"))
    pool = UpstreamPool()
    response = pool.request("GET", server.url + "/v2/edit?imageUrl=https%3A%2F%2Fx.test%2Fa.png",
                            [("X-Api-Key", "k"), ("Accept", "image/png")])
    assert read_all(response) == b"ok"
    host = server.url.split("//", 1)[1]
    assert server.heads == [f"GET /v2/edit?imageUrl=https%3A%2F%2Fx.test%2Fa.png HTTP/1.1\r\nHost: {host}\r\n"
                            "X-Api-Key: k\r\nAccept: image/png\r\n\r\n".encode()]  # no Accept-Encoding added
    assert response.status == 200 and response.headers[-2:] == [("X-Two", "a"), ("X-Two", "b")]
    pool.close()


def test_body_without_a_declared_length_gets_one(raw_server):
    server = raw_server(answer(b""))
    pool = UpstreamPool()
    read_all(pool.request("POST", server.url + "/v1/segment", [("X-Api-Key", "k")], [b"abc", b"de"], length=5))
    read_all(pool.request("POST", server.url + "/v1/segment", [("X-Api-Key", "k")]))
    assert b"\r\nContent-Length: 5\r\n" in server.heads[0] and b"\r\nContent-Length: 0\r\n" in server.heads[1]
    assert server.bodies == [b"abcde", b""] and server.connections == 1
    pool.close()


def test_connections_are_reused_and_a_closed_one_replaced(raw_server):
    keeping = raw_server(answer(b"x" * 100_000))
    pool = UpstreamPool()
    for _ in range(3):
        assert read_all(pool.request("GET", keeping.url + "/a", [])) == b"x" * 100_000
    assert keeping.connections == 1

    closing = raw_server(answer(b"once", keep=False))  # hangs up after each answer, without saying so
    for _ in range(2):
        assert read_all(pool.request("GET", closing.url + "/a", [])) == b"once"
        assert closing.closed.acquire(timeout=10)
    assert closing.connections == 2
    pool.close()


def test_an_answer_cut_short_is_an_error_not_a_body(raw_server):
    def truncated(conn: socket.socket, head: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        return False

    server = raw_server(truncated)
    response = UpstreamPool().request("GET", server.url + "/a", [])
    with pytest.raises(ProtocolError):
        read_all(response)


def test_an_early_answer_is_read_when_the_provider_stops_reading_the_upload():
    """A provider may refuse an upload from its head and hang up: its answer is still the provider's."""
    server = socket.create_server(("127.0.0.1", 0))

    def refuse() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig")
        conn.close()

    threading.Thread(target=refuse, daemon=True).start()
    upload = (b"x" * 65536 for _ in range(400))  # 26 MB: far more than the socket buffers hold
    response = UpstreamPool().request("POST", f"http://127.0.0.1:{server.getsockname()[1]}/v1/segment", [],
                                      upload, length=400 * 65536)
    assert response.status == 413 and read_all(response) == b"big"
    server.close()
