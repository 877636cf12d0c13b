"""SellerPic's whole flow over HTTP (in-process and live): upload → task → poll → download URL → mask."""

from __future__ import annotations

from typing import Any as MockHttp

import numpy as np
import pytest
from sellerpic_support import (
    API,
    AUTH,
    clock,
    download,
    file_key,
    finish,
    iou,
    item,
    mask_of,
    masks_of,
    multipart,
    ok,
    packshot,
    png,
    poll,
    prompt_task,
    refused,
    two_objects,
    type_task,
    upload,
)


def test_prompt_segmentation_end_to_end_matches_the_scene(mock_http: MockHttp) -> None:
    scene = two_objects()
    key = file_key(mock_http, scene.encode("png"))
    assert key.startswith("UPLOAD/") and key.endswith(".png")
    task_id = ok(prompt_task(mock_http, key, "red"))["id"]
    first = item(mock_http, task_id)
    assert first["status"] == "RUNNING" and first["fileUrl"] is None and first["id"] != task_id
    done = finish(mock_http, task_id)
    assert done["status"] == "SUCCESS" and (done["errorCode"], done["errorMsg"]) == (None, None)
    url = ok(download(mock_http, done["id"]))
    assert url["name"] == f"{done['id']}.png" and url["status"] == "SUCCESS"
    mask = mask_of(mock_http.get(url["fileUrl"]))
    assert mask.shape == scene.image.shape[:2]
    assert set(np.unique(mask)) <= {0, 255}
    assert iou(mask == 255, scene.object("red").mask) >= 0.9


def test_a_task_is_created_before_it_runs_and_counts_each_poll(mock_http: MockHttp) -> None:
    key = file_key(mock_http, packshot(96, 72).encode("png"))
    task_id = ok(prompt_task(mock_http, key))["id"]
    assert mock_http.services.jobs.peek("sellerpic", task_id, owner=None).state.value == "queued"
    assert [item(mock_http, task_id)["status"] for _ in range(3)] == ["RUNNING", "SUCCESS", "SUCCESS"]


def test_download_formats_carry_the_same_mask(mock_http: MockHttp) -> None:
    scene = packshot()
    done = finish(mock_http, ok(prompt_task(mock_http, file_key(mock_http, scene.encode("png"))))["id"])
    reference = mask_of(mock_http.get(done["fileUrl"])) > 127
    for fmt, content_type in (("webp", "image/webp"), ("jpg", "image/jpeg")):
        response = mock_http.get(ok(download(mock_http, done["id"], fmt))["fileUrl"])
        assert response.headers["content-type"] == content_type
        assert iou(mask_of(response) > 127, reference) >= 0.99


def test_uhd_scales_the_mask_to_4096_on_its_longest_side(mock_http: MockHttp) -> None:
    scene = packshot(96, 72)
    done = finish(mock_http, ok(prompt_task(mock_http, file_key(mock_http, scene.encode("png"))))["id"])
    mask = mask_of(mock_http.get(ok(download(mock_http, done["id"], uhd="true"))["fileUrl"]))
    assert mask.shape == (3072, 4096)
    assert set(np.unique(mask)) <= {0, 255}


def test_download_url_is_stable_for_12_hours_then_403(mock_http: MockHttp) -> None:
    done = finish(mock_http, ok(prompt_task(mock_http, file_key(mock_http, packshot(96, 72).encode("png"))))["id"])
    first = ok(download(mock_http, done["id"]))["fileUrl"]
    assert first == done["fileUrl"] == ok(download(mock_http, done["id"]))["fileUrl"]
    assert ok(download(mock_http, done["id"], "webp"))["fileUrl"] != first
    clock(mock_http).advance(12 * 3600 - 5)
    assert mock_http.get(first).status_code == 200
    assert ok(download(mock_http, done["id"]))["fileUrl"] == first
    clock(mock_http).advance(10)
    expired = mock_http.get(first)
    assert expired.status_code == 403 and expired.headers["content-type"].startswith("application/xml")
    assert b"<Code>AccessDenied</Code>" in expired.content
    fresh = ok(download(mock_http, done["id"]))["fileUrl"]
    assert fresh != first and mock_http.get(fresh).status_code == 200


def test_an_unknown_file_token_is_403(mock_http: MockHttp) -> None:
    response = mock_http.get("https://api.sellerpic.ai/v1/storage/files/0123456789abcdef0123456789abcdef")
    assert response.status_code == 403 and b"AccessDenied" in response.content


