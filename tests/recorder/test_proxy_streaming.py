"""Big bodies cross the proxy unchanged in both directions, and the cassette holds exactly what crossed."""

from __future__ import annotations

import hashlib

import httpx

from contracts.cassettes import cassette as cassettes

BIG = 8 * 1024 * 1024


def test_big_and_chunked_bodies_are_forwarded_and_recorded_byte_for_byte(cli, upstream, tmp_path, api_key,
                                                                       standin_bytes, upload_through):
    server = cli("record", "--provider", "photoroom", "--upstream", upstream.url,
                 "--cassette", str(tmp_path / "c.yaml"), "--report", str(tmp_path / "report.json"))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sent, download = upload_through(client, standin_bytes(3 * 1024 * 1024, seed=21),
                                        {"x-api-key": api_key, "X-Standin-Size": str(BIG)})
        chunked = client.get("/v2/edit", params={"imageUrl": "https://example.test/a.png"},
                             headers={"x-api-key": api_key})
    server.stop()

    assert download.headers["X-Received-Sha256"] == hashlib.sha256(sent).hexdigest()
    assert download.content == standin_bytes(BIG, seed=7)
    assert "transfer-encoding" not in download.headers and download.headers["content-length"] == str(BIG)
    chunks = b"".join(standin_bytes(64 * 1024, seed=i) for i in range(8))
    assert chunked.content == chunks and chunked.headers["transfer-encoding"] == "chunked"

    big, edit = cassettes.load(tmp_path / "c.yaml").interactions
    assert big.request.body == sent and big.response.body == download.content
    assert edit.response.body == chunks and edit.response.status == 200
