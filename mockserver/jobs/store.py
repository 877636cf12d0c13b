"""JobStore: the one async-job engine behind tengr artworks, SellerPic tasks and Prodia async jobs.

A job's outcome (result JSON, files, or error) is computed by the caller at creation and stored; the store only
decides *when* a reader sees it (the job's progression), who may see it (its owner), for how long (the
provider's TTL), and announces it to a webhook when it becomes final. All state lives in one SQLite file plus
a blob folder in ``state_dir``, so every server process shares it.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any

from contracts.wire import jsonbody

from ..core.outbound import PROVIDER_WEBHOOKS, AddressPolicy
from .blobs import BlobStore
from .clock import Clock
from .db import Database
from .dispatcher import Dispatcher
from .forced import FaultRules, Match
from .model import Job, JobState, WebhookSpec
from .progression import Phase, Progression
from .webhooks import DeliveryAttempt, DeliveryPolicy, Outbox

PayloadBuilder = Callable[[Job], Any]
_FINAL_STATES = tuple(state.value for state in JobState if state.final)
_SQLITE_MAX = 2**63 - 1
DEFAULT_PROGRESSION = "polls:2"
DEFAULT_WEBHOOK_DELAY = 0.1

# A visible job already final (``?`` : id, provider, owner, owner, the final states, the wall clock).
_FINAL_AND_VISIBLE = ("id = ? AND provider = ? AND (? IS NULL OR owner = ?)"
                      f" AND state IN ({', '.join('?' * len(_FINAL_STATES))})"
                      " AND (expires_at IS NULL OR expires_at > ? + (SELECT offset FROM clock WHERE id = 1))")


class JobStore:
    """Create, reveal, list, expire, force and announce jobs; safe across threads and processes.

    ``progression`` is one progression for every provider or a mapping ``{provider: ..., "default": ...}``
    (default ``polls:2``). ``ttl`` maps a provider (or ``"default"``) to seconds a job lives after creation;
    a provider without one keeps its jobs forever. Providers pass the values their spec documents (tengr's
    retention days, Prodia's job expiry); the engine restates none of them.

    A job with a webhook is never polled, so ``polls:N`` cannot finish it: such a job finishes
    ``webhook_delay`` seconds of the store clock after creation instead (default 0.1 s). ``seconds:S`` and
    ``immediate`` apply to it unchanged.

    ``payloads`` maps a provider to a function of the final :class:`Job` giving the webhook body (a JSON-able
    value, or bytes sent as they are); by default the body is :meth:`Job.to_dict`. Give every process the
    same builders: whichever process delivers builds the body.

    ``list`` returns jobs newest first (creation order, descending), as tengr's list does.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        progression: str | Progression | Mapping[str, str | Progression] = DEFAULT_PROGRESSION,
        ttl: Mapping[str, float | None] | None = None,
        webhook_delay: float = DEFAULT_WEBHOOK_DELAY,
        delivery: DeliveryPolicy = DeliveryPolicy(),
        addresses: AddressPolicy = PROVIDER_WEBHOOKS,
        payloads: Mapping[str, PayloadBuilder] | None = None,
        dispatch: bool = True,
        dispatch_interval: float = 0.05,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if webhook_delay < 0:
            raise ValueError("webhook_delay must be >= 0")
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._progressions = _progressions(progression)
        self._ttl = dict(ttl or {})
        self._webhook_delay = webhook_delay
        self._payloads = dict(payloads or {})
        self._auto_dispatch = dispatch
        self._dispatch_interval = dispatch_interval
        self._last_look = float("-inf")
        self._db = Database(self.state_dir / "jobs.sqlite3")
        self._blobs = BlobStore(self.state_dir / "blobs")
        self._rules = FaultRules()
        self._outbox = Outbox(self._db)
        self.clock = Clock(self._db, wall)
        self._dispatcher = Dispatcher(
            self._outbox, self.clock, delivery, self._finish_due, self._webhook_body, interval=dispatch_interval,
            addresses=addresses,
        )
        self._dispatcher_lock = threading.Lock()

    def progression_for(self, provider: str) -> Progression:
        """The progression new jobs of ``provider`` follow."""
        return self._progressions.get(provider, self._progressions["default"])

    def create(
        self,
        provider: str,
        *,
        owner: str,
        kind: str,
        params: Mapping[str, Any],
        result: Any = None,
        files: Mapping[str, bytes] | None = None,
        error: Any = None,
        webhook: WebhookSpec | None = None,
        job_id: str | None = None,
        progression: str | Progression | None = None,
    ) -> Job:
        """Store a job whose outcome is already known: success with ``result``/``files``, or failure when
        ``error`` is given. A matching :meth:`force` rule turns a would-be success into a failure or cancel.
        Returns the job as it stands at creation (final at once only for ``immediate``).
        """
        chosen = Progression.parse(progression) if progression is not None else self.progression_for(provider)
        if webhook is not None and chosen.kind == "polls":
            chosen = Progression("seconds", seconds=self._webhook_delay)
        digests = {name: self._blobs.put(data) for name, data in (files or {}).items()}
        job_id = job_id or str(uuid.uuid4())
        with self._db.write() as conn:
            now = self.clock.now(conn)
            outcome = JobState.SUCCEEDED if error is None else JobState.FAILED
            forced = self._rules.consume(conn, provider, params) if outcome is JobState.SUCCEEDED else None
            if forced is not None:
                outcome, error = forced.outcome, forced.error
            phase = chosen.phase(polls=0, elapsed=0.0)
            state = outcome if phase is Phase.FINAL else _unfinished(phase)
            ttl = self._ttl.get(provider, self._ttl.get("default"))
            try:
                conn.execute(
                    "INSERT INTO jobs (id, provider, owner, kind, params, result, error, files, outcome, state,"
                    " progression, created_at, finished_at, expires_at, due_at, webhook)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id, provider, owner, kind, json.dumps(params), json.dumps(result), json.dumps(error),
                        json.dumps(digests), outcome.value, state.value, str(chosen), now,
                        now if state.final else None,
                        None if ttl is None else now + ttl,
                        now + chosen.seconds if webhook is not None and not state.final else None,
                        None if webhook is None else json.dumps(asdict(webhook)),
                    ),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"a job with id {job_id!r} already exists") from None
            if state.final and webhook is not None:
                self._outbox.enqueue(conn, job_id, provider, webhook, self.clock.wall())
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if webhook is not None:
            self._start_dispatcher_if(True)
        return _job(row)

    def get(self, provider: str, job_id: str, *, owner: str | None, count_poll: bool = True) -> Job | None:
        """The job as a poll sees it, or None if unknown, another provider's, another owner's or expired.

        ``owner=None`` skips the owner check (for routes the provider leaves unscoped). Each call with
        ``count_poll`` counts one read toward ``polls:N``, exactly once even across processes, before the
        answer (so a test reading the count right after its poll finds it).
        """
        if count_poll:
            row = self._poll_final(provider, job_id, owner)
            if row is not None:
                self._start_dispatcher_if(self._dispatch_idle() and self._has_webhook_work(self._db.connection()))
                return _job(row)
        with self._db.write() as conn:
            now = self.clock.now(conn)
            row = _live_row(conn, provider, job_id, owner, now)
            if row is None:
                return None
            row = self._advance(conn, row, now, count_poll)
            pending = self._has_webhook_work(conn)
        self._start_dispatcher_if(pending)
        return _job(row)

    def _poll_final(self, provider: str, job_id: str, owner: str | None) -> sqlite3.Row | None:
        """The common poll, of a visible job that is already final: one atomic statement counting the poll
        and reading the row (nothing else can change). None sends the caller down the general path."""
        rows = self._db.connection().execute(
            f"UPDATE jobs SET polls = polls + 1 WHERE {_FINAL_AND_VISIBLE} RETURNING *",
            (job_id, provider, owner, owner, *_FINAL_STATES, self.clock.wall())
        ).fetchall()  # all rows: a RETURNING statement holds the write lock until it is stepped to its end
        return rows[0] if rows else None

    def _dispatch_idle(self) -> bool:
        """Whether a poll of a final job should look for webhook work another process left behind: not while
        this process's dispatcher runs (it looks by itself), and at most once per dispatch interval."""
        if not self._auto_dispatch or self._dispatcher.running:
            return False
        now = time.monotonic()
        if now - self._last_look < self._dispatch_interval:
            return False
        self._last_look = now
        return True

    def peek(self, provider: str, job_id: str, *, owner: str | None) -> Job | None:
        """Like :meth:`get` without counting a poll (time-based progressions still move on)."""
        return self.get(provider, job_id, owner=owner, count_poll=False)

    def list(self, provider: str, *, owner: str | None, offset: int = 0, limit: int | None = None) -> list[Job]:
        """The owner's live jobs of ``provider`` (every owner's for None), newest first; counts no poll."""
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("offset and limit must be >= 0")
        offset = min(offset, _SQLITE_MAX)  # a schema-valid huge offset simply pages past the end
        limit = None if limit is None else min(limit, _SQLITE_MAX)
        with self._db.write() as conn:
            now = self.clock.now(conn)
            rows = conn.execute(
                "SELECT * FROM jobs WHERE provider = ? AND (? IS NULL OR owner = ?)"
                " AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq DESC LIMIT ? OFFSET ?",
                (provider, owner, owner, now, -1 if limit is None else limit, offset),
            ).fetchall()
            rows = [self._advance(conn, row, now, count_poll=False) for row in rows]
            pending = self._has_webhook_work(conn)
        self._start_dispatcher_if(pending)
        return [_job(row) for row in rows]

    def count(self, provider: str, *, owner: str | None) -> int:
        """How many live jobs :meth:`list` would page through."""
        with self._db.read() as conn:
            now = self.clock.now(conn)
            (total,) = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE provider = ? AND (? IS NULL OR owner = ?)"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (provider, owner, owner, now),
            ).fetchone()
        return int(total)

    def file(self, job_id: str, name: str) -> bytes | None:
        """A result file of a live, succeeded job (result URLs carry no key, so no owner check)."""
        with self._db.read() as conn:
            now = self.clock.now(conn)
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or not _visible(row, None, now) or row["state"] != JobState.SUCCEEDED.value:
                return None
            digest = json.loads(row["files"]).get(name)
        return None if digest is None else self._blobs.get(digest)

    def cancel(self, provider: str, job_id: str, *, owner: str | None, error: Any = None) -> Job | None:
        """Cancel an unfinished job (its webhook fires); a final job is returned unchanged."""
        with self._db.write() as conn:
            now = self.clock.now(conn)
            row = _live_row(conn, provider, job_id, owner, now)
            if row is None:
                return None
            if not JobState(row["state"]).final:
                conn.execute(
                    "UPDATE jobs SET outcome = ?, error = ? WHERE id = ?",
                    (JobState.CANCELED.value, json.dumps(error), job_id),
                )
                row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
                row = self._finish(conn, row, now, finished_at=now)
        self._start_dispatcher_if(row["webhook"] is not None)
        return _job(row)

    def force(
        self,
        outcome: str | JobState = "failed",
        error: Any = None,
        *,
        provider: str | None = None,
        match: Match = None,
        times: int | None = 1,
    ) -> int:
        """Make the next ``times`` jobs (of ``provider``, or any; matching ``match``) that would succeed end
        ``failed`` with ``error`` or ``canceled``; ``times=None`` keeps the rule until :meth:`reset`. Rules are
        used oldest first, one per job. See :class:`~mockserver.jobs.forced.FaultRules` for ``match``.
        """
        with self._db.write() as conn:
            return self._rules.add(conn, outcome=outcome, error=error, provider=provider, match=match, times=times)

    def deliveries(self, job_id: str | None = None) -> builtins.list[DeliveryAttempt]:
        """Every webhook attempt recorded so far (by any process), oldest first."""
        return self._outbox.attempts(job_id)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every webhook that is due has been delivered or given up; False on timeout.

        For tests: jobs not yet due on the store clock (say, ``seconds:60`` not advanced) are not waited for.
        """
        self._start_dispatcher_if(self._auto_dispatch)
        deadline = time.monotonic() + timeout
        while True:
            with self._db.read() as conn:
                busy = self._has_webhook_work(conn)
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            self._dispatcher.wake()
            time.sleep(0.01)

    def start_dispatcher(self) -> None:
        """Start this process's webhook dispatcher now (it otherwise starts when there is work)."""
        with self._dispatcher_lock:
            self._dispatcher.start()

    def reset(self) -> None:
        """Forget every job, rule, delivery and file, and put the clock back to real time (tests)."""
        self._db.clear()
        self._blobs.clear()
        self._rules.forget()

    def close(self) -> None:
        """Stop the dispatcher and close this process's connections."""
        with self._dispatcher_lock:
            self._dispatcher.stop()
        self._db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _advance(self, conn: sqlite3.Connection, row: sqlite3.Row, now: float, count_poll: bool) -> sqlite3.Row:
        """Apply the job's progression to one read; the state only ever moves forward."""
        polls = row["polls"] + (1 if count_poll else 0)
        if count_poll:
            conn.execute("UPDATE jobs SET polls = ? WHERE id = ?", (polls, row["id"]))
        state = JobState(row["state"])
        if state.final:
            return _reread(conn, row) if count_poll else row
        progression = Progression.parse(row["progression"])
        phase = progression.phase(polls=polls, elapsed=now - row["created_at"])
        if phase is Phase.FINAL:
            finished_at = row["created_at"] + progression.seconds if progression.kind == "seconds" else now
            return self._finish(conn, row, now, finished_at=finished_at)
        if phase > _phase_of(state):
            conn.execute("UPDATE jobs SET state = ? WHERE id = ?", (_unfinished(phase).value, row["id"]))
        return _reread(conn, row) if count_poll or phase > _phase_of(state) else row

    def _finish(self, conn: sqlite3.Connection, row: sqlite3.Row, now: float, finished_at: float) -> sqlite3.Row:
        """Make the job final once (the WHERE guards against a second finisher) and queue its webhook."""
        cursor = conn.execute(
            "UPDATE jobs SET state = outcome, finished_at = ?, due_at = NULL WHERE id = ? AND state IN (?, ?)",
            (finished_at, row["id"], JobState.QUEUED.value, JobState.RUNNING.value),
        )
        if cursor.rowcount and row["webhook"] is not None:
            spec = WebhookSpec(**json.loads(row["webhook"]))
            self._outbox.enqueue(conn, row["id"], row["provider"], spec, self.clock.wall())
        return _reread(conn, row)

    def _finish_due(self) -> int:
        """Finish webhook jobs whose time has come (run by the dispatcher; reads do it too)."""
        with self._db.write() as conn:
            now = self.clock.now(conn)
            rows = conn.execute("SELECT * FROM jobs WHERE due_at IS NOT NULL AND due_at <= ?", (now,)).fetchall()
            for row in rows:
                self._advance(conn, row, now, count_poll=False)
        return len(rows)

    def _webhook_body(self, job_id: str) -> bytes | None:
        """The delivery body for a final job, expired or not; None if the job is gone."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = _job(row)
        builder = self._payloads.get(job.provider, Job.to_dict)
        payload = builder(job)
        if isinstance(payload, bytes):
            return payload
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def _has_webhook_work(self, conn: sqlite3.Connection) -> bool:
        """A webhook job due to finish, or a delivery pending (one statement: every read asks)."""
        (busy,) = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE due_at IS NOT NULL"
            " AND due_at <= ? + (SELECT offset FROM clock WHERE id = 1))"
            " OR EXISTS (SELECT 1 FROM outbox WHERE status = 'pending')", (self.clock.wall(),)).fetchone()
        return bool(busy)

    def _start_dispatcher_if(self, needed: bool) -> None:
        if needed and self._auto_dispatch and not self._dispatcher.running:
            self.start_dispatcher()
        if needed:
            self._dispatcher.wake()


def _progressions(config: str | Progression | Mapping[str, str | Progression]) -> dict[str, Progression]:
    """Parse every configured progression up front, so a typo fails at startup, not at the first job."""
    if isinstance(config, (str, Progression)):
        return {"default": Progression.parse(config)}
    parsed = {provider: Progression.parse(value) for provider, value in config.items()}
    parsed.setdefault("default", Progression.parse(DEFAULT_PROGRESSION))
    return parsed


def _live_row(
    conn: sqlite3.Connection, provider: str, job_id: str, owner: str | None, now: float
) -> sqlite3.Row | None:
    """The job's row if this provider and owner may see it now (unknown, foreign and expired look alike)."""
    row: sqlite3.Row | None = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None or row["provider"] != provider or not _visible(row, owner, now):
        return None
    return row


