"""What the recording proxy does with each exchange: check it, redact it, write it, tell the user.

Checking runs on the exchange exactly as sent (so a malformed key field is still reported), but only the
redacted copy is written, and every report line is scrubbed of the secret values seen so far.

The work runs in a separate recorder process fed through a ``multiprocessing`` queue: contract checks cost milliseconds
of CPU, and in the proxy's own process they would hold the GIL while the next request waits.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from werkzeug.datastructures import Headers

from contracts.cassettes import reports
from contracts.cassettes.cassette import CassetteWriter, Interaction
from contracts.cassettes.redaction import Redactor, scrub_text
from contracts.cassettes.verify import ExchangeReport, check_exchange
from contracts.wire.exchange import HttpRequest, HttpResponse
from mockserver.recorder.proxy import Forwarded

REPORT_EVERY = 1.0  # seconds between report rewrites while traffic flows (the report grows with the session)


class RecordingSession:
    """Collects exchanges into a cassette and a JSON report, printing a verdict for each (one thread)."""

    def __init__(self, provider: str, cassette: Path | str, redactor: Redactor | None = None,
                 report: Path | str | None = None, out: TextIO | None = None) -> None:
        self.provider = provider
        self.redactor = redactor or Redactor()
        self.writer = CassetteWriter(cassette, provider, self.redactor.to_dict())
        self.report_path = Path(report) if report else None
        self.out = out or sys.stdout
        self.reports: list[ExchangeReport] = []
        self.refused: list[dict[str, Any]] = []
        self._secrets: set[str] = set()
        self._report_written = 0.0

    def exchange(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        secrets = self.redactor.secrets(request, response)
        self._secrets |= secrets
        recorded_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        interaction = Interaction(self.redactor.request(request, secrets), self.redactor.response(response, secrets),
                                  recorded_at, duration_ms)
        index = self.writer.append(interaction)
        verdict = check_exchange(self.provider, request, response, index)
        self.reports.append(verdict)
        self._print(reports.exchange_text(verdict))

    def refuse(self, request: HttpRequest, reason: str) -> None:
        """A request the proxy answered itself (budget, unreachable upstream): reported, never recorded."""
        redacted = self.redactor.request(request)
        self.refused.append({"method": request.method, "url": redacted.url, "reason": reason})
        self._print(f"REFUSED {request.method} {redacted.url}: {reason}")

    def idle(self) -> None:
        """Traffic paused: refresh the report, at most every ``REPORT_EVERY`` seconds."""
        if time.monotonic() - self._report_written > REPORT_EVERY:
            self.write_report()

    def _print(self, text: str) -> None:
        print(scrub_text(text, self._secrets), file=self.out, flush=True)

    def write_report(self) -> None:
        if self.report_path is None:
            return
        document = reports.report_document(self.reports, provider=self.provider, cassette=str(self.writer.path),
                                           refused=self.refused)
        text = scrub_text(json.dumps(document, indent=2, default=str), self._secrets)
        self.report_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.report_path.with_name(f".{self.report_path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.report_path)
        self._report_written = time.monotonic()


class RecorderProcess:
    """Runs a ``RecordingSession`` in a child process; proxy workers hand it exchanges through a queue.

    Start it before the server forks its workers, so every worker (a restarted one too) shares the channel.
    The child ignores Ctrl-C (the terminal sends it to the whole group) and drains what was sent when
    ``stop`` asks; it exits on its own if its parent dies. It runs at a lower CPU priority (``NICE``):
    checking and writing are background work, and on a small machine they must not take a core from the
    requests being forwarded; whenever a core is free they run at full speed.
    """

    NICE = 10

    def __init__(self, session_factory: Callable[[], RecordingSession]) -> None:
        ctx = multiprocessing.get_context("fork")
        # The queue's own feeder thread pickles and writes, off the request's path; bodies travel as the proxy's
        # list of pieces and are joined by the recorder. (Handing big bodies over in anonymous memory files
        # instead measured no faster: benchmarks/bench_proxy.py, 1 MB and 8 MB bodies.)
        self._queue: Any = ctx.Queue()
        self._process = ctx.Process(target=self._run, args=(session_factory,), name="segmock-recorder",
                                    daemon=True)

    def start(self) -> None:
        self._process.start()

    def exchange(self, forwarded: Forwarded) -> None:
        """Proxy callback, after the last byte went to the client: hand the exchange over and return at once."""
        message = ("exchange", forwarded.method, forwarded.url, list(forwarded.request_headers.items()),
                   forwarded.status, list(forwarded.response_headers.items()), forwarded.duration_ms)
        self._queue.put((message, [forwarded.request_body, forwarded.response_body]))

    def refuse(self, request: HttpRequest, reason: str) -> None:
        message = ("refuse", request.method, request.url, list(request.headers.items()), reason)
        self._queue.put((message, [[request.body]]))

    def stop(self, timeout: float = 120.0) -> None:
        """Process what is queued, write the final report, and end the child."""
        self._queue.put((None, []))  # after this process's exchanges: one feeder thread keeps them in order
        self._process.join(timeout)

    def _run(self, session_factory: Callable[[], RecordingSession]) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(OSError):
            os.nice(self.NICE)
        parent = os.getppid()
        session = session_factory()
        while True:
            try:
                message, pieces = self._queue.get(timeout=0.5)
            except queue.Empty:
                if os.getppid() != parent:
                    break
                session.idle()
                continue
            if message is None:
                break
            bodies = [b"".join(body) for body in pieces]
            try:
                if message[0] == "exchange":
                    _, method, url, request_headers, status, response_headers, duration = message
                    request = HttpRequest(method, url, Headers(request_headers), bodies[0])
                    session.exchange(request, HttpResponse(status, Headers(response_headers), bodies[1]), duration)
                else:
                    _, method, url, headers, reason = message
                    session.refuse(HttpRequest(method, url, Headers(headers), bodies[0]), reason)
            except Exception:
                print("segmock: could not record an exchange:\n" + traceback.format_exc(), flush=True)
            session.idle()
        session.write_report()
