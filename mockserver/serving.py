"""The one HTTP server behind ``segmock serve``, ``segmock record`` and ``segmock replay``: waitress.

Why waitress (measured on the project's 2-core machine; README → Figures): its event loop reads every request
head and body before a thread is involved, so clients that stall a head or dribble an upload hold no thread
and cannot starve the others, and an idle keep-alive connection costs a socket, not a thread. It is pure
Python, well kept (Pylons), and parses HTTP itself; segmock holds no parser of its own. granian (Rust) had
the lowest JSON round trip but never shows the app its connection, so the ``reset`` and ``empty`` transport
faults could not be made; gunicorn's threaded worker gives each connection a thread while it reads the head.

What segmock adds, in subclasses of waitress's own extension points (its task and channel classes):

- the connection's socket in the environ (:data:`SOCKET_KEY`), for transport faults;
- a short answer (fewer bytes than its Content-Length, the ``truncated`` fault) is closed by waitress itself
  after the bytes that were sent, which :data:`SHORT_ANSWER_CLOSES` tells the app;
- waitress's own refusals (a malformed head, an oversize head or body, a bad chunk) can be answered by the
  app's ``refusal`` hook (the mock's is provider-shaped JSON) instead of waitress's plain-text page;
- a request whose Content-Length is over the app's ``body_limit`` for it reaches the app from its head
  alone, so it is refused before its body is read (waitress otherwise reads every body before the app runs);
- no ``100 Continue`` is sent for a request already refused;
- a Transfer-Encoding it cannot read is a 400 (waitress answers 501, which reads as "not mocked" here);
- a small answer's head and body leave in one send;
- idle threads are woken newest first (:class:`_NewestFirst`), so sequential requests stay on a warm thread.

``workers > 1`` forks that many processes after the app is built (so each starts warm), all accepting on
one inherited socket; the parent only forwards SIGTERM/SIGINT and restarts a worker that died. Shared state
lives in the state directory, never in a process.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

WSGIApp = Callable[..., Iterable[bytes]]
Refusal = Callable[[int, str, str, str, str], tuple[str, bytes]]
"""``(status, reason, detail, method, path) -> (content type, body)``: the answer to a request the server
refused before the app saw it (``method`` and ``path`` are ``""`` when the request line could not be read)."""

BodyLimit = Callable[[str, str], "int | None"]
"""``(method, path) -> bytes``: the most body the app takes for that request (None: the server's own limit).
A request declaring more is handed to the app from its head alone (the app refuses it from its
Content-Length), without a ``100 Continue``; what the client still sends is discarded and the connection closed."""

SOCKET_KEY = "segmock.socket"
"""The connection's socket in the environ (for transport faults: :mod:`mockserver.operator.wire`)."""
SHORT_ANSWER_CLOSES = "segmock.short_answer_closes"
"""True in the environ when the server closes a connection whose answer fell short of its Content-Length."""

THREADS = 8  # requests the app works on at once per process; reading and writing need no thread
CONNECTION_LIMIT = 1000  # open connections per process; beyond it new ones wait in the listen backlog
IDLE_TIMEOUT = 60  # seconds a connection may stay silent (no request, no byte of one) before it is closed
MAX_BODY = 256 * 1024 * 1024  # the largest upload read at all; each provider's own limit is smaller
MAX_HEAD = 256 * 1024  # request line and headers together (long Photoroom GET /v2/edit URLs fit)
READ_SIZE = 256 * 1024  # one recv: an 8 MB upload is 32 turns of the event loop, not waitress's 1,000
IN_MEMORY_BODY = 8 * 1024 * 1024  # an upload up to this is buffered in memory, a larger one in a temporary file
ONE_SEND = 64 * 1024  # an answer up to this leaves with its head in one send (copying more costs more than a send)
OUT_BUFFER = 16 * 1024 * 1024  # an answer's bytes waiting for a slow reader, in memory; the app waits beyond it
STOP_GRACE = 10.0  # seconds SIGTERM lets requests in flight finish

log = logging.getLogger("segmock.serving")


class _QuietShortAnswers(logging.Filter):
    """The ``truncated`` fault sends fewer bytes than announced on purpose; waitress would warn each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned too few bytes" not in record.getMessage()


def _server_classes(refusal: Refusal | None, body_limit: BodyLimit | None) -> Any:
    """waitress's server class with segmock's task and channel (imported here: only serving needs waitress)."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.server import TcpWSGIServer
    from waitress.task import ErrorTask, WSGITask
    from waitress.utilities import BadRequest

    class Parser(HTTPRequestParser):
        over_limit = False
        completed: bool

        def received(self, data: bytes) -> int:
            consumed: int = super().received(data)
            if (body_limit is not None and self.headers_finished and not self.completed and self.error is None
                    and not self.chunked):
                limit = body_limit(self.command or "", self.path or "")
                if limit is not None and self.content_length > limit:
                    self.over_limit = self.completed = True
                    self.expect_continue = False
                    self.body_rcv = None  # the app sees the head and an empty body stream
                    self.headers["CONNECTION"] = "close"
                    return len(data)  # the rest of this read is body nobody will parse
            return consumed

    class Task(WSGITask):
        wrote_header: bool

        def write(self, data: bytes) -> None:
            """The head and a small answer's body leave in one send: sent apart, a client is woken by the head
            alone and then again by the body, and loopback pays for two segments."""
            whole = (not self.wrote_header and self.complete and self.has_body and not self.chunked_response
                     and 0 < len(data) <= ONE_SEND and self.content_length is not None
                     and len(data) <= self.content_length - self.content_bytes_written)
            if not whole:
                super().write(data)
                return
            head: bytes = self.build_response_header()
            self.wrote_header = True
            self.content_bytes_written += len(data)
            self.channel.write_soon(head + data)

        def get_environment(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().get_environment()
            environ[SOCKET_KEY] = self.channel.socket
            environ[SHORT_ANSWER_CLOSES] = True
            return environ

    class Refused(ErrorTask):
        def execute(self) -> None:
            if refusal is None:
                super().execute()
                return
            error = self.request.error
            if error.code == 501:  # waitress's answer to a Transfer-Encoding it cannot read: the client's
                error = BadRequest(error.body)  # fault (a 4xx), not a feature the mock lacks
            request = self.request
            content_type, body = refusal(error.code, error.reason, str(error.body),
                                         getattr(request, "command", None) or "", getattr(request, "path", None) or "")
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", content_type))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        task_class = Task
        error_task_class = Refused
        parser_class = Parser
        discarding = False

        def received(self, data: bytes) -> bool:
            if self.discarding:
                return True  # the body of a request answered from its head: never parsed as a request
            result: bool = super().received(data)
            if any(getattr(request, "over_limit", False) for request in self.requests):
                self.discarding = True
            return result

        def send_continue(self) -> None:
            """No ``100 Continue`` for a request already refused (an oversize Content-Length): waitress would
            send it and then wait for a body it will never read, instead of answering."""
            if self.request.error is not None:
                self.request.expect_continue = False
                return
            super().send_continue()

    class Server(TcpWSGIServer):
        channel_class = Channel

    return Server


class _NewestFirst:
    """A condition variable whose ``notify`` wakes the thread that began waiting last (``threading.Condition``
    wakes the one waiting longest).

    waitress's pool waits on one condition, so a client sending one request after another was served by each of
    the 8 threads in turn, every time on a thread whose state had gone cold (its SQLite connections' page caches
    above all): measured, 0.2 ms of a JSON round trip against one thread. Waking the newest waiter keeps a
    sequential client on one warm thread, and concurrent requests still get every thread.
    """

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._waiting: list[threading.Condition] = []
        self._own = threading.local()

    def wait(self) -> None:
        """Called with the lock held, as ``Condition.wait``."""
        own: threading.Condition | None = getattr(self._own, "condition", None)
        if own is None:
            own = self._own.condition = threading.Condition(self._lock)
        self._waiting.append(own)
        try:
            own.wait()
        finally:
            if own in self._waiting:
                self._waiting.remove(own)

    def notify(self) -> None:
        if self._waiting:
            self._waiting.pop().notify()

    def notify_all(self) -> None:
        while self._waiting:
            self._waiting.pop().notify()


def _dispatcher(threads: int) -> Any:
    """waitress's thread pool, its idle threads woken newest first (:class:`_NewestFirst`)."""
    from waitress.task import ThreadedTaskDispatcher

    dispatcher = ThreadedTaskDispatcher()
    dispatcher.queue_cv = _NewestFirst(dispatcher.lock)
    dispatcher.set_thread_count(threads)
    return dispatcher


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one, read back with ``getsockname``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass(frozen=True)
class Options:
    """How a server answers besides the app: threads for the app, the refusal and body-limit hooks, its name."""

    threads: int = THREADS
    refusal: Refusal | None = None
    body_limit: BodyLimit | None = None
    ident: str = "segmock"


class Server:
    """One process's server on an already listening socket (``run`` until ``stop``; both thread-safe)."""

    def __init__(self, app: WSGIApp, sock: socket.socket, options: Options = Options()) -> None:
        from waitress.adjustments import Adjustments

        waitress_log = logging.getLogger("waitress")
        if not any(isinstance(f, _QuietShortAnswers) for f in waitress_log.filters):
            waitress_log.addFilter(_QuietShortAnswers())
        adj = Adjustments(sockets=[sock], threads=options.threads, connection_limit=CONNECTION_LIMIT,
                          channel_timeout=IDLE_TIMEOUT, cleanup_interval=max(1, IDLE_TIMEOUT // 4),
                          max_request_body_size=MAX_BODY, max_request_header_size=MAX_HEAD,
                          recv_bytes=READ_SIZE, inbuf_overflow=IN_MEMORY_BODY, outbuf_high_watermark=OUT_BUFFER,
                          outbuf_overflow=2 * OUT_BUFFER,
                          asyncore_use_poll=True, ident=options.ident, expose_tracebacks=False,
                          clear_untrusted_proxy_headers=False)  # the app sees (and the proxy forwards) every header
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
        server_class = _server_classes(options.refusal, options.body_limit)
        self._server = server_class(app, {}, True, sock, dispatcher=_dispatcher(options.threads), adj=adj,
                                    bind_socket=False, sockinfo=sockinfo)
        self._stopping = False

    def run(self) -> None:
        """Serve until :meth:`stop` (or SystemExit/KeyboardInterrupt in this thread)."""
        from waitress import wasyncore

        server = self._server
        try:
            while not self._stopping and server._map:
                wasyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)
        except KeyboardInterrupt:  # Ctrl-C where no handler of ours is installed (a server in a thread's process)
            pass
        finally:
            server.close()
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=STOP_GRACE)

    def stop(self) -> None:
        self._stopping = True
        try:
            self._server.pull_trigger()
        except OSError:
            pass


def serve(app: WSGIApp, host: str, port: int, options: Options = Options(), *, on_ready: Callable[[str], None],
          workers: int = 1, on_exit: Callable[[], None] | None = None) -> None:
    """Serve ``app`` until SIGTERM or Ctrl-C; ``on_ready(base_url)`` once the socket listens.

    SIGTERM and Ctrl-C stop taking requests and let those in flight finish (up to ``STOP_GRACE`` s). ``on_exit``
    runs once, in this process, after every worker has stopped; the app's own ``close`` (if any) runs in
    each worker as it stops.
    """
    sock = listen(host, port)
    early: list[int] = []  # a stop asked for between the banner and the serving loop's own handlers
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda got, _frame: early.append(got))
    on_ready(base_url(sock))
    try:
        if workers <= 1:
            _run_worker(app, sock, options, early)
        else:
            _Supervisor(app, sock, workers, options).run(early)
    finally:
        sock.close()
        if on_exit is not None:
            on_exit()
        sys.stdout.flush()


