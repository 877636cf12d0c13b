"""Failures that explain themselves: why a request failed shows in the API (where the provider allows), the
journal, the request log and the inspector; error bodies and async jobs' state and input on inspector cards."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from operator_support import packshot

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.operator.logs import LOGGER

TENGR_KEY = {"Authorization": "Bearer k"}
PHOTOROOM_KEY = {"x-api-key": "k"}


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create_app(MockConfig(providers=("photoroom", "tengr"), state_dir=tmp_path / "state",
                                 job_progression="polls:2", log_format="json"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def poll(client: Any, artwork_id: str) -> list[Any]:
    return [client.get(f"/v2/artworks/{artwork_id}", headers=TENGR_KEY) for _ in range(2)]


def test_an_unfetchable_image_url_says_why_everywhere(app: Any) -> None:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep()
    logging.getLogger(LOGGER).addHandler(keep)
    client = app.test_client()
    try:
        url = f"http://127.0.0.1:{closed_port()}/shoe.jpg"
        created = client.post("/v2/artworks/segmentation", headers=TENGR_KEY,
                              json={"imageUrl": url, "method": "text", "textPrompt": "shoe"})
        assert created.status_code == 202  # as tengr: accepted, then failed
        final = poll(client, created.get_json()["id"])[-1]
    finally:
        logging.getLogger(LOGGER).removeHandler(keep)
    assert final.get_json()["status"] == "failed" and final.get_json()["results"] == []
    header = final.headers["X-Segmock-Failure-Reason"]
    assert header.startswith("Could not download the image from imageUrl: The image URL could not be fetched")
    assert "ConnectError" in header and "data: URL" in header

    journal = app.test_client().get("/__segmock/requests").get_json()["requests"]
    assert "ConnectError" in journal[0]["reason"] and journal[0]["reason"].startswith("the artwork will end failed")
    assert "ConnectError" in journal[-1]["reason"]
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert any("ConnectError" in entry.get("reason", "") for entry in logged)

    page = app.test_client().get("/__segmock/").get_data(as_text=True)
    assert 'class="reason"' in page and "ConnectError" in page
    assert '<strong class="job-status">failed</strong>' in page


def test_a_refused_request_s_card_shows_the_error_body(app: Any) -> None:
    client = app.test_client()
    refused = client.post("/v2/edit", headers=PHOTOROOM_KEY,
                          data={"padding": "0.6", "imageFile": (io.BytesIO(packshot()), "a.png")})
    assert refused.status_code == 400
    page = client.get("/__segmock/").get_data(as_text=True)
    assert '<pre class="error-body">' in page and "padding must be a number between 0 and 0.49" in page
    (entry,) = client.get("/__segmock/requests").get_json()["requests"]
    assert json.loads(entry["response_text"]) == refused.get_json()


def test_an_undecodable_upload_says_why_in_the_journal(app: Any) -> None:
    client = app.test_client()
    refused = client.post("/v1/segment", headers=PHOTOROOM_KEY,
                          data={"image_file": (io.BytesIO(b"not an image at all"), "a.png")})
    assert 400 <= refused.status_code < 500
    (entry,) = client.get("/__segmock/requests").get_json()["requests"]
    assert entry["reason"] and entry["response_text"]


def test_an_async_job_s_cards_show_its_input_and_state(app: Any) -> None:
    client = app.test_client()
    image = "data:image/png;base64," + base64.b64encode(packshot(120, 80)).decode()
    created = client.post("/v2/artworks/segmentation", headers=TENGR_KEY,
                          json={"imageUrl": image, "method": "text", "textPrompt": "red"})
    polls = poll(client, created.get_json()["id"])
    assert [p.get_json()["status"] for p in polls] == ["processing", "succeeded"]
    result = client.get(polls[-1].get_json()["results"][0].replace("https://api.tengr.ai", ""))
    assert result.status_code == 200
    app.extensions["segmock.operator"].settle()
    page = client.get("/__segmock/").get_data(as_text=True)
    assert page.count('class="job-status"') == 3  # the 202, then each poll
    assert '<strong class="job-status">succeeded</strong>' in page
    assert '<strong class="job-status">processing</strong>' in page
    assert "/__segmock/requests/1/input.jpg" in page  # the data: URL's image, as the create card's input
    assert "/__segmock/requests/4/overlay/0.png" in page  # the result mask
