"""``/v2/job/async`` on the shared job engine: refused by default (the spec's documented decision), and the full
flow when the server permits async for segment jobs (``--prodia-async-segment``)."""

from __future__ import annotations

import pytest
from prodia_support import (
    ASYNC_URL,
    AUTH,
    IN_PROCESS_ONLY,
    TOKEN,
    input_part,
    iou,
    job_part,
    mask_array,
    post_job,
    solid,
)

import contracts
from contracts.generate.scenes import standard_scenes
from mockserver.providers.prodia.models import ASYNC_FLAG

SPEC = contracts.spec("prodia").raw
SCENE = next(s for s in standard_scenes() if s.name == "plain-two")
SAM3 = {"type": "inference.segment.v2", "config": {"prompt": "red"}}


@pytest.fixture
def permitted(mock_http, monkeypatch: pytest.MonkeyPatch):
    """The mock as ``segmock serve --prodia-async-segment`` runs it."""
    monkeypatch.setitem(mock_http.services.config.extra, ASYNC_FLAG, True)
    return mock_http


def create(mock, job=SAM3, image: bytes | None = None, query: str = "", token: str = TOKEN):
    return post_job(mock, [job_part(job), input_part(image or SCENE.encode("png"))], accept=None,
                    url=ASYNC_URL + query, token=token)


def url(job_id: str, tail: str) -> str:
    return f"{ASYNC_URL}/{job_id}/{tail}"


@pytest.mark.parametrize("job", [SAM3, {"type": "inference.sam2.segment.v1"}])
def test_segment_jobs_do_not_permit_async_by_default(mock_http, job) -> None:
    response = create(mock_http, job)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == SPEC["x-segmock-errors"]["async_not_permitted"]["message"].format(type=job["type"])
    assert body["id"]


@IN_PROCESS_ONLY
def test_async_config_errors_are_json_job_errors(permitted) -> None:
    response = create(permitted, {"type": "inference.segment.v2", "config": {"prompt": ""}})
    assert response.status_code == 400 and "minLength" in response.json()["error"]


def test_the_whole_async_flow(permitted) -> None:
    created = create(permitted, query="?price=true")
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["state"]["current"] == "processing" and "price" not in job
    states = []
    for _ in range(5):
        state = permitted.get(url(job["id"], "job.state.current"), headers=AUTH)
        assert state.status_code == 200 and state.headers["Content-Type"].startswith("text/plain")
        states.append(state.text)
        if state.text == "processed":
            break
    assert states[0] == "processing" and states[-1] == "processed"
    full = permitted.get(url(job["id"], "job.json"), headers=AUTH).json()
    assert full["id"] == job["id"] and full["state"]["current"] == "processed"
    assert full["config"] == {"prompt": "red", "confidence_threshold": 0.5}
    assert full["price"]["product"] == SPEC["x-segmock-job-types"]["inference.segment.v2"]["price"]["product"]
    names = permitted.get(url(job["id"], "output"), headers=AUTH).json()
    assert names == ["output_0.png"]
    mask = permitted.get(url(job["id"], f"output/{names[0]}"), headers=AUTH)
    assert mask.status_code == 200 and mask.headers["Content-Type"] == "image/png"
    assert iou(SCENE.object("red").mask, mask_array(mask.content) == 255) >= 0.9


@IN_PROCESS_ONLY
def test_outputs_are_listed_empty_while_processing(permitted) -> None:
    job = create(permitted).json()
    assert permitted.get(url(job["id"], "output"), headers=AUTH).json() == []
    assert permitted.get(url(job["id"], "output/output_0.png"), headers=AUTH).status_code == 404


@IN_PROCESS_ONLY
def test_jobs_are_404_after_expiry(permitted) -> None:
    job = create(permitted).json()
    assert permitted.get(url(job["id"], "job.json"), headers=AUTH).status_code == 200
    permitted.services.jobs.clock.advance(SPEC["x-segmock-job-expiry"]["seconds"])
    for tail in ("job.state.current", "job.json", "output", "output/output_0.png"):
        gone = permitted.get(url(job["id"], tail), headers=AUTH)
        assert gone.status_code == 404 and gone.text == SPEC["x-segmock-errors"]["not_found"]["message"]


@IN_PROCESS_ONLY
def test_unknown_ids_and_other_tokens_get_404(permitted) -> None:
    job = create(permitted).json()
    assert permitted.get(url("not-a-job", "job.json"), headers=AUTH).status_code == 404
    other = {"Authorization": "Bearer someone-else"}
    assert permitted.get(url(job["id"], "job.state.current"), headers=other).status_code == 404


@IN_PROCESS_ONLY
def test_async_routes_need_a_token(permitted) -> None:
    job = create(permitted).json()
    response = permitted.get(url(job["id"], "job.state.current"))
    assert response.status_code == 401 and "token is invalid" in response.text


@IN_PROCESS_ONLY
def test_a_failed_job_reports_failed_and_its_error(permitted) -> None:
    permitted.services.jobs.force("failed", "segmentation failed", provider="prodia")
    job = create(permitted).json()
    for _ in range(5):
        if permitted.get(url(job["id"], "job.state.current"), headers=AUTH).text == "failed":
            break
    full = permitted.get(url(job["id"], "job.json"), headers=AUTH).json()
    assert full["state"]["current"] == "failed" and full["error"] == "segmentation failed" and "price" not in full
    assert permitted.get(url(job["id"], "output"), headers=AUTH).json() == []


@IN_PROCESS_ONLY
def test_async_input_problems_are_json_job_errors(permitted) -> None:
    response = create(permitted, image=solid(100, 300))
    assert response.status_code == 400 and "too small" in response.json()["error"]


@IN_PROCESS_ONLY
def test_open_async_job_limit_is_429(permitted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(permitted.services.config.rate_limits, "prodia", {"async_jobs": 1})
    assert create(permitted).status_code == 201
    limited = create(permitted)
    assert limited.status_code == 429 and limited.text == SPEC["x-segmock-errors"]["async_limit_exceeded"]["message"]
    assert "Retry-After" in limited.headers
