"""The proxy forwards bodies, statuses and headers unchanged, and records what it forwarded."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from contracts.cassettes import cassette as cassettes

BIG = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def proxy(cli, upstream, tmp_path_factory):
    folder = tmp_path_factory.mktemp("passthrough")
    server = cli("record", "--provider", "photoroom", "--upstream", upstream.url,
                 "--cassette", str(folder / "c.yaml"))
    yield server, folder / "c.yaml"
    server.stop()


def test_large_binary_upload_and_download_pass_byte_for_byte(proxy, api_key, standin_bytes, upload_through):
    server, _ = proxy
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sent, response = upload_through(client, standin_bytes(BIG, seed=11),
                                        {"x-api-key": api_key, "X-Standin-Size": str(BIG)})
    assert response.status_code == 200
    assert response.headers["X-Received-Sha256"] == hashlib.sha256(sent).hexdigest()
    assert response.content == standin_bytes(BIG, seed=7)
    assert response.headers["content-type"] == "image/png"


def test_chunked_response_is_streamed_unchanged(proxy, api_key, standin_bytes):
    server, _ = proxy
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.get("/v2/edit", params={"imageUrl": "https://example.test/a.png"},
                              headers={"x-api-key": api_key})
    assert response.status_code == 200
    assert response.content == b"".join(standin_bytes(64 * 1024, seed=i) for i in range(8))


def test_recorded_cassette_rebuilds_the_forwarded_bytes(proxy, api_key, standin_bytes, upload_through):
    server, path = proxy
    with httpx.Client(base_url=server.url, timeout=30) as client:
        sent, response = upload_through(client, standin_bytes(300_000, seed=5), {"x-api-key": api_key}, format="png")
    server.stop()
    recorded = [i for i in cassettes.load(path).interactions if len(i.request.body) == len(sent)]
    assert recorded, "the exchange was not recorded"
    assert recorded[-1].request.body == sent
    assert recorded[-1].response.body == response.content
    assert recorded[-1].response.status == 200
