"""Documented routes segmock does not mock answer 501 in the provider's own error shape, after the key check."""

from __future__ import annotations

import httpx
import pytest

import contracts

CASES = [
    ("photoroom", "GET", "https://image-api.photoroom.com/v1/render", {"x-api-key": "k"},
     {"error": {"message": "This endpoint is documented by Photoroom but not mocked by segmock"}}),
    ("tengr", "POST", "https://api.tengr.ai/v2/artworks/face-refiner", {"Authorization": "Bearer k"},
     {"message": "This endpoint is documented by tengr but not mocked by segmock", "error": "Not Implemented",
      "statusCode": 501}),
    ("tengr", "POST", "https://api.tengr.ai/v2/organizations/org-1/api-keys", {"Authorization": "Bearer k"},
     {"message": "This endpoint is documented by tengr but not mocked by segmock", "error": "Not Implemented",
      "statusCode": 501}),
]


@pytest.mark.parametrize("provider, method, url, headers, body", CASES)
def test_documented_but_unmocked_routes_answer_501(segmock_respx, provider, method, url, headers, body) -> None:
    r = httpx.request(method, url, headers=headers)
    assert r.status_code == 501 and r.json() == body
    assert httpx.request(method, url).status_code == (401 if provider == "tengr" else 400)  # the key comes first


def test_sellerpic_answers_501_in_its_envelope(segmock_respx) -> None:
    r = httpx.post("https://api.sellerpic.ai/v1/api/generate/replaceBackground", headers={"Authorization": "Bearer k"},
                   json={})
    assert r.status_code == 501
    body = r.json()
    assert (body["code"], body["success"], body["data"]) == (501, False, None)
    assert body["msg"] == "This endpoint is documented by SellerPic but not mocked by segmock"


def test_every_unmocked_operation_has_its_catalog_answer() -> None:
    for name in contracts.providers():
        document = contracts.spec(name)
        for operation in document.unmocked:
            response = contracts.error_response(name, "not_mocked", operation)
            assert response.status == 501, (name, operation)
            assert "501" in document.operations[operation].node["responses"], (name, operation)