def _visible(row: sqlite3.Row, owner: str | None, now: float) -> bool:
    if owner is not None and row["owner"] != owner:
        return False
    return row["expires_at"] is None or now < row["expires_at"]


def _unfinished(phase: Phase) -> JobState:
    return JobState.RUNNING if phase is Phase.RUNNING else JobState.QUEUED


def _phase_of(state: JobState) -> Phase:
    if state.final:
        return Phase.FINAL
    return Phase.RUNNING if state is JobState.RUNNING else Phase.QUEUED


def _reread(conn: sqlite3.Connection, row: sqlite3.Row) -> sqlite3.Row:
    fresh: sqlite3.Row = conn.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
    return fresh


def _job(row: sqlite3.Row) -> Job:
    state = JobState(row["state"])
    succeeded = state is JobState.SUCCEEDED
    webhook = json.loads(row["webhook"]) if row["webhook"] is not None else None
    return Job(
        id=row["id"],
        provider=row["provider"],
        owner=row["owner"],
        kind=row["kind"],
        params=jsonbody.stored(row["params"]),
        state=state,
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        expires_at=row["expires_at"],
        polls=row["polls"],
        result=jsonbody.stored(row["result"]) if succeeded else None,
        error=json.loads(row["error"]) if state in (JobState.FAILED, JobState.CANCELED) else None,
        files=tuple(json.loads(row["files"])) if succeeded else (),
        webhook_url=None if webhook is None else webhook["url"],
    )
