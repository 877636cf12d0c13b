"""The gunicorn worker behind ``segmock serve``: plain HTTP/1.1 requests skip gunicorn's parser.

Why: a mock must never be the slow part of a test run, and for a JSON poll gunicorn's own work (its
pure-Python parser, its environ and response objects, and handing every keep-alive connection from the
polling thread to a request thread and back) cost about as much as the whole mock. This worker keeps
gunicorn's arbiter (workers, signals, heartbeats, graceful stop) and its parser for everything unusual, and
serves the common request itself:

* a thread keeps its connection while the client keeps sending (a test polling the mock), and hands it to
  the poller once the connection has been quiet for :data:`LINGER` seconds, or at once when other
  connections wait for a thread;
* a request whose head is plain HTTP/1.1 (no chunked or large body, no ``Expect``, no upgrade, no proxy
  headers, within gunicorn's size limits) is parsed here in one pass; anything else goes, bytes and all, to
  gunicorn's parser and response, so what gunicorn refuses is still refused the same way;
* the response head and the first body bytes leave in one write.

The environ carries ``gunicorn.socket`` as gunicorn's does, for the transport faults, and
:data:`AFTER_RESPONSE`: work the app appends there (the journal's INSERT, the log line) runs once the answer
has left, while the client reads it, and before the thread serves anything else.
"""

from __future__ import annotations

import errno
import io
import os
import re
import select
import selectors
import socket
import struct
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from queue import Empty, SimpleQueue
from typing import Any
from urllib.parse import unquote_to_bytes

from gunicorn import SERVER, SERVER_SOFTWARE, http, util
from gunicorn.http import wsgi
from gunicorn.http.message import TOKEN_RE
from gunicorn.http.wsgi import HEADER_VALUE_RE, STATUS_RE
from gunicorn.workers import base

from .environ_keys import AFTER_RESPONSE
from .warmpool import WarmPool

LINGER = 0.005  # a quiet keep-alive connection goes back to the poller after this long (seconds)
IO_TIMEOUT = 60  # a client that stops mid-request or stops reading the answer is dropped (seconds)
FAST_BODY = 64 * 1024  # larger bodies are streamed by gunicorn's reader, never buffered here
HEAD_LIMIT = 64 * 1024  # a longer head is gunicorn's to refuse

# A method of 3 to 20 capitals (gunicorn refuses shorter ones), an origin-form target, plain header lines.
_HEAD = re.compile(
    r"([A-Z]{3,20}) (/[!-\"$-~]*) HTTP/1\.1((?:\r\n[!#$%&'*+\-.^`|~0-9A-Za-z]+:[ \t\x21-\x7e\x80-\xff]*)*)")
_SLOW_HEADERS = frozenset({"TRANSFER-ENCODING", "EXPECT", "UPGRADE", "HTTP2-SETTINGS", "FORWARDED"})
_HOP_BY_HOP = frozenset(util.hop_headers)
_QUIET_ERRNOS = frozenset({errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EAGAIN, errno.EBADF})


class _Slow(Exception):
    """The request is not plain: gunicorn's parser takes it."""


class Connection:
    """One client connection and the bytes read from it but not yet parsed."""

    __slots__ = ("sock", "peer", "server", "buffer", "deadline", "waiter")

    def __init__(self, sock: socket.socket, peer: Any, server: Any) -> None:
        self.sock = sock
        self.peer = peer
        self.server = server
        self.buffer = b""
        self.deadline = 0.0
        self.waiter = select.poll()
        self.waiter.register(sock, select.POLLIN)

    def readable(self, timeout: float) -> bool:
        return bool(self.buffer) or bool(self.waiter.poll(timeout * 1000))

    def close(self) -> None:
        util.close(self.sock)


