"""tengr state and rules: artworks in the shared job store, the key guard (scope, rate limit), result files.

Artworks live in the engine's SQLite store, so every worker of ``segmock serve --workers N`` answers for
artworks created through another; the rate-limit log sits beside it for the same reason.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from typing import Any

from contracts import HttpResponse
from contracts.check.providers.tengr import render_key

from ...config import MockConfig
from ...core.fetch import FetchError
from ...core.imagelimits import ImageProblem
from ...core.provider import explain, fetch_reason
from ...core.ratelimit import Decision
from ...core.services import JobSettings, Services, rate_scope
from ...jobs import Job, JobStore, WebhookSpec, owner_key
from . import artworks, settings

KIND = "segmentation"
REMOVE_BACKGROUND = "remove_background"

log = logging.getLogger("segmock")


def job_settings(config: MockConfig) -> JobSettings:
    """What the shared job store needs from tengr: 8-day retention, artwork payloads, the retry policy."""
    return JobSettings(ttl=settings.retention_seconds(), payload=artworks.artwork, delivery=settings.delivery_policy())


class TengrBackend:
    """Creates, finds and lists artworks per API key; guards keys; serves result files."""

    FINAL_BODIES = 1024  # encoded artworks kept for polls (a final artwork's JSON never changes again)

    def __init__(self, services: Services) -> None:
        self.services = services
        self._final_bodies: dict[tuple[Any, ...], bytes] = {}
        self._final_lock = threading.Lock()

    @property
    def jobs(self) -> JobStore:
        store: JobStore = self.services.jobs
        return store

    # -- guard ---------------------------------------------------------------------------------------------
    def guard(self, api_key: str | None, operation: str) -> HttpResponse | Decision | None:
        """403 for keys the mock treats as out of scope, then 429 beyond the rolling limit (spec check order);
        an admitted request carries its window to :meth:`rate_headers`."""
        key = api_key or ""
        if key.startswith(settings.forbidden_prefix()):
            return render_key("forbidden", operation)
        counted = self.services.rate_hit(settings.PROVIDER, key, operation)
        if counted is None:
            return None
        rule, decision = counted
        if decision.allowed:
            return decision
        return render_key("rate_limited", operation, headers=rule.on_refusal(decision))

    def rate_headers(self, api_key: str | None, admitted: Decision | None = None) -> dict[str, str]:
        """X-RateLimit-* for an admitted request, as @nestjs/throttler sends them: from the window the guard
        counted the request in (the window as it stands when there is none)."""
        rule = self.services.rate_rule(settings.PROVIDER)
        if rule is None or rule.limit is None:
            return {}
        scope = rate_scope(settings.PROVIDER, api_key or "")
        decision = admitted or self.services.rate_limiter.peek(scope, rule.limit, rule.window, time.time())
        return rule.on_success(decision)

    # -- artworks ------------------------------------------------------------------------------------------
    def create(self, api_key: str, params: dict[str, Any], base_url: str, kind: str = KIND) -> Job:
        """Fetch, decode and segment now; store the outcome (results, or the failure) for the progression."""
        artwork_id = str(uuid.uuid4())
        result: dict[str, Any] | None = None
        files: dict[str, bytes] = {}
        error: dict[str, str] | None = None
        try:
            files = self._masks(params) if kind == KIND else self._cutout(params)
            result = {"results": [f"{base_url}/v2/artworks/{artwork_id}/results/{name}" for name in files]}
        except FetchError as exc:
            log.warning("segmock: tengr artwork %s: imageUrl not fetched (%s): %s", artwork_id, exc.kind, exc)
            error = artworks.failure("image_too_large" if exc.kind == "too_large" else "image_url_unreachable",
                                     fetch_reason(exc))
        except ImageProblem as exc:
            too_big = exc.kind in ("image_too_large", "image_too_many_pixels")
            error = artworks.failure("image_too_large" if too_big else "image_invalid", str(exc))
        if error is not None:
            explain(f"the artwork will end failed: {error['message']}: {error.get('detail', '')}".rstrip(": "))
        webhook = params.get("webhook")
        return self.jobs.create(
            settings.PROVIDER, owner=owner_key(api_key), kind=kind, params=params, result=result, files=files,
            error=error, webhook=self._webhook(webhook, api_key) if webhook else None, job_id=artwork_id,
        )

    def _masks(self, params: dict[str, Any]) -> dict[str, bytes]:
        from ...core import images  # Pillow and numpy: with the first artwork, not at start-up or for a poll
        from . import render

        limits = settings.input_limits()
        data = self.services.fetch(params["imageUrl"], limits.max_bytes or 0)
        pixels = images.to_array(images.decode(data, limits))
        files: dict[str, bytes] = {}
        for index, mask in enumerate(render.select(self.services.segmenter, pixels, params)):
            extension, body = render.encode(render.finish(mask, params), params["outputFormat"])
            files[f"{index}.{extension}"] = body
        return files

    def _cutout(self, params: dict[str, Any]) -> dict[str, bytes]:
        """A remove-background artwork's one result: the salient subject on transparent pixels."""
        from ...core import images
        from . import render

        limits = settings.input_limits()
        decoded = images.decode(self.services.fetch(params["imageUrl"], limits.max_bytes or 0), limits)
        pixels = images.to_array(decoded)
        extension, body = render.encode_cutout(pixels, self.services.segmenter.salient(pixels).alpha,
                                               params["outputFormat"])
        return {f"0.{extension}": body}

    def _webhook(self, url: str, api_key: str) -> WebhookSpec:
        sig = settings.signature(self.services.config)
        return WebhookSpec(url, self.secret(api_key), header=sig.header, signature_format=sig.format)

    # -- webhook secret ------------------------------------------------------------------------------------
    def secret(self, api_key: str) -> str:
        """The secret signing this key's webhooks: the last rotated one, else the configured one."""
        count = int(self.services.counters.get(self._secret_scope(api_key), "rotations", 0))
        return self._derive(api_key, count) if count else self.services.config.webhook_secret

    def rotate_secret(self, api_key: str, org_id: str) -> str:
        """A new secret for the key's organisation (any ``org_id`` is the caller's; derived: see the spec)."""
        count = int(self.services.counters.add(self._secret_scope(api_key), "rotations", 1) or 0)
        return self._derive(api_key, count)

    @staticmethod
    def _secret_scope(api_key: str) -> str:
        return f"tengr-secret:{owner_key(api_key)}"

    def _derive(self, api_key: str, count: int) -> str:
        text = "\x1f".join((self.services.config.webhook_secret, owner_key(api_key), str(count)))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, api_key: str, artwork_id: str) -> Job | None:
        """One poll of the caller's own live artwork (None: unknown, foreign or expired alike)."""
        return self.jobs.get(settings.PROVIDER, artwork_id, owner=owner_key(api_key))

    def artwork_body(self, job: Job) -> bytes:
        """The artwork JSON of a poll, encoded; a final artwork's once (a client polls it again and again)."""
        if not job.state.final:
            return artworks.encoded(artworks.artwork(job))
        key = (job.id, job.state, job.finished_at, job.created_at)
        with self._final_lock:
            body = self._final_bodies.get(key)
        if body is None:
            body = artworks.encoded(artworks.artwork(job))
            with self._final_lock:
                if len(self._final_bodies) >= self.FINAL_BODIES:
                    self._final_bodies.clear()
                self._final_bodies[key] = body
        return body

    def list(self, api_key: str, offset: int, limit: int) -> list[Job]:
        return self.jobs.list(settings.PROVIDER, owner=owner_key(api_key), offset=offset, limit=limit)

    def result(self, artwork_id: str, name: str) -> tuple[bytes, str] | None:
        """A result file of a live, succeeded artwork and its media type."""
        media_type = settings.media_type_of(name.rpartition(".")[2])
        body = self.jobs.file(artwork_id, name) if media_type else None
        return None if body is None or media_type is None else (body, media_type)

    def reset(self) -> None:
        """Jobs and rate-limit windows are cleared by the services; the encoded artworks are tengr's own."""
        with self._final_lock:
            self._final_bodies.clear()

