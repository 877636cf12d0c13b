"""Prodia's HTTP layer: read the call, ask the backend, answer as ``inference.prodia.com/v2`` does.

The server core has already answered auth problems and contract violations (unknown type → 429, config →
400 job-error); handlers see well-formed jobs only.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from werkzeug.datastructures import Headers

from contracts import HttpResponse
from contracts.check.providers import error_response

from ...core.imagelimits import ImageProblem
from ...core.provider import Call
from . import render
from .accept import media_type, negotiate
from .models import ProdiaBackend


def create_job(call: Call) -> HttpResponse:
    """``POST /v2/job``: run the job and answer in the shape ``Accept`` asks for."""
    backend: ProdiaBackend = call.backend
    job = backend.job_request(call.sent)
    refused = backend.admit(call.api_key or "", call.operation)
    if refused is not None:
        return refused
    output = negotiate(call.request.headers.get("Accept"), job.kind.output_format)
    inputs = _inputs(call)
    first = inputs[0] if inputs else None
    try:
        outcome = backend.run(job, first, output.format, output.quality)
        if output.kind == "image" and not outcome.files:
            outcome.files.append(backend.blank(first, job, output.format, output.quality))
    except ImageProblem as problem:
        call.explain(str(problem))
        return backend.image_refusal(problem, job, call.operation)
    price = call.params.get("price") is True
    job_id = backend.sync_id(job, inputs, output, price)
    return render.completed(backend.sync_json(job, job_id, price), outcome.files, outcome.names, output)


def create_async_job(call: Call) -> HttpResponse:
    """``POST /v2/job/async``: 400 unless the job type permits async; else store the job and answer 201."""
    backend: ProdiaBackend = call.backend
    job = backend.job_request(call.sent)
    if not backend.async_permitted(job.kind):
        return error_response("prodia", "async_not_permitted", call.operation, values={"type": job.sent_type})
    refused = backend.admit(call.api_key or "", call.operation)
    if refused is not None:
        return refused
    inputs = _inputs(call)
    try:
        outcome = backend.run(job, inputs[0] if inputs else None, job.kind.output_format)
    except ImageProblem as problem:
        call.explain(str(problem))
        return backend.image_refusal(problem, job, call.operation)
    created = backend.create_async(call.api_key or "", job, outcome, call.params.get("price") is True)
    return _json(201, backend.async_json(created))


def job_state(call: Call) -> Any:
    """``GET …/job.state.current``: the bare state word (each read counts as a poll)."""
    found = call.backend.async_job(call.api_key or "", call.path_params["id"], poll=True)
    if found is None:
        return error_response("prodia", "not_found", call.operation)
    state = call.backend.async_json(found)["state"]["current"]
    return Response(state, status=200, content_type="text/plain; charset=utf-8")


def job_json(call: Call) -> HttpResponse:
    """``GET …/job.json``: the full job JSON (counts as a poll too)."""
    found = call.backend.async_job(call.api_key or "", call.path_params["id"], poll=True)
    if found is None:
        return error_response("prodia", "not_found", call.operation)
    return _json(200, call.backend.async_json(found))


def list_outputs(call: Call) -> HttpResponse:
    """``GET …/output``: the output names, ``[]`` until the job is processed."""
    found = call.backend.async_job(call.api_key or "", call.path_params["id"], poll=False)
    if found is None:
        return error_response("prodia", "not_found", call.operation)
    return _json(200, list(found.files))


def get_output(call: Call) -> HttpResponse:
    """``GET …/output/<filename>``: one mask; 404 for a name the job does not have (yet)."""
    backend: ProdiaBackend = call.backend
    found = backend.async_job(call.api_key or "", call.path_params["id"], poll=False)
    data = backend.output_file(found, call.path_params["filename"]) if found is not None else None
    if found is None or data is None:
        return error_response("prodia", "not_found", call.operation)
    kind = backend.facts.types[found.kind]
    return HttpResponse(200, Headers({"Content-Type": media_type(kind.output_format)}), data)


def _inputs(call: Call) -> list[bytes]:
    """The bytes of every ``input`` part, in order (a JSON body has none). A part sent without a filename is
    still an input: its text is checked as an image like any other (and refused as one)."""
    if not call.ctx.request.is_form:
        return []
    fields, files = call.ctx.request.form_parts()
    return [part.data for part in files.getlist("input")] + [text.encode() for text in fields.getlist("input")]


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, Headers({"Content-Type": "application/json"}), render.job_json(payload))
