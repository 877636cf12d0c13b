"""Live contract checks: the client's bugs and the provider's drift are told apart, assumptions judged."""

from __future__ import annotations

import json

import httpx
import pytest


def _record(cli, upstream_url, folder, requests):
    report = folder / "report.json"
    server = cli("record", "--provider", "photoroom", "--upstream", upstream_url,
                 "--cassette", str(folder / "c.yaml"), "--report", str(report))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, path, kwargs in requests:
            client.request(method, path, **kwargs)
    output = server.stop()
    return json.loads(report.read_text()), output


@pytest.fixture(scope="module")
def faithful(cli, upstream, tmp_path_factory, api_key):
    return _record(cli, upstream.url, tmp_path_factory.mktemp("faithful"), [
        ("POST", "/v1/segment", {"headers": {"x-api-key": api_key}, "files": {"format": (None, "gif")}}),
        ("GET", "/v2/account", {"headers": {"x-api-key": "sk_not_a_real_key"}}),
    ])


@pytest.fixture(scope="module")
def drifting(cli, drifting_upstream, tmp_path_factory, api_key):
    return _record(cli, drifting_upstream.url, tmp_path_factory.mktemp("drifting"), [
        ("GET", "/v2/account", {"headers": {"x-api-key": api_key}}),
        ("GET", "/v2/account", {"headers": {"x-api-key": "sk_not_a_real_key"}}),
    ])


def test_a_bad_request_is_a_client_violation_not_drift(faithful):
    report, output = faithful
    segment = report["exchanges"][0]
    assert segment["operation"] == "remove-background"
    params = {(v["location"], v["parameter"], v["rule"]) for v in segment["client_violations"]}
    assert ("form", "format", "enum") in params
    assert segment["provider_violations"] == []  # the stand-in answered with the documented 400
    assert "client   form format" in output


def test_an_off_spec_response_is_a_provider_violation(drifting):
    report, output = drifting
    account = report["exchanges"][0]
    assert account["client_violations"] == []
    drift = account["provider_violations"]
    assert drift and all(v["side"] == "provider" for v in drift)
    assert any(v["parameter"] == "images.available" for v in drift)
    assert any(v["parameter"] == "images.subscription" and v["rule"] == "required" for v in drift)
    assert report["summary"]["provider_violations"] >= 2 and report["summary"]["client_violations"] == 0
    assert "provider body images.available" in output


def test_assumption_confirmed_by_a_conforming_response(faithful):
    report, _ = faithful
    verdicts = {(a["pointer"], a["verdict"]) for a in report["exchanges"][1]["assumptions"]}
    assert ("/components/responses/V2Forbidden/content/application~1json", "confirmed") in verdicts
    assert ("/x-segmock-errors/auth_invalid", "confirmed") in verdicts


def test_assumption_refuted_by_a_contradicting_response(drifting):
    report, output = drifting
    refuted = [a for a in report["assumptions"] if a["refuted"]]
    assert [a["pointer"] for a in refuted] == ["/components/responses/V2Forbidden/content/application~1json"]
    assert "text/plain" in refuted[0]["refuted_by"][0]["reason"]
    assert "REFUTED /components/responses/V2Forbidden" in output
