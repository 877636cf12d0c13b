"""Prodia's state and logic: run a job (segment or stand-in), build its job JSON, keep async jobs, limits.

Everything documented (limits, expiry, prices, timings, names) comes from ``facts`` (the spec); async jobs live
in the shared job store, so ``--workers N`` agree on them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

import contracts
from contracts import HttpResponse
from contracts.check.providers import error_response

from ...config import parse_clock
from ...core import images
from ...core.imagelimits import ImageProblem
from ...core.services import Services
from ...jobs import Job, JobState, owner_key
from . import settings, standin
from .accept import Output
from .render import encode_image, from_epoch, mask_pixels, output_names, timestamp

ASYNC_FLAG = "prodia.async_segment"  # MockConfig.extra key; `segmock serve --prodia-async-segment` sets it
ASYNC_STATES = {JobState.QUEUED: "processing", JobState.RUNNING: "processing", JobState.SUCCEEDED: "processed",
                JobState.FAILED: "failed", JobState.CANCELED: "failed"}


@dataclass(frozen=True)
class JobRequest:
    """A job as the client sent it, with its canonical type and the config echoed back (defaults filled)."""

    sent_type: str
    kind: settings.JobType
    config: dict[str, Any]

    def canonical(self) -> dict[str, Any]:
        return {"type": self.sent_type, "config": self.config}


@dataclass(frozen=True)
class Outcome:
    """A finished job's outputs (file bytes, in order) and their names."""

    files: list[bytes]
    names: list[str]


