"""The operator API of the pytest fixtures: one object, the same methods in-process and live.

``segmock_respx``, ``segmock_requests`` and ``segmock_server`` all offer ``requests()`` (the journal),
``fault()``, ``answer()`` (canned answers), ``force()``, ``advance_clock()`` and ``reset()``. In-process the
``/__segmock/`` API is called through ``httpx.WSGITransport`` straight into the app (no socket); live, over
loopback. Either way the same endpoint validates a rule or a canned answer, so both refuse the same mistakes.
"""

from __future__ import annotations

import functools
from typing import Any

from .client import JournalEntry, OperatorClient

IN_PROCESS_URL = "http://segmock.in-process"


class MockOperator:
    """Control and observe one mock app from a test."""

    def __init__(self, app: Any, url: str | None = None) -> None:
        self.app = app
        self._live_url = url

    @functools.cached_property
    def operator(self) -> OperatorClient:
        """The ``/__segmock/`` API client (``mockserver.operator.client.OperatorClient``)."""
        if self._live_url is not None:
            return OperatorClient(self._live_url)
        import httpx

        return OperatorClient(IN_PROCESS_URL, transport=httpx.WSGITransport(app=self.app))

    def close(self) -> None:
        if "operator" in self.__dict__:
            self.operator.close()

    @property
    def services(self) -> Any:
        return self.app.extensions["segmock"]

    def reset(self) -> None:
        """Forget quotas, jobs, recorded traffic, fault rules and canned answers."""
        self.services.reset()

    def requests(self, provider: str | None = None, operation: str | None = None, status: int | None = None,
                 limit: int | None = None) -> list[JournalEntry]:
        """What clients sent, oldest first, as ``JournalEntry`` objects (method, path, provider, operation,
        params, image size, status, ``fault`` naming an injected fault or ``"answer"``/``"mask"`` for a
        canned answer …)."""
        return self.operator.requests(provider=provider, operation=operation, status=status, limit=limit)

    def clear_requests(self) -> None:
        self.operator.clear_requests()

    def fault(self, provider: str | None = None, operation: str | None = None, **rule: Any) -> int:
        """Make matching requests fail: ``status=429`` (provider's own body, ``Retry-After``), ``error=KEY``,
        ``delay=S``, ``kind="reset"|"empty"|"truncated"``; ``times=N`` or ``probability=P, seed=S``."""
        return int(self.operator.fault(provider, operation, **rule))

    def faults(self) -> list[dict[str, Any]]:
        return list(self.operator.faults())

    def clear_faults(self) -> None:
        """Remove every fault rule and queued canned answer."""
        self.operator.clear_faults()

    def answer(self, provider: str, operation: str, **answer: Any) -> int:
        """Queue a canned answer for the next call of ``operation``: ``mask=`` (PNG bytes or a 2-D array),
        ``error=KEY``, ``status=``, ``json=``/``body=`` (+ ``headers``), ``times=N``. Checked against the spec:
        ``ValueError`` naming the problem when the provider could not answer so."""
        return int(self.operator.answer(provider, operation, **answer))

    def answers(self) -> list[dict[str, Any]]:
        return list(self.operator.answers())

    def force(self, outcome: str = "failed", error: Any = None, **options: Any) -> int:
        """Make the next async job(s) end ``failed`` (with ``error``) or ``canceled``, with no contrived input.

        ``options`` are those of ``JobStore.force``: ``provider``, ``match`` (e.g. ``{"textPrompt": "boom"}``)
        and ``times``. The rule is forgotten at the next ``reset()``.
        """
        return int(self.services.jobs.force(outcome, error, **options))

    def advance_clock(self, seconds: float) -> float:
        """Move the async jobs' clock forward (e.g. past a provider's retention) for every worker."""
        return float(self.services.jobs.clock.advance(seconds))
