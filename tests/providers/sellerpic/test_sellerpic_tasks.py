"""SellerPic tasks: ids of the right kind, concurrency (30003), credits and refunds, failed items."""

from __future__ import annotations

from typing import Any as MockHttp

import pytest
from sellerpic_support import (
    API,
    AUTH,
    backend,
    download,
    file_key,
    finish,
    item,
    ok,
    packshot,
    poll,
    prompt_task,
    refused,
    type_task,
)


@pytest.fixture
def key(mock_http: MockHttp) -> str:
    return file_key(mock_http, packshot(80, 60).encode("png"))


def usage(mock: MockHttp) -> dict:
    return ok(mock.get(f"{API}/usage", headers=AUTH))


def test_a_task_id_is_not_a_result_id(mock_http: MockHttp, key: str) -> None:
    task_id = ok(prompt_task(mock_http, key))["id"]
    result_id = finish(mock_http, task_id)["id"]
    body = refused(download(mock_http, task_id), 404, 404)
    assert body["msg"] == "Record Not Found"
    refused(poll(mock_http, result_id), 404, 404)
    ok(download(mock_http, result_id))


@pytest.mark.parametrize("unknown", ["1000000000000000001", "1000000000000000000", "abc"])
def test_unknown_result_ids_are_not_found(mock_http: MockHttp, unknown: str) -> None:
    refused(download(mock_http, unknown), 404, 404)


def test_unknown_and_malformed_task_ids(mock_http: MockHttp) -> None:
    refused(poll(mock_http, "1000000000000000000"), 404, 404)
    refused(poll(mock_http, "not-a-number"), 200, 20001)


def test_video_formats_are_refused_for_a_mask(mock_http: MockHttp, key: str) -> None:
    result_id = finish(mock_http, ok(prompt_task(mock_http, key))["id"])["id"]
    refused(download(mock_http, result_id, "mp4"), 200, 20001)


def test_download_before_success_has_no_url(mock_http: MockHttp, key: str) -> None:
    task_id = ok(prompt_task(mock_http, key))["id"]
    result_id = item(mock_http, task_id)["id"]
    data = ok(download(mock_http, result_id))
    assert (data["status"], data["fileUrl"], data["errorMsg"]) == ("RUNNING", None, None)


def test_a_sixth_running_task_is_refused_with_30003_until_one_finishes(mock_http: MockHttp, key: str) -> None:
    tasks = [ok(prompt_task(mock_http, key))["id"] for _ in range(5)]
    body = refused(prompt_task(mock_http, key), 200, 30003)
    assert body["msg"]
    ok(type_task(mock_http, key, "PRODUCT"))
    item(mock_http, tasks[0])
    refused(prompt_task(mock_http, key), 200, 30003)
    assert finish(mock_http, tasks[0])["status"] == "SUCCESS"
    ok(prompt_task(mock_http, key))
    refused(prompt_task(mock_http, key), 200, 30003)


def test_the_limit_is_per_account(mock_http: MockHttp, key: str) -> None:
    for _ in range(5):
        ok(prompt_task(mock_http, key))
    other = {"Authorization": "Bearer another-account"}
    other_key = ok(mock_http.post(f"{API}/upload", files={"file": ("a.png", packshot(80, 60).encode("png"),
                                                                    "image/png")}, headers=other))["fileKey"]
    ok(prompt_task(mock_http, other_key, headers=other))


def test_a_failed_task_reports_its_error_and_is_refunded(mock_http: MockHttp, key: str) -> None:
    backend(mock_http).set_cost("promptSegmentation", 3)
    mock_http.services.jobs.force("failed", {"errorCode": 50001, "errorMsg": "forced"}, provider="sellerpic")
    failing = ok(prompt_task(mock_http, key))["id"]
    assert usage(mock_http) == {"remaining": 997, "total": 1000, "usage": 3}
    failed = finish(mock_http, failing)
    assert (failed["status"], failed["fileUrl"], failed["errorCode"], failed["errorMsg"]) == ("FAILED", None, 50001,
                                                                                            "forced")
    assert usage(mock_http)["usage"] == 0
    item(mock_http, failing)
    assert usage(mock_http)["usage"] == 0
    data = ok(download(mock_http, failed["id"]))
    assert (data["status"], data["fileUrl"], data["errorMsg"]) == ("FAILED", None, "forced")
    assert finish(mock_http, ok(prompt_task(mock_http, key))["id"])["status"] == "SUCCESS"
    assert usage(mock_http) == {"remaining": 997, "total": 1000, "usage": 3}


def test_a_forced_failure_without_details_uses_the_documented_item_error(mock_http: MockHttp, key: str) -> None:
    mock_http.services.jobs.force("failed", provider="sellerpic")
    failed = finish(mock_http, ok(prompt_task(mock_http, key))["id"])
    assert (failed["status"], failed["errorCode"], failed["errorMsg"]) == ("FAILED", 50000, "Segmentation failed")


def test_a_failed_task_frees_its_concurrency_slot(mock_http: MockHttp, key: str) -> None:
    mock_http.services.jobs.force("failed", provider="sellerpic")
    tasks = [ok(prompt_task(mock_http, key))["id"] for _ in range(5)]
    refused(prompt_task(mock_http, key), 200, 30003)
    assert finish(mock_http, tasks[0])["status"] == "FAILED"
    ok(prompt_task(mock_http, key))


def test_a_task_the_account_cannot_afford_is_refused(mock_http: MockHttp, key: str) -> None:
    backend(mock_http).set_cost("promptSegmentation", 1001)
    refused(prompt_task(mock_http, key), 200, 30002)
    assert usage(mock_http)["usage"] == 0


@pytest.mark.parametrize("kind", ["product", "Product", "PRODUCT", "sofa"])
def test_segment_type_is_not_stricter_than_the_docs(mock_http: MockHttp, kind: str) -> None:
    """The docs give no enum for ``type``: any case of the mock's categories, and any other word, is accepted."""
    key = file_key(mock_http, packshot(96, 72).encode("png"))
    assert ok(type_task(mock_http, key, kind))["id"]
