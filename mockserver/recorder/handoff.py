"""Hand exchanges from the proxy's worker to the recorder process without pushing big bodies through a pipe.

Pickled through a ``multiprocessing.Queue``, an 8 MB body was joined, pickled, written into a pipe 64 KB at
a time and read back: four copies and a hundred context switches, competing with the next request for
the machine's cores. Now a thread of the worker (off the request's path) writes a large body once into an
anonymous memory file (``memfd``: never on disk, gone with its last descriptor) and passes the descriptor
over a Unix socket; the queue carries only the small parts. Where ``memfd_create`` does not exist, bodies
travel inline as before.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SPOOL_ABOVE = 64 * 1024  # smaller bodies are cheaper to pickle than to spool
SEND_TIMEOUT = 30.0  # a recorder that takes no descriptor for this long is gone: send the body inline
RECEIVE_TIMEOUT = 30.0
_IOV_MAX = 1024
_HAS_MEMFD = hasattr(os, "memfd_create") and hasattr(socket, "send_fds")

Body = list[bytes]


class BodyLost(Exception):
    """A message arrived but one of its bodies could not be read back (its exchange is lost, not the rest)."""


@dataclass(frozen=True)
class Spooled:
    """A body waiting in a memory file whose descriptor travels on the side socket, tagged ``token``."""

    token: str
    size: int


def _write_all(fd: int, pieces: Sequence[bytes]) -> None:
    views = [memoryview(p) for p in pieces if p]
    first = 0
    while first < len(views):
        written = os.writev(fd, views[first:first + _IOV_MAX])
        while written and first < len(views):
            if written >= len(views[first]):
                written -= len(views[first])
                first += 1
            else:
                views[first] = views[first][written:]
                written = 0


def _read_all(fd: int, size: int) -> bytes:
    data = os.pread(fd, size, 0)
    while len(data) < size:
        more = os.pread(fd, size - len(data), len(data))
        if not more:
            raise EOFError(f"spooled body ended after {len(data)} of {size} bytes")
        data += more
    return data


class Handoff:
    """A one-way channel from proxy workers to the recorder. Create it before the fork.

    The proxy calls ``send`` (returns at once; a thread packs and ships the message in order) and ``flush``
    before it stops; the recorder calls ``receive``.
    """

    def __init__(self, ctx: Any = None) -> None:
        ctx = ctx or multiprocessing.get_context("fork")
        self._queue: Any = ctx.Queue()
        self._tx: socket.socket | None = None
        self._rx: socket.socket | None = None
        if _HAS_MEMFD:
            self._tx, self._rx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._pending: queue.SimpleQueue[tuple[Any, Sequence[Body]] | None] | None = None
        self._sender: threading.Thread | None = None
        self._owner = 0
        self._ids = itertools.count()
        self._start_lock = threading.Lock()
        self._fds: dict[str, int] = {}

    def send(self, message: Any, bodies: Sequence[Body]) -> None:
        """Queue ``message`` with its bodies (each a list of pieces, never joined on the caller's thread)."""
        self._local().put((message, bodies))

    def put(self, message: Any) -> None:
        """A message without bodies straight onto the queue (the parent's stop signal)."""
        self._queue.put((message, []))

    def flush(self, timeout: float = 120.0) -> None:
        """Ship everything sent so far onto the queue (the sender thread ends; send nothing after this)."""
        if self._sender is not None and self._owner == os.getpid():
            assert self._pending is not None
            self._pending.put(None)
            self._sender.join(timeout)

    def receive(self, timeout: float) -> tuple[Any, list[bytes]]:
        """The next message and its bodies as bytes; raises ``queue.Empty`` after ``timeout`` seconds."""
        message, refs = self._queue.get(timeout=timeout)
        bodies: list[bytes] = []
        try:
            for ref in refs:
                bodies.append(ref if isinstance(ref, bytes) else self._load(ref))
        except (OSError, EOFError) as exc:
            raise BodyLost(f"{message[0]} {message[2]}: {exc!r}") from exc
        finally:
            for ref in refs[len(bodies):]:  # a body that failed to load must not leave the others' files open
                if isinstance(ref, Spooled):
                    self._discard(ref.token)
        return message, bodies

    def close(self) -> None:
        """Recorder side, at the end: drop any descriptor nobody asked for."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _local(self) -> queue.SimpleQueue[tuple[Any, Sequence[Body]] | None]:
        if self._owner != os.getpid():  # first use in this (forked) process: its own sender thread
            with self._start_lock:
                if self._owner != os.getpid():
                    self._pending = queue.SimpleQueue()
                    self._sender = threading.Thread(target=self._ship, args=(self._pending,),
                                                    name="segmock-handoff", daemon=True)
                    self._sender.start()
                    self._owner = os.getpid()
        assert self._pending is not None
        return self._pending

    def _ship(self, pending: queue.SimpleQueue[tuple[Any, Sequence[Body]] | None]) -> None:
        if self._tx is not None:
            self._tx.settimeout(SEND_TIMEOUT)
        while (item := pending.get()) is not None:
            message, bodies = item
            self._queue.put((message, [self._pack(pieces) for pieces in bodies]))

    def _pack(self, pieces: Body) -> bytes | Spooled:
        size = sum(map(len, pieces))
        if size <= SPOOL_ABOVE or self._tx is None:
            return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        token = f"{os.getpid()}.{next(self._ids)}"
        try:
            fd = os.memfd_create("segmock-body", os.MFD_CLOEXEC)
            try:
                _write_all(fd, pieces)
                socket.send_fds(self._tx, [token.encode()], [fd])
            finally:
                os.close(fd)
        except OSError:  # no memory file or no recorder taking descriptors: the old way still works
            return b"".join(pieces)
        return Spooled(token, size)

    def _load(self, ref: Spooled) -> bytes:
        assert self._rx is not None
        self._rx.settimeout(RECEIVE_TIMEOUT)
        while ref.token not in self._fds:  # sent before its message was queued, so it is there
            data, fds, _, _ = socket.recv_fds(self._rx, 256, 1)
            if fds:
                self._fds[data.decode()] = fds[0]
        fd = self._fds.pop(ref.token)
        try:
            return _read_all(fd, ref.size)
        finally:
            os.close(fd)

    def _discard(self, token: str) -> None:
        fd = self._fds.pop(token, None)
        if fd is not None:
            os.close(fd)
