"""Matching with a memory of bodiless requests: a repeated poll reuses its match, and nothing else does."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contracts.check.validation import check_request, match
from mockserver.core.matched import Matcher

AUTH = {"Authorization": "Bearer key-1"}


def request(path: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None,
            content_type: str | None = None) -> Request:
    return Request(EnvironBuilder(path=path, method=method, headers=AUTH if headers is None else headers, data=body,
                                  content_type=content_type, base_url="http://127.0.0.1:8080").get_environ())


def test_a_repeated_poll_gets_the_same_match_as_a_fresh_one_and_may_change_its_copy() -> None:
    matcher = Matcher()
    first, verdict = matcher.match("tengr", request("/v2/artworks?limit=5&offset=2"))
    first.sent["limit"] = 999  # a handler's change must not reach the next request
    verdict.append("changed")
    again, again_verdict = matcher.match("tengr", request("/v2/artworks?limit=5&offset=2"))
    fresh = match("tengr", request("/v2/artworks?limit=5&offset=2"))
    assert again.operation is fresh.operation and again.operation is not None
    assert again.sent == fresh.sent == {"limit": 5, "offset": 2}
    assert again.locations == fresh.locations and again.path_params == fresh.path_params
    assert again_verdict == check_request(fresh) == []


def test_a_remembered_request_keeps_its_verdict() -> None:
    matcher = Matcher()
    for _ in range(2):
        ctx, verdict = matcher.match("tengr", request("/v2/artworks?limit=-1"))
        assert [v.parameter for v in verdict] == ["limit"] == [v.parameter for v in check_request(ctx)]


def test_another_query_path_or_header_is_another_match() -> None:
    matcher = Matcher()
    def ctx(path: str, **kwargs: Any) -> Any:
        return matcher.match("tengr", request(path, **kwargs))[0]

    assert ctx("/v2/artworks?limit=5").sent == {"limit": 5}
    assert ctx("/v2/artworks?limit=7").sent == {"limit": 7}
    assert ctx("/v2/artworks/a").path_params == {"id": "a"}
    assert ctx("/v2/artworks/b").path_params == {"id": "b"}
    other_key = ctx("/v2/artworks/b", headers={"Authorization": "Bearer key-2"})
    assert other_key.request.headers["Authorization"] == "Bearer key-2"
    assert "Authorization" not in ctx("/v2/artworks/b", headers={}).request.headers


def test_requests_with_a_body_are_matched_afresh_every_time() -> None:
    matcher = Matcher()
    for prompt in ("red", "blue"):
        body = json.dumps({"imageUrl": "https://example.com/a.png", "method": "text", "textPrompt": prompt})
        ctx, _ = matcher.match("tengr", request("/v2/artworks/segmentation", "POST", body=body.encode(),
                                                content_type="application/json"))
        assert ctx.sent["textPrompt"] == prompt
    assert len(matcher._seen) == 0


def test_the_memory_is_bounded() -> None:
    matcher = Matcher(size=3)
    for i in range(10):
        assert matcher.match("tengr", request(f"/v2/artworks/id-{i}"))[0].path_params == {"id": f"id-{i}"}
    assert len(matcher._seen) == 3
