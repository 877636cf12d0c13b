"""Prodia's URL map: operationId → handler (paths and methods come from ``specs/prodia.yaml``)."""

from __future__ import annotations

from ...core.provider import on_first_call

handlers = on_first_call(f"{__package__}.handlers")

URLS = {
    "create-job": handlers.create_job,
    "create-async-job": handlers.create_async_job,
    "get-async-job-state": handlers.job_state,
    "get-async-job-json": handlers.job_json,
    "list-async-job-outputs": handlers.list_outputs,
    "get-async-job-output": handlers.get_output,
}