class _Reply:
    """start_response and the writes of one fast-path answer, with gunicorn's rules for heads and framing."""

    __slots__ = ("sock", "close", "date", "status", "code", "headers", "length", "sent", "head", "chunked",
                 "bodyless")

    def __init__(self, sock: socket.socket, close: bool, date: str) -> None:
        self.sock = sock
        self.close = close
        self.date = date
        self.status: str | None = None
        self.code = 0
        self.headers: list[str] = []
        self.length: int | None = None
        self.sent = 0
        self.head: bytes | None = None
        self.chunked = False
        self.bodyless = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        if exc_info:
            try:
                if self.head is not None:  # too late for another status: the head is on the wire
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("Response headers already set!")
        if not (isinstance(status, str) and STATUS_RE.fullmatch(status)):
            raise ValueError(f"Invalid status {status!r}")
        self.status, self.code = status, int(status[:3])
        self.headers, self.length = [], None
        for name, value in headers:
            if not (isinstance(name, str) and TOKEN_RE.fullmatch(name)):
                raise ValueError(f"invalid header name {name!r}")
            if not (isinstance(value, str) and HEADER_VALUE_RE.fullmatch(value)):
                raise ValueError(f"header {name!r} has an invalid value")
            value = value.strip(" \t")
            lowered = name.lower()
            if lowered == "content-length":
                self.length = int(value)
            elif lowered in _HOP_BY_HOP:
                if lowered == "connection" and "close" in value.lower():
                    self.close = True
                continue
            self.headers.append(f"{name}: {value}\r\n")
        self.bodyless = self.code in (204, 304) or 100 <= self.code < 200
        if self.code == 204 or 100 <= self.code < 200:
            # RFC 9110 8.6: no Content-Length on these, even one the app set (gunicorn drops it too)
            self.length = None
            self.headers = [line for line in self.headers if not line.lower().startswith("content-length:")]
        self.chunked = self.length is None and not self.bodyless
        return self.write

    def _head(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status}\r\nServer: {SERVER}\r\nDate: {self.date}\r\n"
                 f"Connection: {'close' if self.close else 'keep-alive'}\r\n"]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked\r\n")
        lines.extend(self.headers)
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"{data!r} is not a byte")
        if self.status is None:
            raise AssertionError("write() before start_response()")
        if self.bodyless:
            data = b""
        elif self.length is not None:
            data = data[: max(self.length - self.sent, 0)]
        self.sent += len(data)
        if self.chunked and data:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        if self.head is None:
            self.head = b""
            self.sock.sendall(self._head() + data)
        elif data:
            self.sock.sendall(data)

    def finish(self) -> None:
        if self.head is None:
            self.write(b"")
        if self.chunked:
            self.sock.sendall(b"0\r\n\r\n")
        if self.length is not None and self.sent < self.length and not self.bodyless:
            # the body fell short of its Content-Length: the connection cannot be reused (a 304's
            # Content-Length is the unconditional answer's, with no body behind it: not short)
            self.close = True


