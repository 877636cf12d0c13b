"""Argument types shared by the commands: a bad value is refused by the parser, in one line, before anything
starts (argparse turns the ``ArgumentTypeError`` into ``segmock CMD: argument --port: ...``, exit 2)."""

from __future__ import annotations

import argparse
import errno
import re
import socket


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {value}")
    return value


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def bind_problem(host: str, number: int) -> str | None:
    """Why a server could not listen on ``host:number`` (None: it can). Checked with the server's own socket
    options (``SO_REUSEADDR``), so a port another process listens on is reported and one in TIME_WAIT is not."""
    if number == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, number, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {number} on {host} is already in use (another segmock? pick one with --port)"
            return f"cannot listen on {host}:{number}: {exc.strerror}"
    return None


def plain(rest: str) -> str:
    """A docstring's reStructuredText as plain text for ``--help`` (literals, emphasis and bullets)."""
    text = re.sub(r"``(.+?)``", r"\1", rest, flags=re.S)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(r"(?m)^\* ", "- ", text)
    return re.sub(r"(?<![\w*])\*(\S.*?)\*(?![\w*])", r"\1", text, flags=re.S)
