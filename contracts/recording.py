"""What the recording proxy does with each exchange: check it, redact it, write it, tell the user.

Checking runs on the exchange exactly as sent (so a malformed key field is still reported), but only the
redacted copy is written, and every report line is scrubbed of the secret values seen so far.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from . import reports
from .cassettes import CassetteWriter, Interaction
from .exchange import HttpRequest, HttpResponse
from .redaction import Redactor, scrub_text
from .verify import ExchangeReport, check_exchange


class RecordingSession:
    """Collects the proxy's exchanges into a cassette and a JSON report, printing a verdict for each."""

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
        self._lock = threading.Lock()

    def exchange(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        """Proxy callback: never raises, since the client already has its response."""
        try:
            self._exchange(request, response, duration_ms)
        except Exception:  # noqa: BLE001 - a recording bug must not kill the proxy worker
            self._print("segmock: could not record an exchange:\n" + traceback.format_exc())

    def _exchange(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        secrets = self.redactor.secrets(request, response)
        with self._lock:
            self._secrets |= secrets
        recorded_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        interaction = Interaction(self.redactor.request(request, secrets), self.redactor.response(response, secrets),
                                  recorded_at, duration_ms)
        index = self.writer.append(interaction)
        verdict = check_exchange(self.provider, request, response, index)
        with self._lock:
            self.reports.append(verdict)
            self._write_report()
        self._print(reports.exchange_text(verdict))

    def refuse(self, request: HttpRequest, reason: str) -> None:
        """Proxy callback for requests answered by the proxy itself (budget, unreachable upstream)."""
        redacted = self.redactor.request(request)
        with self._lock:
            self.refused.append({"method": request.method, "url": redacted.url, "reason": reason})
            self._write_report()
        self._print(f"REFUSED {request.method} {redacted.url}: {reason}")

    def _print(self, text: str) -> None:
        with self._lock:
            secrets = set(self._secrets)
        print(scrub_text(text, secrets), file=self.out, flush=True)

    def _write_report(self) -> None:
        if self.report_path is None:
            return
        ordered = sorted(self.reports, key=lambda r: r.index)
        document = reports.report_document(ordered, provider=self.provider, cassette=str(self.writer.path),
                                           refused=self.refused)
        text = scrub_text(json.dumps(document, indent=2, default=str), self._secrets)
        self.report_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.report_path.with_name(f".{self.report_path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.report_path)
