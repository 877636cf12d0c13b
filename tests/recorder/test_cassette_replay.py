"""``segmock replay`` answers with the recorded bytes, and explains a request that matches nothing."""

from __future__ import annotations

import httpx
import pytest

from contracts.cassettes import cassette as cassettes


@pytest.fixture(scope="module")
def replay(cli, recorded):
    server = cli("replay", "--cassette", str(recorded.cassette))
    yield server
    server.stop()


def test_replay_serves_the_recorded_bytes(replay, recorded, api_key):
    expected = [i for i in cassettes.load(recorded.cassette).interactions if i.request.path == "/v1/segment"][0]
    with httpx.Client(base_url=replay.url) as client:
        response = client.post("/v1/segment", headers={"x-api-key": api_key},
                               files={"image_file": ("shoe.png", recorded.upload, "image/png")},
                               data={"format": "png"})  # a new boundary: matched by the parts, not the bytes
    assert response.status_code == 200
    assert response.content == expected.response.body
    assert response.headers["content-type"] == "image/png"


def test_unmatched_request_gets_a_clear_answer_naming_the_closest(replay, recorded, api_key):
    with httpx.Client(base_url=replay.url) as client:
        response = client.post("/v1/segment", headers={"x-api-key": api_key},
                               files={"image_file": ("shoe.png", recorded.upload, "image/png")},
                               data={"format": "webp"})
    assert response.status_code == 404
    assert response.headers["X-Segmock-Replay"] == "no-match"
    closest = response.json()["closest"][0]
    assert closest["url"].endswith("/v1/segment")
    assert closest["differs_in"] == ["body differs (compared by content: multipart parts, JSON value, form pairs "
                                     "or bytes)"]


def test_replay_can_ignore_the_body(cli, recorded, api_key):
    server = cli("replay", "--cassette", str(recorded.cassette), "--match", "method,path")
    with httpx.Client(base_url=server.url) as client:
        response = client.post("/v1/segment", headers={"x-api-key": api_key},
                               files={"image_file": ("other.png", b"not the same", "image/png")})
    server.stop()
    assert response.status_code == 200
