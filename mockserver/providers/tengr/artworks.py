"""A job of the shared engine, in tengr's words: the artwork object that create, get, list and webhooks show.

Pure functions of the :class:`~mockserver.jobs.Job`: whichever worker process answers or delivers builds the
same JSON, because everything it needs (parameters, result URLs) was stored with the job at creation.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ...jobs import Job, JobState
from . import settings

STATUS = {
    JobState.QUEUED: "starting",
    JobState.RUNNING: "processing",
    JobState.SUCCEEDED: "succeeded",
    JobState.FAILED: "failed",
    JobState.CANCELED: "canceled",
}


def iso(timestamp: float) -> str:
    """``2024-07-29T15:51:28.071Z``, the documented createdAt form (milliseconds, UTC)."""
    when = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def artwork(job: Job, *, as_accepted: bool = False) -> dict[str, Any]:
    """The artwork JSON. ``as_accepted`` renders the 202 answer: always ``starting``, as the docs show it,
    even when an ``immediate`` progression has already finished the job."""
    state = JobState.QUEUED if as_accepted else job.state
    finished = state.final and job.finished_at is not None
    duration = round(max(0.0, job.finished_at - job.created_at), 3) if finished and job.finished_at else 0
    results = list((job.result or {}).get("results", [])) if state is JobState.SUCCEEDED else []
    return {
        "id": job.id,
        "artworkType": job.kind,
        "parameters": dict(job.params),
        "duration": duration,
        "results": results,
        "status": STATUS[state],
        "createdAt": iso(job.created_at),
    }


def encoded(body: Any) -> bytes:
    """Artwork JSON as tengr sends it: compact, UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def failure_reason(job: Job) -> str | None:
    """The catalog message of a failed or canceled artwork, with the mock's own detail where it has one
    (mock-only diagnostic; tengr has no such field)."""
    error = job.error
    detail = error.get("detail") if isinstance(error, dict) else None
    if isinstance(error, dict):
        error = error.get("message") or error.get("key")
    if not isinstance(error, str) or not error:
        return None
    message = settings.catalog_message(error) or error
    return f"{message}: {detail}" if detail else message


def failure(key: str, detail: str | None = None) -> dict[str, str]:
    """A stored failure: the catalog key, its message, and why (``detail``: the mock's words, e.g. the host
    that could not be resolved)."""
    out = {"key": key, "message": settings.catalog_message(key) or key}
    if detail:
        out["detail"] = detail
    return out
