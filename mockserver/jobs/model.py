"""The engine's neutral vocabulary: job states, the job record, a webhook target.

Providers translate these words to their own (tengr ``starting/processing/succeeded``, SellerPic
``CREATED/RUNNING/SUCCESS``, Prodia ``processing/processed``); the engine never knows a provider's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    """Neutral lifecycle: queued → running → succeeded | failed | canceled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        """True once the job can no longer change."""
        return self in FINAL_STATES


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


@dataclass(frozen=True)
class WebhookSpec:
    """Where and how to announce a job's final state.

    The signature header carries ``signature_format.format(hex HMAC-SHA256 of the body keyed with secret)``,
    e.g. ``X-Tengr-Signature: sha256=<hex>``. The payload itself comes from the store's per-provider payload
    builder, not from here: any worker process may deliver, and a callable cannot travel between processes.
    """

    url: str
    secret: str
    header: str = "X-Segmock-Signature"
    signature_format: str = "sha256={}"


@dataclass(frozen=True)
class Job:
    """A job as a reader sees it now: ``result``/``files`` only once succeeded, ``error`` only once failed or
    canceled. Times are the store clock's epoch seconds; ``expires_at`` is None when the provider keeps jobs
    forever. ``id`` is random unless the caller passed one: deterministic responses derive from the request's
    content, never from ids.
    """

    id: str
    provider: str
    owner: str
    kind: str
    params: Mapping[str, Any]
    state: JobState
    created_at: float
    finished_at: float | None
    expires_at: float | None
    polls: int
    result: Any = None
    error: Any = None
    files: tuple[str, ...] = field(default=())
    webhook_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A neutral JSON-able view (the default webhook payload)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "kind": self.kind,
            "state": self.state.value,
            "params": dict(self.params),
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "expires_at": self.expires_at,
            "result": self.result,
            "error": self.error,
            "files": list(self.files),
        }
