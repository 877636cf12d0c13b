"""Fault injection, observed the way a client sees it: over real HTTP to the live fixture server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from operator_support import KEY

import contracts
from mockserver.operator.answers import fault_answer
from mockserver.operator.faults import FaultRule, fires

ACCOUNT = "/v2/account"


@pytest.fixture
def http(live: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(("status", "key"), [(429, "rate_limited"), (402, "credits_exhausted"),
                                              (500, "server_error")])
def test_a_status_fault_answers_with_the_providers_catalog_body(live: Any, http: httpx.Client, status: int,
                                                                key: str) -> None:
    live.fault("photoroom", "account-details-v2", status=status, times=1)
    response = http.get(ACCOUNT, headers=KEY)
    expected = contracts.error_response("photoroom", key, "account-details-v2")
    assert response.status_code == status
    assert response.json() == json.loads(expected.body)
    assert response.headers["content-type"] == expected.headers["Content-Type"]
    assert http.get(ACCOUNT, headers=KEY).status_code == 200


def test_429_carries_retry_after_and_uses_the_v1_shape_on_v1_paths(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", "remove-background", status=429, retry_after=7)
    response = http.post("/v1/segment", headers=KEY, files={"image_file": ("a.png", b"x", "image/png")})
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    v1 = json.loads(contracts.error_response("photoroom", "rate_limited", "remove-background").body)
    assert response.json() == v1 and v1["status_code"] == 429


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_statuses_keep_the_providers_error_shape(live: Any, http: httpx.Client, status: int) -> None:
    live.fault("photoroom", status=status)
    body = http.get(ACCOUNT, headers=KEY)
    assert body.status_code == status
    assert set(body.json()) == {"error"} and body.json()["error"]["message"]


@pytest.mark.parametrize("provider", contracts.providers())
@pytest.mark.parametrize("status", [429, 500])
def test_every_provider_gets_a_documented_error_response(provider: str, status: int) -> None:
    spec = contracts.spec(provider)
    for operation in spec.operations.values():
        answer = fault_answer(provider, operation.operation_id, FaultRule(status=status))
        assert answer.status == status
        if status == 429:
            assert answer.headers["Retry-After"] == "1"
        url = spec.base_urls[0] + operation.path.replace("{", "").replace("}", "")
        request = {"method": operation.method.upper(), "url": url, "headers": {}}
        record = {"status": answer.status, "headers": answer.headers, "body": answer.body}
        violations = contracts.validate_response(provider, request, record)
        assert [v for v in violations if v.rule != "undocumented-status"] == [], (operation.operation_id, violations)


def test_latency_delays_the_answer_past_a_short_client_timeout(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", "account-details-v2", delay=1.5, times=1)
    with pytest.raises(httpx.ReadTimeout):
        http.get(ACCOUNT, headers=KEY, timeout=0.3)
    assert http.get(ACCOUNT, headers=KEY).status_code == 200
    deadline = time.monotonic() + 10  # the abandoned request is journaled when its delay ends: not in the next test
    while "latency" not in [e.fault for e in live.requests()] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e.fault for e in live.requests()].count("latency") == 1


def test_reset_aborts_the_connection(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", kind="reset", times=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.get(ACCOUNT, headers=KEY)
    assert http.get(ACCOUNT, headers=KEY).status_code == 200


def test_empty_closes_without_a_byte(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", kind="empty", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        http.get(ACCOUNT, headers=KEY)
    assert http.get(ACCOUNT, headers=KEY).status_code == 200


def test_truncated_announces_the_full_length_and_sends_half(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", kind="truncated", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete|complete message body"):
        http.get(ACCOUNT, headers=KEY)
    assert http.get(ACCOUNT, headers=KEY).status_code == 200


def test_faults_are_journaled_with_their_kind(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", kind="reset", times=1)
    live.fault("photoroom", status=503, times=1)
    with pytest.raises(httpx.TransportError):
        http.get(ACCOUNT, headers=KEY)
    http.get(ACCOUNT, headers=KEY)
    assert [(e.status, e.fault) for e in live.requests()] == [(None, "reset"), (503, "status")]


def test_times_limits_how_often_a_rule_fires(live: Any, http: httpx.Client) -> None:
    rule = live.fault("photoroom", status=503, times=2)
    assert [http.get(ACCOUNT, headers=KEY).status_code for _ in range(4)] == [503, 503, 200, 200]
    (stored,) = live.faults()
    assert (stored["id"], stored["fired"], stored["remaining"]) == (rule, 2, 0)


def test_a_rule_only_hits_its_operation(live: Any, http: httpx.Client) -> None:
    live.fault("photoroom", "remove-background", status=500)
    assert http.get(ACCOUNT, headers=KEY).status_code == 200
    live.clear_faults()
    assert live.faults() == []


def test_invalid_rules_are_refused(live: Any) -> None:
    with pytest.raises(ValueError, match="kind"):
        live.fault("photoroom", kind="explode")
    with pytest.raises(ValueError, match="not served"):
        live.fault("nosuch", status=500)
    with pytest.raises(ValueError, match="operation"):
        live.fault("photoroom", "create-job", status=500)


def statuses(make_app: Callable[..., Any], seed: int, n: int = 40) -> list[int]:
    client = make_app().test_client()
    client.post("/__segmock/reset")
    client.post("/__segmock/faults", json={"provider": "photoroom", "status": 503, "probability": 0.3,
                                           "seed": seed})
    return [client.get(ACCOUNT, headers=KEY).status_code for _ in range(n)]


def test_a_seeded_probability_gives_the_same_sequence_every_run(make_app: Callable[..., Any]) -> None:
    first, again, other = statuses(make_app, 11), statuses(make_app, 11), statuses(make_app, 12)
    assert first == again
    assert first != other
    assert first == [503 if fires(11, i, 0.3) else 200 for i in range(40)]
    assert 0 < first.count(503) < 40
