"""--max-requests: once N requests were forwarded, the proxy answers itself and the provider sees nothing."""

from __future__ import annotations

import json

import httpx


def test_request_beyond_the_budget_is_refused_and_not_forwarded(cli, upstream, tmp_path, api_key):
    server = cli("record", "--provider", "photoroom", "--upstream", upstream.url, "--max-requests", "2",
                 "--cassette", str(tmp_path / "c.yaml"), "--report", str(tmp_path / "report.json"))
    hits_before = len(upstream.hits)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answers = [client.get("/v2/account", headers={"x-api-key": api_key}) for _ in range(3)]
    output = server.stop()

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["X-Segmock-Proxy"] == "budget-exhausted"
    assert "--max-requests" in answers[2].json()["message"]
    assert len(upstream.hits) - hits_before == 2
    report = json.loads((tmp_path / "report.json").read_text())
    assert len(report["exchanges"]) == 2 and len(report["refused"]) == 1
    assert "1 request(s) refused" in output
