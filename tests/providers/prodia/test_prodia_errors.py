"""Every refusal of ``POST /v2/job`` as the real API shapes it: 401 text, 429 with Retry-After (unknown job type,
rate limit), and 400 multipart job-errors for config and input problems — each checked against the spec."""

from __future__ import annotations

import json

import numpy as np
import pytest
from prodia_support import (
    AUTH,
    IN_PROCESS_ONLY,
    JOB_URL,
    Multipart,
    encoded,
    input_part,
    job_part,
    post_job,
    read_multipart,
    segment,
    solid,
)

import contracts

SPEC = contracts.spec("prodia").raw
SAM2 = {"type": "inference.segment.v1"}
SAM3 = {"type": "inference.segment.v2", "config": {"prompt": "red"}}
LIMITS = {name: SPEC["x-segmock-job-types"][name]["input"] for name in ("inference.segment.v1", "inference.segment.v2")}


def job_error(response) -> str:
    """The ``error`` of a 400 multipart job-error (the client throws "<error> (id: <id>)")."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("multipart/form-data")
    body: Multipart = read_multipart(response)
    assert body.outputs == [] and body.job["id"]
    return body.job["error"]


def test_bad_token_is_401_plain_text(mock_http, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mock_http.services.config, "api_keys", ("the-real-token",))
    response = segment(mock_http, SAM2, solid(300, 300), token="wrong")
    assert response.status_code == 401 and "token is invalid" in response.text
    assert not response.headers["Content-Type"].startswith("multipart/")


def test_missing_token_is_401_too(mock_http) -> None:
    response = segment(mock_http, SAM2, solid(300, 300), token=None)
    assert response.status_code == 401 and "token is invalid" in response.text


@pytest.mark.parametrize("job", [{"type": "inference.nope.v1"}, {"config": {}},
                                 {"type": "inference.flux-dev.txt2img.v9", "config": {"prompt": "x"}}])
def test_unknown_or_missing_job_type_is_429_with_retry_after(mock_http, job: dict) -> None:
    response = segment(mock_http, job, solid(300, 300))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == SPEC["x-segmock-errors"]["unknown_job_type"]["retry_after"]


def test_no_job_part_is_429_like_a_missing_type(mock_http) -> None:
    response = post_job(mock_http, [input_part(solid(300, 300))])
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_unknown_type_in_a_json_body_is_429(mock_http) -> None:
    response = mock_http.post(JOB_URL, json={"type": "inference.nope.v1", "config": {}}, headers=AUTH)
    assert response.status_code == 429


@pytest.mark.parametrize("config,pointer,detail", [
    ({"prompt": ""}, "/config/prompt", "minLength: got 0, want 1"),
    ({"prompt": "x" * 501}, "/config/prompt", "maxLength: got 501, want 500"),
    ({"prompt": "red", "confidence_threshold": 1.5}, "/config/confidence_threshold", "maximum: got 1.5, want 1"),
    ({"prompt": "red", "confidence_threshold": -0.1}, "/config/confidence_threshold", "minimum: got -0.1, want 0"),
    ({"prompt": 7}, "/config/prompt", "got integer, want string"),
    ({}, "/config", "missing property 'prompt'"),
    ({"prompt": "red", "points_per_side": 32}, "/config", "additional properties 'points_per_side' not allowed"),
])
def test_config_errors_are_400_job_errors_phrased_like_go_jsonschema(mock_http, config, pointer, detail) -> None:
    error = job_error(segment(mock_http, {"type": "inference.segment.v2", "config": config}, solid(300, 300)))
    assert error.startswith("jsonschema validation failed") and f"'{pointer}'" in error and error.endswith(detail)


def test_sam2_takes_no_config_keys(mock_http) -> None:
    error = job_error(segment(mock_http, {"type": "inference.segment.v1", "config": {"points_per_side": 32}},
                              solid(300, 300)))
    assert "points_per_side" in error


def test_two_job_parts_are_refused(mock_http) -> None:
    response = post_job(mock_http, [job_part(SAM2), input_part(solid(300, 300)), job_part(SAM2)])
    assert job_error(response) == SPEC["x-segmock-errors"]["multiple_job_parts"]["message"].format(count=2)


def test_inputs_must_use_distinct_filenames(mock_http) -> None:
    image = solid(300, 300)
    response = post_job(mock_http, [input_part(image, "a.png"), input_part(image, "a.png"), job_part(SAM2)])
    assert "a.png" in job_error(response)


def test_a_segment_job_without_input_is_refused(mock_http) -> None:
    assert job_error(post_job(mock_http, [job_part(SAM3)])) == SPEC["x-segmock-errors"]["missing_input"]["message"]


def test_ai_sdk_json_body_with_price_is_answered_missing_input(mock_http) -> None:
    """The exact shape ``@ai-sdk/prodia`` sends: JSON body, ``?price=true``, ``multipart/form-data; image/png``."""
    [example] = [e for e in SPEC["paths"]["/v2/job"]["post"]["x-segmock-request-examples"] if "json" in e]
    response = mock_http.post(JOB_URL + "?price=true", json=example["json"],
                              headers={**AUTH, "Accept": example["headers"]["Accept"]})
    assert job_error(response) == SPEC["x-segmock-errors"]["missing_input"]["message"]


@IN_PROCESS_ONLY
@pytest.mark.parametrize("job_type", list(LIMITS))
def test_images_below_the_minimum_side_are_refused(mock_http, job_type: str) -> None:
    limit = LIMITS[job_type]
    ok = segment(mock_http, {"type": job_type, **({"config": {"prompt": "x"}} if job_type.endswith("v2") else {})},
                 solid(limit["min_width"], limit["min_height"]))
    assert ok.status_code == 200
    small = segment(mock_http, {"type": job_type, **({"config": {"prompt": "x"}} if job_type.endswith("v2") else {})},
                    solid(limit["min_width"] - 1, limit["min_height"] + 50))
    assert "too small" in job_error(small)


@pytest.mark.parametrize("job_type", list(LIMITS))
def test_images_above_the_maximum_side_are_refused_before_decoding(mock_http, job_type: str) -> None:
    limit = LIMITS[job_type]
    job = {"type": job_type, **({"config": {"prompt": "x"}} if job_type.endswith("v2") else {})}
    wide = encoded(np.zeros((limit["min_height"], limit["max_width"] + 1), np.uint8), "PNG", optimize=True)
    error = job_error(segment(mock_http, job, wide))
    assert f"{limit['max_width'] + 1}x{limit['min_height']}" in error and "too large" in error


@IN_PROCESS_ONLY
def test_sam3_accepts_sizes_sam2_refuses(mock_http) -> None:
    side = LIMITS["inference.segment.v1"]["max_width"] + 1
    assert side <= LIMITS["inference.segment.v2"]["max_width"]
    image = encoded(np.zeros((LIMITS["inference.segment.v2"]["min_height"], side, 3), np.uint8), "PNG", optimize=True)
    assert segment(mock_http, SAM2, image).status_code == 400
    assert segment(mock_http, {"type": "inference.segment.v2", "config": {"prompt": "x"}}, image).status_code == 200


def test_files_over_the_byte_limit_are_refused(mock_http) -> None:
    limit = LIMITS["inference.segment.v1"]["max_bytes"]
    valid_png = solid(300, 300)
    oversized = valid_png + b"\0" * (limit + 1 - len(valid_png))
    error = job_error(segment(mock_http, SAM2, oversized))
    assert f"{limit + 1:,}" in error and f"{limit:,}" in error


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(mock_http, fmt: str) -> None:
    error = job_error(segment(mock_http, SAM2, solid(300, 300, fmt)))
    assert "unsupported input format" in error


@pytest.mark.parametrize("data", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_corrupt_input_is_refused(mock_http, data: bytes) -> None:
    assert job_error(segment(mock_http, SAM2, data)) == SPEC["x-segmock-errors"]["image_invalid"]["message"]


@IN_PROCESS_ONLY
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_documented_formats_are_accepted_whatever_the_part_says(mock_http, fmt: str) -> None:
    response = post_job(mock_http, [input_part(solid(300, 300, fmt), "image.jpg", "image/jpeg"), job_part(SAM2)])
    assert response.status_code == 200


def test_unsupported_accept_is_refused(mock_http) -> None:
    assert "Accept" in job_error(segment(mock_http, SAM2, solid(300, 300), accept="video/mp4"))


@IN_PROCESS_ONLY
def test_rate_limit_answers_429_with_retry_after(mock_http, monkeypatch: pytest.MonkeyPatch) -> None:
    # one window for the whole test, so a minute boundary cannot reset the count halfway
    monkeypatch.setitem(mock_http.services.config.rate_limits, "prodia", {"requests": 2, "window_seconds": 10**9})
    statuses = [segment(mock_http, SAM2, solid(300, 300)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = segment(mock_http, SAM2, solid(300, 300))
    assert limited.headers["Retry-After"] == str(SPEC["x-segmock-errors"]["rate_limited"]["retry_after"])
    other = segment(mock_http, SAM2, solid(300, 300), token="another-token")
    assert other.status_code == 200, "the limit is per token"


def test_error_ids_are_uuids_and_stable(mock_http) -> None:
    job = {"type": "inference.segment.v2", "config": {"prompt": ""}}
    first = read_multipart(segment(mock_http, job, solid(300, 300))).job
    again = read_multipart(segment(mock_http, job, solid(300, 300))).job
    assert first == again and json.dumps(first)
