"""Refusals over HTTP: each cross-field rule, schema ranges, auth (401/403) and the per-key rate limit (429)."""

from __future__ import annotations

from typing import Any

import pytest
from tengr_support import CREATE, LIST, auth

IMAGE = "https://images.example.com/cat.png"
POINTS = {"points": [[0.5, 0.5]], "labels": [1]}


def bad_request(*messages: str) -> dict[str, Any]:
    return {"message": list(messages), "error": "Bad Request", "statusCode": 400}


@pytest.mark.parametrize("body,messages", [
    ({"method": "text"}, ["textPrompt should not be empty"]),
    ({"method": "text", "textPrompt": "  "}, ["textPrompt should not be empty"]),
    ({"method": "points"}, ["pointsPositive should not be empty"]),
    ({"method": "points", "pointsPositive": {"points": [[0.1, 0.1], [0.2, 0.2]], "labels": [1]}},
     ["pointsPositive.labels must contain as many labels as points (2)"]),
    ({"method": "text", "textPrompt": "cat", "maskExpand": 16385}, ["maskExpand must not be greater than 16384"]),
    ({"method": "text", "textPrompt": "cat", "outputFormat": "jpeg"},
     ["outputFormat must be one of the following values: auto, png, webp"]),
], ids=["text-needs-prompt", "blank-prompt", "points-need-positive", "labels-length", "mask-expand-range",
        "output-format-enum"])
def test_each_rule_gives_nestjs_400(mock_http, body: dict[str, Any], messages: list[str]) -> None:
    response = mock_http.post(CREATE, json={"imageUrl": IMAGE, **body}, headers=auth())
    assert response.status_code == 400
    assert response.json() == bad_request(*messages)
    assert mock_http.get(LIST, headers=auth()).json() == []  # nothing was created


@pytest.mark.parametrize("webhook,message", [
    ("http://hooks.example.com/tengr", "webhook must use HTTPS"),
    ("https://127.0.0.1/hook", "webhook must point to a publicly routable host"),
    ("https://10.1.2.3/hook", "webhook must point to a publicly routable host"),
    ("https://169.254.169.254/latest", "webhook must point to a publicly routable host"),
])
def test_private_or_plain_webhooks_are_refused_like_the_real_api(mock_http, monkeypatch, webhook: str,
                                                                 message: str) -> None:
    monkeypatch.setattr(mock_http.services.config, "allow_private_webhooks", False)
    body = {"imageUrl": IMAGE, "method": "text", "textPrompt": "cat", "webhook": webhook}
    response = mock_http.post(CREATE, json=body, headers=auth())
    assert response.status_code == 400
    assert response.json() == bad_request(message)


def test_list_limit_range_comes_from_the_spec(mock_http) -> None:
    assert mock_http.get(LIST, params={"limit": 501}, headers=auth()).json() == bad_request(
        "limit must not be greater than 500")
    assert mock_http.get(LIST, params={"limit": 500}, headers=auth()).status_code == 200


def test_missing_or_foreign_scheme_key_is_401(mock_http) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = mock_http.get(LIST, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized", "statusCode": 401}


def test_out_of_scope_key_is_403_before_validation(mock_http) -> None:
    response = mock_http.post(CREATE, json={"method": "text"}, headers=auth("forbidden_generator"))
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden resource", "error": "Forbidden", "statusCode": 403}


def test_rate_limit_is_per_key_with_throttler_headers(mock_http, monkeypatch) -> None:
    monkeypatch.setitem(mock_http.services.config.rate_limits, "tengr", {"limit": 3})
    remaining = []
    for _ in range(3):
        response = mock_http.get(LIST, headers=auth())
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(response.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]

    refused = mock_http.post(CREATE, json={"method": "text"}, headers=auth())  # 429 wins over 400
    assert refused.status_code == 429
    assert refused.json() == {"message": "ThrottlerException: Too Many Requests", "statusCode": 429}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert mock_http.get(LIST, headers=auth("another-key")).status_code == 200