class FastWorker(base.Worker):  # type: ignore[misc]
    """gunicorn worker: an accept loop on the main thread, connections served on a :class:`WarmPool`."""

    def init_process(self) -> None:
        self.pool = WarmPool(self.cfg.threads)
        self.poller = selectors.DefaultSelector()
        self.returned: SimpleQueue[Connection | None] = SimpleQueue()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.quiet: dict[Connection, None] = {}  # kept-alive connections in the poller, oldest first
        self.open = 0
        self.accepting = False
        self.fast = not (self.cfg.accesslog or self.cfg.is_ssl or os.environ.get("SCRIPT_NAME")
                         or getattr(self.cfg, "proxy_protocol", False) not in (False, "off"))
        self.scheme_headers = frozenset(name.upper() for name in self.cfg.secure_scheme_headers)
        self.limits = (self.cfg.limit_request_line or HEAD_LIMIT, self.cfg.limit_request_fields,
                       self.cfg.limit_request_field_size or HEAD_LIMIT)
        self.base_environ = {**wsgi.base_environ(self.cfg), "wsgi.multithread": True, "wsgi.url_scheme": "http",
                             "SCRIPT_NAME": "", "SERVER_SOFTWARE": SERVER_SOFTWARE}
        del self.base_environ["wsgi.file_wrapper"]  # werkzeug's own wrapper then, which plain writes serve
        self.date = (0, "")
        super().init_process()

    # -- main thread -------------------------------------------------------------------------------------

    def run(self) -> None:
        self.poller.register(self.wake_r, selectors.EVENT_READ, self._take_back)
        self._accepting(True)
        while self.alive:
            self.notify()
            self._accepting(self.open < self.cfg.worker_connections)
            self._dispatch(1.0)
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            self._expire(time.monotonic())
        self._stop()

    def _stop(self) -> None:
        """Stop accepting, close quiet connections, give busy ones ``graceful_timeout`` to finish."""
        self.alive = False
        self._accepting(False)
        self._expire(float("inf"))
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while self.open > 0 and time.monotonic() < deadline:
            self.notify()
            self._dispatch(0.1)
            self._expire(float("inf"))
        self.pool.shutdown(wait=False)
        self.poller.close()
        os.close(self.wake_r)
        for listener in self.sockets:
            listener.close()

    def _dispatch(self, timeout: float) -> None:
        try:
            events = self.poller.select(timeout)
        except InterruptedError:
            return
        for key, _ in events:
            key.data(key.fileobj)

    def _accepting(self, enabled: bool) -> None:
        if enabled == self.accepting:
            return
        for listener in self.sockets:
            if enabled:
                listener.setblocking(False)
                self.poller.register(listener, selectors.EVENT_READ, self._accept)
            else:
                self.poller.unregister(listener)
        self.accepting = enabled

    def _accept(self, listener: Any) -> None:
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        sock.setblocking(True)
        timeout = struct.pack("ll", IO_TIMEOUT, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeout)
        self.open += 1
        self.pool.submit(self._serve, Connection(sock, peer, listener.getsockname()))

    def _take_back(self, _pipe: Any) -> None:
        """Connections the request threads handed back: closed ones are counted, quiet ones polled."""
        try:
            os.read(self.wake_r, 4096)
        except BlockingIOError:
            pass
        while True:
            try:
                conn = self.returned.get_nowait()
            except Empty:
                return
            if conn is None:
                self.open -= 1
            elif not self.alive:
                self.open -= 1
                conn.close()
            else:
                conn.deadline = time.monotonic() + self.cfg.keepalive
                self.quiet[conn] = None
                self.poller.register(conn.sock, selectors.EVENT_READ, lambda _sock, conn=conn: self._wake(conn))

    def _wake(self, conn: Connection) -> None:
        self.poller.unregister(conn.sock)
        del self.quiet[conn]
        self.pool.submit(self._serve, conn)

    def _expire(self, now: float) -> None:
        while self.quiet:
            conn = next(iter(self.quiet))
            if conn.deadline > now:
                return
            del self.quiet[conn]
            self.poller.unregister(conn.sock)
            conn.close()
            self.open -= 1

    def _hand_back(self, conn: Connection | None) -> None:
        """Give the main thread a quiet connection to poll, or (None) news of one closed."""
        self.returned.put(conn)
        self._wake_main()

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self._wake_main()

    def _wake_main(self) -> None:
        try:
            os.write(self.wake_w, b"\0")
        except OSError:
            pass  # the pipe is full of wake-ups already

    # -- request threads ---------------------------------------------------------------------------------

    def _serve(self, conn: Connection) -> None:
        """Answer requests on ``conn`` while they keep coming, then hand it back (or close it)."""
        keep = False
        try:
            keep = self._requests(conn)
        except OSError as exc:
            if exc.errno not in _QUIET_ERRNOS:
                self.log.exception("Socket error processing request.")
        except Exception:  # a server bug must cost one connection, never the worker
            self.log.exception("Error handling request")
        if keep and self.alive:
            self._hand_back(conn)
        else:
            conn.close()
            self._hand_back(None)

    def _requests(self, conn: Connection) -> bool:
        while self.alive:
            if self.pool.waiting and not conn.buffer:
                return True  # other connections wait for a thread: this one waits in the poller instead
            if not conn.readable(LINGER):
                return True
            if not self._one(conn):
                return False
        return False

    def _one(self, conn: Connection) -> bool:
        """Read and answer one request; whether the connection stays open."""
        head = self._read_head(conn)
        if head is None:
            return False
        if self.fast:
            try:
                return self._fast(conn, head)
            except _Slow:
                pass
        return self._gunicorn(conn)

    def _read_head(self, conn: Connection) -> str | None:
        """The head (decoded, without its blank line) once all of it has arrived; None if the client left."""
        data = conn.buffer
        end = data.find(b"\r\n\r\n")
        while end < 0:
            if len(data) > HEAD_LIMIT:
                # not ours to parse: gunicorn refuses it with the right status, from the bytes read so far
                # (dropping them left gunicorn's parser waiting for a head the client had already sent)
                conn.buffer = data
                return ""
            chunk = conn.sock.recv(65536)
            if not chunk:
                if data:
                    conn.buffer = data  # a partial head: gunicorn's parser sees the same bytes end
                    return ""
                return None
            data += chunk
            end = data.find(b"\r\n\r\n", max(len(data) - len(chunk) - 3, 0))
        conn.buffer = data
        return data[:end].decode("latin-1")

    def _fast(self, conn: Connection, head: str) -> bool:
        match = _HEAD.fullmatch(head)
        line_limit, field_count, field_limit = self.limits
        if match is None or match.start(3) > line_limit or match.group(1) == "HEAD":
            raise _Slow
        method, target, fields = match.groups()
        environ = dict(self.base_environ)
        close = not (self.alive and self.cfg.keepalive)  # keep-alive 0: one request per connection, as gunicorn
        length = 0
        if fields:
            lines = fields.split("\r\n")
            if len(lines) - 1 > field_count:
                raise _Slow
            for line in lines[1:]:
                if len(line) + 2 > field_limit:  # gunicorn counts the line's CRLF against the limit
                    raise _Slow
                name, _, value = line.partition(":")
                name = name.upper()
                value = value.strip(" \t")
                if name == "CONTENT-LENGTH":
                    if "CONTENT_LENGTH" in environ or not (value.isascii() and value.isdigit()):
                        raise _Slow
                    length = int(value)
                    if length > FAST_BODY:
                        raise _Slow
                    environ["CONTENT_LENGTH"] = value
                    continue
                if name == "CONTENT-TYPE":
                    if "CONTENT_TYPE" in environ:
                        raise _Slow  # a second Content-Type: gunicorn's 400 (RFC 9110 5.3), never the last one
                    environ["CONTENT_TYPE"] = value
                    continue
                if name in _SLOW_HEADERS or name in self.scheme_headers:
                    raise _Slow
                if name == "CONNECTION" and "close" in value.lower():
                    close = True
                key = "HTTP_" + name.replace("-", "_")
                if key in environ:
                    if key == "HTTP_HOST":
                        raise _Slow  # a second Host: gunicorn's 400 (RFC 9110 5.3), never a joined one
                    value = f"{environ[key]},{value}"
                environ[key] = value
        start = len(head) + 4
        buffer = conn.buffer
        while len(buffer) < start + length:
            chunk = conn.sock.recv(65536)
            if not chunk:
                return False
            buffer += chunk
        body, conn.buffer = buffer[start:start + length], buffer[start + length:]
        path, _, query = target.partition("?")
        if "%" in path:
            path = unquote_to_bytes(path).decode("latin-1")
        environ.update({
            "REQUEST_METHOD": method, "RAW_URI": target, "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(body), "gunicorn.socket": conn.sock,
            "REMOTE_ADDR": conn.peer[0], "REMOTE_PORT": str(conn.peer[1]),
            "SERVER_NAME": str(conn.server[0]), "SERVER_PORT": str(conn.server[1]),
        })
        reply = _Reply(conn.sock, close, self._http_date())
        after: list[Callable[[], Any]] = []
        environ[AFTER_RESPONSE] = after
        try:
            self._respond(environ, reply)
        except OSError:
            raise
        except Exception as exc:
            if reply.head is None:
                self.handle_error(None, conn.sock, conn.peer, exc)
            else:
                self.log.exception("Error handling request %s %s", method, target)
            return False
        finally:
            self._after(after)
        return not reply.close

    def _http_date(self) -> str:
        """The Date header, formatted once a second (threads may race to refresh it; each writes the same)."""
        now = int(time.time())
        if self.date[0] != now:
            self.date = (now, util.http_date(now))
        return self.date[1]

    def _respond(self, environ: dict[str, Any], reply: _Reply) -> None:
        body: Iterable[bytes] = self.wsgi(environ, reply.start_response)
        try:
            for data in body:
                reply.write(data)
            reply.finish()
        finally:
            _close(body)

    def _after(self, work: list[Callable[[], Any]]) -> None:
        """Run what the app left for after its answer (each piece on its own: one failing skips no other)."""
        for piece in work:
            try:
                piece()
            except Exception:
                self.log.exception("Error in work after a response")

    def _gunicorn(self, conn: Connection) -> bool:
        """gunicorn's own parser and response for a request the fast path leaves alone (as its gthread worker
        serves it), then the bytes it read past the request return to the connection."""
        parser = http.RequestParser(self.cfg, conn.sock, conn.peer)
        if conn.buffer:
            parser.unreader.unread(conn.buffer)
            conn.buffer = b""
        req = resp = None
        try:
            req = next(parser)
            started = time.time()
            resp, environ = wsgi.create(req, conn.sock, conn.peer, conn.server, self.cfg)
            environ["wsgi.multithread"] = True
            environ[AFTER_RESPONSE] = after = []
            if not (self.alive and self.cfg.keepalive):
                resp.force_close()
            try:
                body = self.wsgi(environ, resp.start_response)
                try:
                    if isinstance(body, environ["wsgi.file_wrapper"]):
                        resp.write_file(body)
                    else:
                        for data in body:
                            resp.write(data)
                    resp.close()
                finally:
                    self.log.access(resp, req, environ, _elapsed(started))
                    _close(body)
            finally:
                self._after(after)
            if resp.should_close():
                return False
            while req.body.read(65536):
                pass  # a body the app left unread must not be taken for the next request
            conn.buffer = parser.unreader.buf.getvalue()
            return True
        except (StopIteration, http.errors.NoMoreData):
            return False
        except OSError:
            raise
        except Exception as exc:
            if resp is not None and resp.headers_sent:
                # Too late for an error page: written after part of the answer it would pass for body (as
                # gunicorn's gthread worker does, log it and close so the client sees the answer cut short).
                self.log.exception("Error handling request")
                return False
            self.handle_error(req, conn.sock, conn.peer, exc)
            return False


def _close(body: Any) -> None:
    """PEP 3333: the server calls the app's iterable ``close``, whatever happened while writing it."""
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _elapsed(started: float) -> timedelta:
    return timedelta(seconds=time.time() - started)
