"""SAM 2 and SAM 3 jobs through ``POST /v2/job``: masks against the synthetic scenes' ground truth, the job
JSON as the real API returns it, and every response checked against ``specs/prodia.yaml`` (``mock_http``)."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import numpy as np
import pytest
from PIL import Image
from prodia_support import (
    IN_PROCESS_ONLY,
    JOB_URL,
    encoded,
    input_part,
    iou,
    job_part,
    mask_array,
    post_job,
    read_multipart,
    segment,
)

import contracts
from contracts.generate.scenes import Scene, standard_scenes

SCENES = {s.name: s for s in standard_scenes()}
SPEC = contracts.spec("prodia").raw


def _best_iou(truth: np.ndarray, masks: list[np.ndarray]) -> float:
    return max((iou(truth, m == 255) for m in masks), default=0.0)


@IN_PROCESS_ONLY
@pytest.mark.parametrize("scene_name,job_type", [("plain-two", "inference.segment.v1"),
                                                  ("gradient-three", "inference.sam2.segment.v1"),
                                                  ("packshot-three", "inference.segment.v1")])
def test_sam2_finds_every_object_with_one_binary_mask_each(mock_http, job_type: str, scene_name: str) -> None:
    scene: Scene = SCENES[scene_name]
    response = segment(mock_http, {"type": job_type}, scene.encode("png"))
    assert response.status_code == 200, response.text
    body = read_multipart(response)
    masks = [mask_array(data) for _, _, data in body.outputs]
    assert masks, "SAM 2 returned no mask"
    for mask in masks:
        assert mask.shape == scene.image.shape[:2]
        assert set(np.unique(mask)) <= {SPEC["x-segmock-mask"]["background"], SPEC["x-segmock-mask"]["foreground"]}
    for obj in scene.objects:
        assert _best_iou(obj.mask, masks) >= 0.9, f"{obj.name} not found by SAM 2"
    assert body.job["type"] == job_type and body.job["config"] == {}


@IN_PROCESS_ONLY
@pytest.mark.parametrize("scene_name,colour,job_type", [("plain-two", "red", "inference.segment.v2"),
                                                         ("plain-two", "blue", "inference.sam3.segment.v1"),
                                                         ("gradient-three", "purple", "inference.segment.v2"),
                                                         ("packshot-three", "gold", "inference.sam3.segment.v1")])
def test_sam3_colour_prompt_matches_the_object(mock_http, scene_name: str, colour: str, job_type: str) -> None:
    scene = SCENES[scene_name]
    response = segment(mock_http, {"type": job_type, "config": {"prompt": colour}}, scene.encode("png"))
    assert response.status_code == 200, response.text
    body = read_multipart(response)
    masks = [mask_array(data) for _, _, data in body.outputs]
    assert len(masks) == 1
    assert iou(scene.object(colour).mask, masks[0] == 255) >= 0.9


@IN_PROCESS_ONLY
def test_sam3_prompt_that_matches_nothing_gives_a_job_part_and_no_output(mock_http) -> None:
    scene = SCENES["plain-two"]
    response = segment(mock_http, {"type": "inference.segment.v2", "config": {"prompt": "green"}}, scene.encode("png"))
    assert response.status_code == 200
    assert read_multipart(response).outputs == []


@IN_PROCESS_ONLY
def test_sam3_a_threshold_of_one_keeps_only_certain_matches(mock_http) -> None:
    scene = SCENES["plain-two"]
    def job(threshold: int) -> dict:
        return {"type": "inference.segment.v2", "config": {"prompt": "red", "confidence_threshold": threshold}}

    loose = segment(mock_http, job(0), scene.encode("png"))
    strict = segment(mock_http, job(1), scene.encode("png"))
    assert len(read_multipart(strict).outputs) <= len(read_multipart(loose).outputs)
    assert len(read_multipart(loose).outputs) >= 1


def test_job_part_is_the_job_json_the_real_api_returns(mock_http) -> None:
    scene = SCENES["plain-two"]
    response = segment(mock_http, {"type": "inference.sam3.segment.v1", "config": {"prompt": "red"}},
                       scene.encode("jpeg"))
    job = read_multipart(response).job
    assert list(job)[:8] == ["type", "created_at", "updated_at", "expires_at", "id", "state", "config", "metrics"]
    assert uuid.UUID(job["id"]).version == 4
    assert job["state"] == {"current": "completed", "history": None}
    assert job["config"] == {"prompt": "red", "confidence_threshold": 0.5}, "defaults are filled in"
    assert job["metrics"]["elapsed"] > 0 and "price" not in job
    created, expires = (dt.datetime.fromisoformat(job[k].replace("Z", "+00:00")) for k in ("created_at", "expires_at"))
    assert (expires - created).total_seconds() == SPEC["x-segmock-job-expiry"]["seconds"]
    assert job["created_at"].endswith("Z") and len(job["created_at"].split(".")[1]) == 4


def test_output_parts_are_named_pngs_after_the_job_part(mock_http) -> None:
    response = segment(mock_http, {"type": "inference.segment.v1"}, SCENES["plain-two"].encode("png"))
    raw = response.content
    assert raw.index(b'name="job"') < raw.index(b'name="output"')
    outputs = read_multipart(response).outputs
    assert [name for name, _, _ in outputs] == [f"output_{i}.png" for i in range(len(outputs))]
    assert {content_type for _, content_type, _ in outputs} == {"image/png"}


@IN_PROCESS_ONLY
def test_price_true_adds_the_price_object(mock_http) -> None:
    scene = SCENES["plain-two"]
    job = {"type": "inference.segment.v2", "config": {"prompt": "red"}}
    response = segment(mock_http, job, scene.encode("png"), url=JOB_URL + "?price=true")
    documented = SPEC["x-segmock-job-types"]["inference.segment.v2"]["price"]
    assert read_multipart(response).job["price"] == {"product": documented["product"], "dollars": documented["dollars"]}
    unpriced = segment(mock_http, job, scene.encode("png"), url=JOB_URL + "?price=false")
    assert "price" not in read_multipart(unpriced).job


@IN_PROCESS_ONLY
@pytest.mark.parametrize("order", ["job-first", "inputs-first"])
def test_part_order_does_not_matter(mock_http, order: str) -> None:
    image = SCENES["plain-two"].encode("png")
    job = {"type": "inference.segment.v2", "config": {"prompt": "blue"}}
    parts = [job_part(job), input_part(image, "input.png", "image/png")]
    response = post_job(mock_http, parts if order == "job-first" else parts[::-1])
    assert response.status_code == 200 and len(read_multipart(response).outputs) == 1


@IN_PROCESS_ONLY
@pytest.mark.parametrize("accept,fmt", [("multipart/form-data; image/png", "PNG"),
                                        ("multipart/form-data; image/jpeg", "JPEG"),
                                        ("multipart/form-data; image/webp", "WEBP"),
                                        (None, "PNG"), ("*/*", "PNG")])
def test_multipart_accept_variants_choose_the_output_format(mock_http, accept: str | None, fmt: str) -> None:
    response = segment(mock_http, {"type": "inference.segment.v2", "config": {"prompt": "red"}},
                       SCENES["plain-two"].encode("png"), accept=accept)
    assert response.headers["Content-Type"].startswith("multipart/form-data")
    [(_, _, data)] = read_multipart(response).outputs
    assert Image.open(io.BytesIO(data)).format == fmt


@pytest.mark.parametrize("accept,fmt", [("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/webp", "WEBP")])
def test_plain_image_accept_returns_the_first_mask_as_raw_bytes(mock_http, accept: str, fmt: str) -> None:
    scene = SCENES["plain-two"]
    job = {"type": "inference.segment.v2", "config": {"prompt": "red"}}
    raw = segment(mock_http, job, scene.encode("png"), accept=accept)
    assert raw.status_code == 200 and raw.headers["Content-Type"] == accept
    image = Image.open(io.BytesIO(raw.content))
    assert image.format == fmt and image.size == (scene.image.shape[1], scene.image.shape[0])
    if fmt == "PNG":
        multipart = read_multipart(segment(mock_http, job, scene.encode("png")))
        assert raw.content == multipart.outputs[0][2]


@IN_PROCESS_ONLY
def test_plain_image_accept_with_no_match_returns_an_empty_mask(mock_http) -> None:
    scene = SCENES["plain-two"]
    raw = segment(mock_http, {"type": "inference.segment.v2", "config": {"prompt": "green"}}, scene.encode("png"),
                  accept="image/png")
    assert raw.status_code == 200 and not mask_array(raw.content).any()


def test_json_accept_returns_the_job_alone(mock_http) -> None:
    response = segment(mock_http, {"type": "inference.segment.v1"}, SCENES["plain-two"].encode("png"),
                       accept="application/json")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["state"]["current"] == "completed"


@IN_PROCESS_ONLY
def test_extra_inputs_with_distinct_names_are_accepted_and_the_first_is_segmented(mock_http) -> None:
    red = SCENES["plain-two"]
    other = encoded(np.full((300, 300, 3), 30, np.uint8), "PNG")
    parts = [input_part(red.encode("png"), "a.png", "image/png"), input_part(other, "b.png", "image/png"),
             job_part({"type": "inference.segment.v2", "config": {"prompt": "red"}})]
    response = post_job(mock_http, parts)
    assert response.status_code == 200
    [(_, _, data)] = read_multipart(response).outputs
    assert iou(red.object("red").mask, mask_array(data) == 255) >= 0.9