def test_same_upload_request_gives_the_same_data_and_its_own_trace_id(mock_http: MockHttp) -> None:
    data = packshot().encode("png")
    body, headers = multipart(data)
    first = mock_http.post(f"{API}/upload", content=body, headers=headers)
    second = mock_http.post(f"{API}/upload", content=body, headers=headers)
    assert ok(first)["fileKey"] and ok(first) == ok(second)
    assert first.json()["traceId"].isalnum() and len(first.json()["request_id"]) == 32
    assert first.json()["traceId"] != second.json()["traceId"]


def test_each_poll_has_its_own_trace_id(mock_http: MockHttp) -> None:
    """traceId identifies a request (derived from the request and its sequence number on the server)."""
    task_id = ok(prompt_task(mock_http, file_key(mock_http, packshot(96, 72).encode("png"))))["id"]
    finish(mock_http, task_id)
    one, two = poll(mock_http, task_id).json(), poll(mock_http, task_id).json()
    assert one["traceId"] != two["traceId"] and one["data"] == two["data"]


def test_the_documented_sample_key_needs_no_upload(mock_http: MockHttp) -> None:
    task_id = ok(prompt_task(mock_http, "UPLOAD/MANAGE/SAMPLE/product/1-original.png", "sofa"))["id"]
    assert finish(mock_http, task_id)["status"] == "SUCCESS"


def test_keys_and_tasks_belong_to_their_account(mock_http: MockHttp) -> None:
    other = {"Authorization": "Bearer someone-else"}
    key = file_key(mock_http, packshot(96, 72).encode("png"))
    refused(prompt_task(mock_http, key, headers=other), 404, 404)
    task_id = ok(prompt_task(mock_http, key))["id"]
    refused(poll(mock_http, task_id, headers=other), 404, 404)
    other_key = ok(upload(mock_http, packshot(96, 72).encode("png"), headers=other))["fileKey"]
    assert other_key != key


def test_segment_by_type_product_and_background_are_complements(mock_http: MockHttp) -> None:
    scene = packshot()
    data = scene.encode("png")
    product = masks_of(mock_http, data, lambda m, k: type_task(m, k, "PRODUCT")) == 255
    background = masks_of(mock_http, data, lambda m, k: type_task(m, k, "BACKGROUND")) == 255
    assert iou(product, scene.object("red").mask) >= 0.9
    assert (product ^ background).all()


def test_expand_pixels_grows_the_mask_by_that_many_pixels(mock_http: MockHttp) -> None:
    scene = packshot()
    data = scene.encode("png")
    base = masks_of(mock_http, data, lambda m, k: type_task(m, k, "PRODUCT", 0)) == 255
    grown = masks_of(mock_http, data, lambda m, k: type_task(m, k, "PRODUCT", 10)) == 255
    assert (grown >= base).all() and grown.sum() > base.sum()
    rows = np.flatnonzero(base.any(axis=1))
    middle = rows[len(rows) // 2]
    right = np.flatnonzero(base[middle])[-1]
    assert grown[middle, right + 10] and not grown[middle, right + 12]


@pytest.mark.parametrize("body", [
    {"type": "PRODUCT", "expandPixels": 101},
    {"type": "PRODUCT", "expandPixels": -1},
    {"type": ""},
    {"expandPixels": 0},
])
def test_segment_by_type_rejects_unknown_types_and_ranges(mock_http: MockHttp, body: dict) -> None:
    key = file_key(mock_http, png(np.full((20, 20, 3), 90, np.uint8)))
    response = mock_http.post(f"{API}/generate/segmentImage", json={"imageKey": key, **body}, headers=AUTH)
    refused(response, 200, 20001)


def test_segment_by_type_has_its_own_2000px_limit(mock_http: MockHttp) -> None:
    key = file_key(mock_http, png(np.full((10, 2001, 3), 90, np.uint8)))
    refused(type_task(mock_http, key, "PRODUCT"), 200, 20005)
    ok(prompt_task(mock_http, key))


def test_usage_is_free_for_segmentation(mock_http: MockHttp) -> None:
    assert ok(mock_http.get(f"{API}/usage", headers=AUTH)) == {"remaining": 1000, "total": 1000, "usage": 0}
    finish(mock_http, ok(prompt_task(mock_http, file_key(mock_http, packshot(96, 72).encode("png"))))["id"])
    assert ok(mock_http.get(f"{API}/usage", headers=AUTH))["usage"] == 0