def _run_worker(app: WSGIApp, sock: socket.socket, options: Options, early: Sequence[int] = ()) -> None:
    """Serve in this process until SIGTERM or SIGINT (either stops the loop; requests in flight finish)."""
    server = Server(app, sock, options)
    previous = {signum: signal.signal(signum, lambda *_: server.stop()) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not early:
            server.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        close = getattr(app, "close", None)
        if callable(close):
            close()


class _Supervisor:
    """Fork ``workers`` processes serving one socket; forward stop signals; replace a worker that died."""

    def __init__(self, app: WSGIApp, sock: socket.socket, workers: int, options: Options) -> None:
        self.app, self.sock, self.workers, self.options = app, sock, workers, options
        self.children: dict[int, float] = {}  # pid -> when it started
        self.stopping: int | None = None
        self.calm_until = 0.0  # a worker that died young: wait before the next fork, so a crash cannot loop

    def run(self, early: Sequence[int] = ()) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if early:
            self.stopping = early[0]
        while self.stopping is None:
            while len(self.children) < self.workers and self.stopping is None:
                time.sleep(max(0.0, self.calm_until - time.monotonic()))
                pid = self._spawn()
                self.children[pid] = time.monotonic()
            if not self._reap():
                time.sleep(0.1)  # a signal handler only sets ``stopping``: a blocking wait would not end
        for pid in self.children:
            _signal(pid, self.stopping)
        deadline = time.monotonic() + STOP_GRACE + 5
        while self.children and time.monotonic() < deadline:
            if not self._reap():
                time.sleep(0.02)
        for pid in self.children:
            _signal(pid, signal.SIGKILL)

    def _stop(self, signum: int, _frame: Any) -> None:
        self.stopping = signum

    def _reap(self) -> bool:
        """Collect one ended worker (False when none has ended)."""
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid in self.children:
            started = self.children.pop(pid)
            if self.stopping is None:
                log.warning("segmock: worker %d ended (status %d); starting another", pid, status)
                if time.monotonic() - started < 1.0:
                    self.calm_until = time.monotonic() + 1.0
            return True
        return False

    def _spawn(self) -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 0
        try:
            _run_worker(self.app, self.sock, self.options)
        except Exception:
            code = 1
            logging.getLogger("segmock").exception("segmock worker failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
