"""Canned answers: "the next call of this operation answers this", in-process and live, checked by the spec."""

from __future__ import annotations

import base64
import io

import httpx
import numpy as np
import pytest
import requests
from PIL import Image

ACCOUNT = "https://image-api.photoroom.com/v2/account"
SEGMENT = "https://sdk.photoroom.com/v1/segment"
TENGR = "https://api.tengr.ai"
PHOTOROOM_KEY = {"x-api-key": "k"}
TENGR_KEY = {"Authorization": "Bearer k"}


def packshot(width: int = 64, height: int = 48) -> bytes:
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste((200, 30, 30), (20, 10, 44, 38))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def left_band(width: int = 64, height: int = 48) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[:, :10] = True
    return mask


def test_a_canned_mask_is_rendered_the_provider_s_way(segmock_respx) -> None:
    segmock_respx.answer("photoroom", "remove-background", mask=left_band())
    canned = httpx.post(SEGMENT, headers=PHOTOROOM_KEY, files={"image_file": ("a.png", packshot(), "image/png")})
    computed = httpx.post(SEGMENT, headers=PHOTOROOM_KEY, files={"image_file": ("a.png", packshot(), "image/png")})
    assert canned.status_code == computed.status_code == 200
    assert canned.headers["content-type"] == "image/png"
    alpha = np.asarray(Image.open(io.BytesIO(canned.content)).convert("RGBA"))[..., 3]
    assert (alpha[:, :10] == 255).all() and (alpha[:, 10:] == 0).all()
    computed_alpha = np.asarray(Image.open(io.BytesIO(computed.content)).convert("RGBA"))[..., 3]
    assert computed_alpha[24, 30] == 255 and computed_alpha[24, 2] == 0  # only the next call was canned
    assert [e.fault for e in segmock_respx.requests()] == ["mask", None]


def test_a_canned_mask_reaches_an_async_provider_s_result_file(segmock_respx) -> None:
    png = Image.fromarray(left_band(32, 24).astype(np.uint8) * 255, "L")  # half size: 20 columns at full size
    buf = io.BytesIO()
    png.save(buf, "PNG")
    segmock_respx.answer("tengr", "create-segmentation-artwork", mask=buf.getvalue())
    url = "data:image/png;base64," + base64.b64encode(packshot()).decode()
    created = httpx.post(f"{TENGR}/v2/artworks/segmentation", headers=TENGR_KEY,
                         json={"imageUrl": url, "method": "text", "textPrompt": "anything", "outputFormat": "png"})
    artwork_id = created.json()["id"]
    for _ in range(3):
        artwork = httpx.get(f"{TENGR}/v2/artworks/{artwork_id}", headers=TENGR_KEY).json()
    assert artwork["status"] == "succeeded"
    result = httpx.get(artwork["results"][0], headers=TENGR_KEY)
    mask = np.asarray(Image.open(io.BytesIO(result.content)).convert("L")) > 127
    assert mask.shape == (48, 64) and mask[:, :18].all() and not mask[:, 22:].any()  # tengr's default blur


def test_errors_and_bodies_queue_in_order_and_the_journal_says_they_were_canned(segmock_server) -> None:
    url = segmock_server.url_for("photoroom") + "/v2/account"
    segmock_server.answer("photoroom", "account-details-v2", error="credits_exhausted")
    segmock_server.answer("photoroom", "account-details-v2", times=2,
                          json={"images": {"available": 3, "subscription": 5}, "plan": "basic"})
    answers = [httpx.get(url, headers=PHOTOROOM_KEY) for _ in range(4)]
    assert [r.status_code for r in answers] == [402, 200, 200, 200]
    assert "API credits exhausted" in answers[0].json()["error"]["detail"]
    assert answers[1].json() == answers[2].json() == {"images": {"available": 3, "subscription": 5}, "plan": "basic"}
    assert answers[3].json()["plan"] == "plus"  # the queue is spent: the mock answers again
    assert [e.fault for e in segmock_server.requests()] == ["answer", "answer", "answer", None]
    assert segmock_server.answers() == []


def test_an_answer_off_the_contract_is_refused_naming_what_is_wrong(segmock_requests) -> None:
    with pytest.raises(ValueError, match="plan"):
        segmock_requests.answer("photoroom", "account-details-v2", json={"images": {"available": 3}})
    with pytest.raises(ValueError, match="undocumented|status"):
        segmock_requests.answer("photoroom", "account-details-v2", status=418, json={"teapot": True})
    with pytest.raises(ValueError, match="no operation 'segment'"):
        segmock_requests.answer("photoroom", "segment", status=429)
    with pytest.raises(ValueError, match="not a readable image"):
        segmock_requests.answer("photoroom", "remove-background", mask=b"not a png")
    with pytest.raises(ValueError, match="account-details-v2 takes no image"):
        segmock_requests.answer("photoroom", "account-details-v2", mask=left_band())
    assert segmock_requests.answers() == []
    assert requests.get(ACCOUNT, headers=PHOTOROOM_KEY).json()["plan"] == "plus"


def test_the_http_endpoint_answers_400_with_the_reason(segmock_server) -> None:
    endpoint = segmock_server.url + "/__segmock/answers"
    refused = httpx.post(endpoint, json={"provider": "tengr", "operation": "get-artwork", "json": {"id": 5}})
    assert refused.status_code == 400 and "tengr's contract for get-artwork" in refused.json()["message"]
    queued = httpx.post(endpoint, json={"provider": "tengr", "operation": "get-artwork", "error": "not_found"})
    assert queued.status_code == 201 and queued.json()["kind"] == "answer"
    got = httpx.get(segmock_server.url + "/v2/artworks/00000000-0000-4000-8000-000000000000", headers=TENGR_KEY)
    assert got.status_code == 404
    assert httpx.get(endpoint).json() == {"answers": []}
