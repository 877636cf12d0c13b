"""Completion webhooks: signed artwork bodies, retries after a failing receiver, failures, many at once."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from tengr_support import CREATE, artwork_url, auth, data_url, receiver, text_body, two_objects, wait_for


@pytest.fixture(scope="module")
def image_url() -> str:
    return data_url(two_objects(96, 72))


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def create_with_hook(mock_http, image_url: str, hook: str, prompt: str = "red") -> dict:
    response = mock_http.post(CREATE, json=text_body(image_url, prompt, webhook=hook), headers=auth())
    assert response.status_code == 202, response.text
    return response.json()


def test_final_artwork_is_posted_signed_to_a_local_receiver(mock_http, image_url) -> None:
    secret = mock_http.services.config.webhook_secret
    with receiver() as hooks:
        created = create_with_hook(mock_http, image_url, hooks.url)
        assert wait_for(hooks.count)
    [delivery] = hooks.received
    assert signature_ok(secret, delivery.body, delivery.headers["x-tengr-signature"])
    assert not signature_ok("another-secret", delivery.body, delivery.headers["x-tengr-signature"])
    assert delivery.headers["content-type"] == "application/json"
    body = json.loads(delivery.body)
    assert body["id"] == created["id"] and body["status"] == "succeeded"
    assert body["parameters"]["webhook"] == hooks.url
    [result] = body["results"]
    assert mock_http.get(result).status_code == 200  # the URL routes back to this mock, whichever transport
    polled = mock_http.get(artwork_url(created["id"]), headers=auth()).json()
    assert polled == body

    [attempt] = wait_for(lambda: mock_http.services.jobs.deliveries(created["id"]))  # recorded once answered
    assert (attempt.url, attempt.status_code, attempt.attempt, attempt.ok) == (hooks.url, 200, 1, True)


def test_failing_receiver_gets_the_same_signed_body_again(mock_http, image_url) -> None:
    with receiver(statuses=[503]) as hooks:
        created = create_with_hook(mock_http, image_url, hooks.url)
        assert wait_for(lambda: hooks.count() >= 2)
        # the mock records an attempt once the receiver's answer is back, a moment after the receiver saw it
        assert wait_for(lambda: len(mock_http.services.jobs.deliveries(created["id"])) >= 2)
    first, second = hooks.received
    assert first.body == second.body
    assert first.headers["x-tengr-signature"] == second.headers["x-tengr-signature"]
    assert (first.headers["x-segmock-attempt"], second.headers["x-segmock-attempt"]) == ("1", "2")
    attempts = [(a.attempt, a.status_code, a.ok) for a in mock_http.services.jobs.deliveries(created["id"])]
    assert attempts == [(1, 503, False), (2, 200, True)]


def test_delivery_gives_up_after_the_documented_attempts(mock_http, image_url) -> None:
    with receiver(statuses=[500] * 10) as hooks:
        created = create_with_hook(mock_http, image_url, hooks.url)
        assert wait_for(lambda: len(mock_http.services.jobs.deliveries(created["id"])) >= 3)
        assert mock_http.services.jobs.drain(timeout=10)  # nothing left to retry
    attempts = mock_http.services.jobs.deliveries(created["id"])
    assert [a.attempt for a in attempts] == [1, 2, 3]  # x-segmock-delivery maxAttempts
    assert not any(a.ok for a in attempts)
    assert hooks.count() == 3


def test_forced_failure_reaches_the_webhook(mock_http, image_url) -> None:
    mock_http.services.jobs.force("failed", "image_url_unreachable", provider="tengr")
    with receiver() as hooks:
        created = create_with_hook(mock_http, image_url, hooks.url)
        assert wait_for(hooks.count)
    body = json.loads(hooks.received[0].body)
    assert (body["id"], body["status"], body["results"]) == (created["id"], "failed", [])


def test_forced_cancel_through_the_live_server_helper_reaches_the_webhook(segmock_server, image_url) -> None:
    import httpx

    segmock_server.force("canceled", provider="tengr", match={"textPrompt": "stop"})
    with receiver() as hooks:
        response = httpx.post(segmock_server.url + "/v2/artworks/segmentation", headers=auth(),
                              json=text_body(image_url, "stop me", webhook=hooks.url))
        assert response.status_code == 202
        assert wait_for(hooks.count)
    assert json.loads(hooks.received[0].body)["status"] == "canceled"


def test_many_artworks_finishing_together_are_each_delivered_once(mock_http, image_url) -> None:
    with receiver() as hooks:
        ids = {create_with_hook(mock_http, image_url, hooks.url, prompt=f"red {i}")["id"] for i in range(12)}
        assert wait_for(lambda: hooks.count() >= len(ids))
        assert mock_http.services.jobs.drain(timeout=10)
    delivered = [json.loads(d.body)["id"] for d in hooks.received]
    assert sorted(delivered) == sorted(ids)
