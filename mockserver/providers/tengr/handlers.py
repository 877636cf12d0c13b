"""tengr's HTTP layer: read the call, ask the backend, answer with the artwork JSON tengr documents."""

from __future__ import annotations

from typing import Any

from flask import Response

from contracts.check.providers.tengr import render_key

from ...core.provider import Call, respond
from ...jobs import Job
from . import artworks, settings
from .models import REMOVE_BACKGROUND


def create(call: Call) -> Response:
    """``POST /v2/artworks/segmentation``: 202 with the artwork in ``starting``; the masks are already known."""
    job = call.backend.create(call.api_key, dict(call.params), call.base_url)
    return _json(artworks.artwork(job, as_accepted=True), 202, call.backend.rate_headers(call.api_key, call.admission))


def create_remove_background(call: Call) -> Response:
    """``POST /v2/artworks/remove-background``: the same artwork engine, one cut-out result."""
    job = call.backend.create(call.api_key, dict(call.params), call.base_url, kind=REMOVE_BACKGROUND)
    return _json(artworks.artwork(job, as_accepted=True), 202, call.backend.rate_headers(call.api_key, call.admission))


def rotate_webhook_secret(call: Call) -> Response:
    """``POST /v2/organizations/{orgId}/webhook-secret``: a new secret, which signs this key's webhooks from now."""
    secret = call.backend.rotate_secret(call.api_key, call.path_params["orgId"])
    return _json({"secret": secret}, 200, call.backend.rate_headers(call.api_key, call.admission))


def get(call: Call) -> Response:
    """``GET /v2/artworks/{id}``: one poll; 404 once expired, or for another key's artwork."""
    job = call.backend.get(call.api_key, call.path_params["id"])
    if job is None:
        return respond(render_key("not_found", call.operation))
    headers = call.backend.rate_headers(call.api_key, call.admission)
    reason = artworks.failure_reason(job) if job.error is not None else None
    if reason:
        headers[settings.failure_header()] = _latin1(reason)
        call.explain(reason)
    return _json(call.backend.artwork_body(job), 200, headers)


def list_artworks(call: Call) -> Response:
    """``GET /v2/artworks``: this key's live artworks, newest first, as a bare array."""
    jobs: list[Job] = call.backend.list(call.api_key, call.params["offset"], call.params["limit"])
    return _json([artworks.artwork(job) for job in jobs], 200, call.backend.rate_headers(call.api_key, call.admission))


def result(call: Call) -> Response:
    """``GET /v2/artworks/{id}/results/{name}``: a mask file (no key: storage URLs are fetched directly)."""
    found = call.backend.result(call.path_params["id"], call.path_params["name"])
    if found is None:
        return respond(render_key("not_found", call.operation))
    body, media_type = found
    return Response(body, status=200, content_type=media_type)


def _json(body: Any, status: int, headers: dict[str, str]) -> Response:
    """A JSON answer (``body`` already encoded, or to encode)."""
    data = body if isinstance(body, bytes) else artworks.encoded(body)
    return Response(data, status=status, headers=headers, content_type="application/json")


def _latin1(text: str) -> str:
    """HTTP header values are Latin-1; anything else is replaced rather than breaking the response."""
    return text.encode("latin-1", "replace").decode("latin-1")
