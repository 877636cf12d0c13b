"""``segmock export --vcr``: VCR.py replays the exported cassette with the network blocked."""

from __future__ import annotations

import httpx
import pytest
import requests

from contracts.cassettes import cassette as cassettes

vcr = pytest.importorskip("vcr")


@pytest.fixture(scope="module")
def exported(recorded, segmock, tmp_path_factory):
    out = tmp_path_factory.mktemp("vcr") / "exported.yaml"
    result = segmock("export", "--vcr", str(recorded.cassette), str(out))
    assert result.returncode == 0, result.stderr
    return out


def _recorded_segment(recorded):
    return [i for i in cassettes.load(recorded.cassette).interactions if i.request.path == "/v1/segment"][0]


def test_vcrpy_replays_binary_response_for_requests(exported, recorded):
    expected = _recorded_segment(recorded)
    with vcr.use_cassette(str(exported), record_mode="none"):
        response = requests.post(expected.request.url, headers={"x-api-key": "REDACTED"},
                                 files={"image_file": ("shoe.png", recorded.upload, "image/png")})
    assert response.status_code == 200 and response.content == expected.response.body


def test_vcrpy_replays_json_response_for_httpx(exported, recorded):
    expected = cassettes.load(recorded.cassette).interactions[0]
    with vcr.use_cassette(str(exported), record_mode="none"):
        response = httpx.get(expected.request.url, headers={"x-api-key": "REDACTED"})
    assert response.status_code == 200 and response.json()["plan"] == "basic"


def test_exported_cassette_verifies_like_the_original(exported, segmock):
    result = segmock("verify", str(exported), "--provider", "photoroom")
    assert result.returncode == 0, result.stdout
