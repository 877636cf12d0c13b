"""Helpers for the job-engine tests: a loopback webhook receiver and multi-process workers.

Workers live here (not in a test module) so ``spawn`` children can import them by name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mockserver.core.outbound import PRIVATE_WEBHOOK_KINDS, AddressPolicy
from mockserver.jobs import JobStore, WebhookSpec

# The receivers these tests run listen on loopback, which the engine's default policy refuses.
LOCAL_RECEIVERS = AddressPolicy(PRIVATE_WEBHOOK_KINDS)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers the queued statuses in order, then 200."""

    url: str
    statuses: list[int] = field(default_factory=list)
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.received.append(Received(headers, body))
            status = self.statuses.pop(0) if self.statuses else 200
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(5)
        self.finished.set()
        return status


@contextmanager
def receiver(statuses: list[int] | None = None, hold: threading.Event | None = None) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, port chosen by the OS."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = state["r"].answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # several dispatchers connect at once; a full backlog looks like a timeout

    server = Server(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", list(statuses or []), hold)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        if hold is not None:
            hold.set()
        server.shutdown()
        server.server_close()


def worker(state_dir: str, worker: int, count: int, url: str, barrier: Any, out: Any) -> None:
    """One "server process": create ``count`` polled prodia jobs and ``count`` tengr jobs with a webhook, wait
    for every worker, read every prodia job once (one poll per process), then dispatch until all is delivered.
    """
    progression = {"prodia": "polls:4", "tengr": "immediate"}
    with JobStore(state_dir, progression=progression, dispatch_interval=0.01, addresses=LOCAL_RECEIVERS) as store:
        store.start_dispatcher()
        for index in range(count):
            params = {"worker": worker, "index": index}
            store.create("prodia", owner="shared", kind="segment", params=params)
            store.create("tengr", owner="shared", kind="segment", params=params, webhook=WebhookSpec(url, "secret"))
        barrier.wait(30)
        for job in store.list("prodia", owner="shared"):
            store.get("prodia", job.id, owner="shared")
        barrier.wait(30)
        out.put((worker, store.drain(20)))
