"""Transport faults: break the HTTP exchange itself (reset, empty reply, truncated body).

A WSGI app cannot normally touch the connection, but both servers segmock runs on hand it over in the
environ (:data:`SOCKET_KEY` from :mod:`mockserver.serving`, ``werkzeug.socket`` from the pytest plugin's
live server). The fault is carried out while the server iterates the response body, so the server's own
later writes meet a broken pipe, which both servers treat as a client that went away (no error log). A
truncated answer announces its full length and sends half: where the server closes such a short answer
itself (:data:`SHORT_ANSWER_CLOSES`) it does so once the half has gone out; elsewhere the connection is
shut down. Without a socket (in-process transports) the body raises instead, so the client under test
still sees a failed exchange.
"""

from __future__ import annotations

import ctypes
import socket
import struct
import sys
from collections.abc import Iterator
from typing import Any

from ..serving import SHORT_ANSWER_CLOSES, SOCKET_KEY

SOCKET_KEYS = (SOCKET_KEY, "werkzeug.socket")


class TransportFault(ConnectionResetError):
    """Raised to the in-process caller where there is no socket to break."""


def connection(environ: dict[str, Any]) -> socket.socket | None:
    for key in SOCKET_KEYS:
        sock = environ.get(key)
        if isinstance(sock, socket.socket):
            return sock
    return None


def reset(sock: socket.socket) -> None:
    """Abort the connection with a TCP RST, as a crashed load balancer does.

    On Linux ``connect(AF_UNSPEC)`` disconnects a TCP socket with a reset while the server keeps its file
    descriptor (so it closes it normally later). Elsewhere: linger 0 plus shutdown, then the server's close
    sends the reset.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if sys.platform.startswith("linux") and _disconnect(sock.fileno()):
        return
    _shutdown(sock)


def _disconnect(fd: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    address = struct.pack("H14s", socket.AF_UNSPEC, b"")
    return libc.connect(fd, address, len(address)) == 0


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def broken_body(environ: dict[str, Any], kind: str, body: bytes) -> Iterator[bytes]:
    """The response body of a transport fault: ``reset``, ``empty`` or ``truncated`` (half of ``body``)."""
    sock = connection(environ)
    if kind == "truncated":
        yield body[: len(body) // 2]
        if environ.get(SHORT_ANSWER_CLOSES):
            return
    if sock is None:
        raise TransportFault(f"segmock fault: {kind}")
    if kind == "reset":
        reset(sock)
    else:
        _shutdown(sock)
