"""SellerPic uploads: the multipart upload, the legacy presigned flow, and every documented image rule.

Upload checks the generic rules (format by content, 40 MB); the task checks its own (promptSegmentation:
no animation, 10 MB, 4096 px), all from the file's header before any pixel is decoded.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any as MockHttp
from typing import TypeVar

import numpy as np
from sellerpic_support import (
    API,
    AUTH,
    animated,
    clock,
    file_key,
    finish,
    ok,
    plain_png,
    png,
    png_header_only,
    prompt_task,
    refused,
    two_objects,
    upload,
)

T = TypeVar("T")


def traced(call: Callable[[], T]) -> tuple[T, int]:
    """``call()`` and the peak of memory Python allocated meanwhile (the live server's thread included)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_upload_answers_a_dated_file_key_for_each_format(mock_http: MockHttp) -> None:
    scene = two_objects(64, 48)
    keys = {fmt: file_key(mock_http, scene.encode(fmt)) for fmt in ("png", "jpeg", "webp")}
    assert [k.rsplit(".", 1)[1] for k in keys.values()] == ["png", "jpg", "webp"]
    assert len({k.rsplit("/", 1)[1] for k in keys.values()}) == 3


def test_a_gif_is_an_unsupported_format(mock_http: MockHttp) -> None:
    refused(upload(mock_http, animated("GIF")), 200, 20002)


def test_not_an_image_is_invalid(mock_http: MockHttp) -> None:
    refused(upload(mock_http, b"this is not an image at all"), 200, 20003)


def test_a_truncated_png_is_refused_when_the_task_decodes_it(mock_http: MockHttp) -> None:
    data = two_objects(64, 48).encode("png")
    key = file_key(mock_http, data[: len(data) // 2])
    refused(prompt_task(mock_http, key), 200, 20003)


def test_a_missing_file_part_is_a_validation_error(mock_http: MockHttp) -> None:
    refused(mock_http.post(f"{API}/upload", files={"other": ("a.png", b"x", "image/png")}, headers=AUTH), 200, 20001)


def test_animated_webp_and_png_are_refused_by_the_task(mock_http: MockHttp) -> None:
    for fmt in ("WEBP", "PNG"):
        key = file_key(mock_http, animated(fmt))
        refused(prompt_task(mock_http, key), 200, 20006)


def test_over_10_mb_is_refused_by_prompt_segmentation(mock_http: MockHttp) -> None:
    data = png(np.full((1900, 1900, 3), 128, np.uint8), compress_level=0)
    assert 10 * 1024 * 1024 < len(data) < 40 * 1024 * 1024
    refused(prompt_task(mock_http, file_key(mock_http, data)), 200, 20004)


def test_over_4096_px_is_refused_and_4096_is_accepted(mock_http: MockHttp) -> None:
    refused(prompt_task(mock_http, file_key(mock_http, plain_png(4097, 4))), 200, 20005)
    refused(prompt_task(mock_http, file_key(mock_http, plain_png(4, 4097))), 200, 20005)
    ok(prompt_task(mock_http, file_key(mock_http, plain_png(4096, 4))))


def test_a_decompression_bomb_is_refused_without_allocating_it(mock_http: MockHttp) -> None:
    response, peak = traced(lambda: upload(mock_http, png_header_only(100_000, 100_000)))
    refused(response, 200, 20005)
    assert peak < 50 * 1024 * 1024


def test_a_bomb_under_the_pixel_ceiling_is_refused_by_the_task_header_check(mock_http: MockHttp) -> None:
    key = file_key(mock_http, png_header_only(5000, 5000))
    response, peak = traced(lambda: prompt_task(mock_http, key))
    refused(response, 200, 20005)
    assert peak < 50 * 1024 * 1024


def test_legacy_presigned_upload_then_task(mock_http: MockHttp) -> None:
    presigned = ok(mock_http.get(f"{API}/upload/url", params={"format": "png"}, headers=AUTH))
    key, url = presigned["fileKey"], presigned["imageUrl"]
    assert key.endswith(".png") and key.rsplit("/", 1)[1][:32] in url
    refused(prompt_task(mock_http, key), 404, 404)
    put = mock_http.request("PUT", url, content=two_objects(64, 48).encode("png"),
                            headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 200 and put.content == b""
    assert finish(mock_http, ok(prompt_task(mock_http, key))["id"])["status"] == "SUCCESS"


def test_presigned_upload_url_expires_after_30_minutes(mock_http: MockHttp) -> None:
    url = ok(mock_http.get(f"{API}/upload/url", params={"format": "jpg"}, headers=AUTH))["imageUrl"]
    data = two_objects(64, 48).encode("jpeg")
    clock(mock_http).advance(30 * 60 - 5)
    assert mock_http.request("PUT", url, content=data, headers={"Content-Type": "image/jpeg"}).status_code == 200
    clock(mock_http).advance(10)
    late = mock_http.request("PUT", url, content=data, headers={"Content-Type": "image/jpeg"})
    assert late.status_code == 403 and b"<Code>AccessDenied</Code>" in late.content


def test_an_unknown_upload_token_is_403(mock_http: MockHttp) -> None:
    response = mock_http.request("PUT", "https://api.sellerpic.ai/v1/storage/upload/feedfacefeedfacefeedfacefeedface",
                                 content=b"x", headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 403


def test_upload_url_needs_a_supported_format(mock_http: MockHttp) -> None:
    refused(mock_http.get(f"{API}/upload/url", params={"format": "gif"}, headers=AUTH), 200, 20001)


def test_requests_without_a_bearer_key_are_401(mock_http: MockHttp) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        body = refused(mock_http.get(f"{API}/usage", headers=headers), 401, 401)
        assert body["msg"] == "Unauthorized"
