"""Webhook deliveries: signing, one HTTP attempt, and the outbox that makes delivery exactly-once per job.

Why an outbox table: a job may finish in any server process (a read, the clock sweep, a cancel), and any
process's dispatcher may deliver. The delivery row is written in the same transaction that makes the job
final (one row per job, enforced by a UNIQUE key), then claimed atomically with a lease; a claim whose
process died is taken over once the lease runs out. A receiver sees one delivery per job, identified by
``X-Segmock-Delivery`` (the same id on every retry, so a crash mid-send can be recognised as a repeat).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import uuid
from dataclasses import dataclass

from contracts.cassettes.redaction import redact_url

from ..core.outbound import AddressPolicy, Unreachable, open_url
from .db import Database
from .model import WebhookSpec

DELIVERY_HEADER = "X-Segmock-Delivery"
ATTEMPT_HEADER = "X-Segmock-Attempt"


def sign(secret: str, body: bytes, signature_format: str = "sha256={}") -> str:
    """The signature header value: HMAC-SHA256 over the exact body bytes, keyed with the secret's UTF-8."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return signature_format.format(digest)


@dataclass(frozen=True)
class DeliveryPolicy:
    """Bounded retries: attempt n failing waits ``base_delay * 2**(n-1)`` real seconds before the next.

    ``timeout`` bounds one HTTP attempt; ``lease`` is how long a claim is exclusive before another process may
    take it over, so it must exceed ``timeout``. Delays run on real time, not the movable store clock.
    """

    attempts: int = 3
    base_delay: float = 1.0
    timeout: float = 10.0
    lease: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be >= 1")
        if self.base_delay < 0 or self.timeout <= 0:
            raise ValueError("base_delay must be >= 0 and timeout > 0")
        if self.lease <= self.timeout:
            raise ValueError("lease must exceed timeout, or a slow attempt could be delivered twice")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return self.base_delay * 2 ** (attempt - 1)


@dataclass(frozen=True)
class DeliveryAttempt:
    """One recorded attempt: ``status_code`` when the receiver answered, ``error`` otherwise."""

    delivery_id: str
    job_id: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    ok: bool
    at: float


@dataclass(frozen=True)
class Claim:
    """A delivery this process may attempt until its lease runs out."""

    delivery_id: str
    job_id: str
    provider: str
    spec: WebhookSpec
    body: bytes | None
    attempt: int


def post(url: str, body: bytes, headers: dict[str, str], timeout: float,
         addresses: AddressPolicy) -> tuple[int | None, str | None]:
    """One POST through the address policy; (status, None) when the receiver answered, (None, error) when it
    did not. Raises ``core.outbound.Refused`` when the policy forbids the receiver (nothing was sent)."""
    try:
        with open_url("POST", url, addresses, timeout=timeout, headers=headers, body=body) as answer:
            for _ in answer.chunks():
                pass
            return answer.status, None
    except Unreachable as exc:
        return None, str(exc)


class Outbox:
    """The ``outbox`` and ``attempts`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def enqueue(self, conn: sqlite3.Connection, job_id: str, provider: str, spec: WebhookSpec, now: float) -> None:
        """Queue the job's one delivery, inside the transaction that makes the job final."""
        conn.execute(
            "INSERT OR IGNORE INTO outbox (id, job_id, provider, url, secret, header, format, next_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), job_id, provider, spec.url, spec.secret, spec.header, spec.signature_format, now),
        )

    def claim(self, token: str, limit: int, policy: DeliveryPolicy, now: float, at: float) -> list[Claim]:
        """Take up to ``limit`` due deliveries for ``token``; gives up those out of attempts.

        A row still leased to someone whose lease ran out was abandoned mid-attempt: that attempt is recorded
        as such, and counts against the limit.
        """
        claims: list[Claim] = []
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT * FROM outbox WHERE status = 'pending' AND next_at <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_at LIMIT ?",
                (now, now, limit),
            ).fetchall()
            for row in rows:
                if row["lease_owner"] is not None:
                    self._record(conn, row, row["attempts"], None, "abandoned: lease expired mid-attempt", at)
                if row["attempts"] >= policy.attempts:
                    conn.execute(
                        "UPDATE outbox SET status = 'failed', lease_owner = NULL, lease_until = NULL WHERE id = ?",
                        (row["id"],),
                    )
                    continue
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, lease_owner = ?, lease_until = ? WHERE id = ?",
                    (token, now + policy.lease, row["id"]),
                )
                spec = WebhookSpec(row["url"], row["secret"], row["header"], row["format"])
                claims.append(
                    Claim(row["id"], row["job_id"], row["provider"], spec, row["body"], row["attempts"] + 1)
                )
        return claims

    def keep_body(self, claim: Claim, body: bytes) -> None:
        """Remember the payload so every retry sends (and signs) the very same bytes."""
        with self._db.write() as conn:
            conn.execute("UPDATE outbox SET body = ? WHERE id = ? AND body IS NULL", (body, claim.delivery_id))

    def finish(
        self,
        claim: Claim,
        token: str,
        status_code: int | None,
        error: str | None,
        policy: DeliveryPolicy,
        now: float,
        at: float,
    ) -> None:
        """Record the attempt and settle the row: delivered, failed for good, or due again after a backoff."""
        ok = status_code is not None and 200 <= status_code < 300
        with self._db.write() as conn:
            row = conn.execute("SELECT * FROM outbox WHERE id = ?", (claim.delivery_id,)).fetchone()
            if row is None:
                return
            self._record(conn, row, claim.attempt, status_code, error, at)
            if row["lease_owner"] != token:
                return
            if ok:
                status, next_at = "delivered", row["next_at"]
            elif claim.attempt >= policy.attempts:
                status, next_at = "failed", row["next_at"]
            else:
                status, next_at = "pending", now + policy.delay(claim.attempt)
            conn.execute(
                "UPDATE outbox SET status = ?, next_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (status, next_at, claim.delivery_id),
            )

    def give_up(self, claim: Claim, token: str, reason: str, at: float) -> None:
        """Settle a delivery that cannot be attempted at all (its job is gone)."""
        with self._db.write() as conn:
            row = conn.execute("SELECT * FROM outbox WHERE id = ?", (claim.delivery_id,)).fetchone()
            if row is None or row["lease_owner"] != token:
                return
            self._record(conn, row, claim.attempt, None, reason, at)
            conn.execute(
                "UPDATE outbox SET status = 'failed', lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (claim.delivery_id,),
            )

    def attempts(self, job_id: str | None = None) -> list[DeliveryAttempt]:
        """Every recorded attempt, oldest first, optionally for one job."""
        with self._db.read() as conn:
            if job_id is None:
                rows = conn.execute("SELECT * FROM attempts ORDER BY seq").fetchall()
            else:
                rows = conn.execute("SELECT * FROM attempts WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall()
        return [
            DeliveryAttempt(
                row["delivery_id"], row["job_id"], row["url"], row["attempt"], row["status_code"],
                row["error"], bool(row["ok"]), row["at"],
            )
            for row in rows
        ]

    @staticmethod
    def _record(
        conn: sqlite3.Connection, row: sqlite3.Row, attempt: int, status_code: int | None, error: str | None, at: float
    ) -> None:
        ok = status_code is not None and 200 <= status_code < 300
        conn.execute(
            "INSERT INTO attempts (delivery_id, job_id, url, attempt, status_code, error, ok, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["job_id"], redact_url(row["url"]), attempt, status_code, error, int(ok), at),
        )
