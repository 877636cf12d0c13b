"""The per-process background thread that finishes due webhook jobs and sends their deliveries.

Every send goes through the webhook address policy (``core.outbound``): a receiver whose host is or resolves to
a forbidden address is never connected to, and its delivery fails at once with the reason recorded.

Why a thread of its own: a request thread must never wait on someone else's receiver. The thread is a
daemon, started lazily by the store, woken early when this process queues work, and otherwise polls the
shared database every ``interval`` seconds (work queued by another process, a clock moved by a test,
retries coming due). Sends run on a small pool so one slow receiver does not hold up the others.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..core.outbound import PROVIDER_WEBHOOKS, AddressPolicy, Refused
from .clock import Clock
from .webhooks import ATTEMPT_HEADER, DELIVERY_HEADER, Claim, DeliveryPolicy, Outbox, post, sign

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs ``finish_due`` then delivers claimed outbox rows, until stopped."""

    def __init__(
        self,
        outbox: Outbox,
        clock: Clock,
        policy: DeliveryPolicy,
        finish_due: Callable[[], object],
        build_body: Callable[[str], bytes | None],
        interval: float = 0.05,
        senders: int = 4,
        addresses: AddressPolicy = PROVIDER_WEBHOOKS,
    ) -> None:
        self._outbox = outbox
        self._clock = clock
        self._policy = policy
        self._finish_due = finish_due
        self._build_body = build_body
        self._interval = interval
        self._senders = senders
        self._addresses = addresses
        self._token = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._free = threading.Semaphore(senders)
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (idempotent). A forked child starts afresh: new claim token, no inherited slots."""
        if self.running:
            return
        self._token = f"dispatcher-{uuid.uuid4()}"
        self._free = threading.Semaphore(self._senders)
        self._stop.clear()
        self._pool = ThreadPoolExecutor(self._senders, thread_name_prefix="segmock-webhook")
        self._thread = threading.Thread(target=self._run, name="segmock-webhook-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming and wait for attempts in flight (a claim left unfinished is retaken after its lease)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._round()
            except Exception:
                log.exception("webhook dispatcher round failed; retrying at the next tick")
            self._wake.wait(self._interval)

    def _round(self) -> None:
        self._finish_due()
        free = 0
        while self._free.acquire(blocking=False):
            free += 1
        claims: list[Claim] = []
        try:
            if free:
                claims = self._outbox.claim(self._token, free, self._policy, self._clock.wall(), self._clock.now())
        finally:
            for _ in range(free - len(claims)):
                self._free.release()
        for claim in claims:
            assert self._pool is not None
            self._pool.submit(self._deliver, claim)

    def _deliver(self, claim: Claim) -> None:
        try:
            body = claim.body
            if body is None:
                body = self._build_body(claim.job_id)
                if body is None:
                    self._outbox.give_up(claim, self._token, "job no longer exists", self._clock.now())
                    return
                self._outbox.keep_body(claim, body)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "segmock-webhooks",
                claim.spec.header: sign(claim.spec.secret, body, claim.spec.signature_format),
                DELIVERY_HEADER: claim.delivery_id,
                ATTEMPT_HEADER: str(claim.attempt),
            }
            try:
                status, error = post(claim.spec.url, body, headers, self._policy.timeout, self._addresses)
            except Refused as exc:  # asking again would be refused again: the delivery fails for good
                self._outbox.give_up(claim, self._token, f"refused: {exc}", self._clock.now())
                return
            self._outbox.finish(
                claim, self._token, status, error, self._policy, self._clock.wall(), self._clock.now()
            )
        except Exception as exc:
            self._outbox.finish(
                claim, self._token, None, f"{type(exc).__name__}: {exc}", self._policy, self._clock.wall(),
                self._clock.now(),
            )
        finally:
            self._free.release()
            self._wake.set()