class ProdiaBackend:
    """Runs jobs and keeps async ones; one per app (see ``Services.backends``)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.facts = settings.load()

    # -- jobs ----------------------------------------------------------------------------------------------
    def job_request(self, sent: dict[str, Any]) -> JobRequest:
        """The job object of a multipart ``job`` part or a JSON body (validated already by the contract)."""
        nested = sent.get("job")
        job: dict[str, Any] = nested if isinstance(nested, dict) else sent
        kind = self.facts.job_type(job["type"])
        assert kind is not None, "the contract check refuses unknown job types"
        config = {**kind.config_defaults, **(job.get("config") or {})}
        return JobRequest(job["type"], kind, config)

    def async_permitted(self, kind: settings.JobType) -> bool:
        """The spec's permit, or the server's ``--prodia-async-segment`` for the segment types."""
        return kind.async_permitted or (kind.segments and bool(self.services.config.extra.get(ASYNC_FLAG)))

    def run(self, job: JobRequest, image_data: bytes | None, fmt: str, quality: int | None = None) -> Outcome:
        """Compute the outputs: one mask per region/match, or the stand-in scene. Raises ``ImageProblem``."""
        if not job.kind.segments:
            size = job.config.get("resolution") or f'{job.config.get("width", 1024)}x{job.config.get("height", 1024)}'
            scene = standin.scene(job.config["prompt"], size)
            files = [encode_image(scene.image, fmt, quality)]
        else:
            assert job.kind.limits is not None and image_data is not None
            pixels = images.to_array(images.decode(image_data, job.kind.limits))
            files = [encode_image(mask_pixels(mask, self.facts.foreground, self.facts.background), fmt, quality)
                     for mask in self._masks(job, pixels)]
        return Outcome(files, output_names(self.facts.output_name, len(files), fmt))

    def _masks(self, job: JobRequest, pixels: np.ndarray) -> list[np.ndarray]:
        segmenter = self.services.segmenter
        if not job.kind.prompted:
            return [d.mask for d in segmenter.everything(pixels)]
        threshold = float(job.config["confidence_threshold"])
        return [d.mask for d in segmenter.text(pixels, job.config["prompt"]) if d.score >= threshold]

    def blank(self, image_data: bytes | None, job: JobRequest, fmt: str, quality: int | None = None) -> bytes:
        """An all-background mask of the input's size (the raw-image answer when nothing was found)."""
        assert job.kind.limits is not None and image_data is not None
        info = images.check(image_data, job.kind.limits)
        return encode_image(np.full((info.height, info.width), self.facts.background, np.uint8), fmt, quality)

    # -- job JSON ------------------------------------------------------------------------------------------
    def sync_id(self, job: JobRequest, inputs: list[bytes], output: Output, price: bool) -> str:
        """A UUID v4 from what the client sent: the same request gets the same id on any machine."""
        h = hashlib.sha256(json.dumps(job.canonical(), sort_keys=True).encode())
        for data in inputs:
            h.update(hashlib.sha256(data).digest())
        h.update(f"{output.kind}:{output.format}:{output.quality}:{price}".encode())
        digest = bytearray(h.digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x40
        digest[8] = (digest[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(digest)))

    def job_json(self, job: JobRequest, job_id: str, created: dt.datetime, state: dict[str, Any],
                 finished: dt.datetime | None, price: bool, error: str | None = None) -> dict[str, Any]:
        """The job JSON in the live capture's key order; ``price`` only for a successful priced job."""
        out: dict[str, Any] = {
            "type": job.sent_type,
            "created_at": timestamp(created),
            "updated_at": timestamp(finished or created),
            "expires_at": timestamp(created + dt.timedelta(seconds=self.facts.expiry_seconds)),
            "id": job_id,
            "state": state,
            "config": job.config,
            "metrics": {"elapsed": job.kind.elapsed if finished is not None else 0},
        }
        if error is not None:
            out["error"] = error
        if price and finished is not None and error is None:
            out["price"] = dict(job.kind.price)
        return out

    def sync_json(self, job: JobRequest, job_id: str, price: bool) -> dict[str, Any]:
        frozen = parse_clock(self.services.config.clock)
        created = from_epoch(frozen) if frozen is not None else dt.datetime.now(dt.UTC)
        finished = created + dt.timedelta(seconds=job.kind.elapsed)
        return self.job_json(job, job_id, created, {"current": "completed", "history": None}, finished, price)

    # -- async ---------------------------------------------------------------------------------------------
    def create_async(self, api_key: str, job: JobRequest, outcome: Outcome, price: bool) -> Job:
        params = {"type": job.sent_type, "config": job.config, "price": price}
        return self.services.jobs.create("prodia", owner=owner_key(api_key), kind=job.kind.name, params=params,
                                         files=dict(zip(outcome.names, outcome.files)))

    def async_job(self, api_key: str, job_id: str, *, poll: bool) -> Job | None:
        """The caller's live async job, or None when unknown, another token's, or past ``expires_at``."""
        store = self.services.jobs
        found = store.get("prodia", job_id, owner=owner_key(api_key), count_poll=poll)
        if found is None or store.clock.now() >= found.created_at + self.facts.expiry_seconds:
            return None
        return found

    def async_json(self, found: Job) -> dict[str, Any]:
        kind = self.facts.types[found.kind]
        job = JobRequest(found.params["type"], kind, dict(found.params["config"]))
        current = ASYNC_STATES[found.state]
        error = None
        if current == "failed":
            error = found.error if isinstance(found.error, str) and found.error else "job failed"
        finished = from_epoch(found.finished_at) if found.finished_at is not None else None
        return self.job_json(job, found.id, from_epoch(found.created_at), {"current": current, "history": None},
                             finished, bool(found.params.get("price")), error)

    def output_file(self, found: Job, name: str) -> bytes | None:
        return self.services.jobs.file(found.id, name) if name in found.files else None

    # -- limits --------------------------------------------------------------------------------------------
    def admit(self, api_key: str, operation: str) -> HttpResponse | None:
        """429 when the configured request rate or open-async-job limit is exceeded (off by default)."""
        owner = owner_key(api_key)
        counted = self.services.rate_hit("prodia", api_key, operation)
        if counted is not None and not counted[1].allowed:
            rule, decision = counted
            return error_response("prodia", "rate_limited", operation, headers=rule.on_refusal(decision))
        limits = self.services.rate_rule("prodia")
        if operation == "create-async-job" and limits is not None and limits.async_jobs is not None:
            open_jobs = [j for j in self.services.jobs.list("prodia", owner=owner) if not j.state.final]
            if len(open_jobs) >= limits.async_jobs:
                return error_response("prodia", "async_limit_exceeded", operation)
        return None

    def image_refusal(self, problem: ImageProblem, job: JobRequest, operation: str) -> HttpResponse:
        """The catalog's answer to an unusable input, its placeholders filled from the limits and the image."""
        node = job.kind.input_node
        values = {**settings.plain(node), **problem.detail}
        values.setdefault("bytes", values.get("size", ""))
        values.setdefault("width", "?")
        values.setdefault("height", "?")
        kind = problem.kind if problem.kind in contracts.spec("prodia").errors else "image_invalid"
        return error_response("prodia", kind, operation, values=values, seed=str(sorted(values.items())))

    def reset(self) -> None:
        """Jobs and counters are cleared by the services; nothing else is held here."""

