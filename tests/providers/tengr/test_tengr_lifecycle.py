"""Every path of an artwork's life through polling: succeeded, failed, canceled, expired; owner scoping; list."""

from __future__ import annotations

import pytest
from tengr_support import CREATE, LIST, artwork_url, auth, data_url, decode_mask, poll, text_body, two_objects

DAY = 86_400


@pytest.fixture(scope="module")
def image_url() -> str:
    return data_url(two_objects())


def create(mock_http, body: dict, key: str | None = None) -> dict:
    response = mock_http.post(CREATE, json=body, headers=auth(key) if key else auth())
    assert response.status_code == 202, response.text
    return response.json()


def test_created_artwork_starts_then_succeeds_on_the_second_poll(mock_http, image_url) -> None:
    created = create(mock_http, text_body(image_url))
    assert created["status"] == "starting"
    assert created["results"] == [] and created["duration"] == 0
    assert created["artworkType"] == "segmentation"
    assert created["parameters"]["textConfidence"] == 0.2  # documented default filled in
    assert created["parameters"]["outputFormat"] == "auto"

    seen = poll(lambda: mock_http.get(artwork_url(created["id"]), headers=auth()))
    assert [r.json()["status"] for r in seen] == ["processing", "succeeded"]
    final = seen[-1].json()
    assert final["createdAt"] == created["createdAt"]
    assert final["parameters"] == created["parameters"]
    [url] = final["results"]
    mask = mock_http.get(url)
    assert mask.status_code == 200
    assert mask.headers["content-type"] == "image/webp"
    assert decode_mask(mask.content).shape == (120, 160)


def test_forced_failure_is_seen_by_polling_with_its_reason(mock_http, image_url) -> None:
    mock_http.services.jobs.force("failed", "image_invalid", provider="tengr", match={"textPrompt": "boom"})
    spared = create(mock_http, text_body(image_url, "red"))
    doomed = create(mock_http, text_body(image_url, "boom"))

    final = poll(lambda: mock_http.get(artwork_url(doomed["id"]), headers=auth()))[-1]
    assert final.json()["status"] == "failed"
    assert final.json()["results"] == []
    assert final.headers["x-segmock-failure-reason"] == "The file at imageUrl is not a supported image"
    assert poll(lambda: mock_http.get(artwork_url(spared["id"]), headers=auth()))[-1].json()["status"] == "succeeded"


def test_forced_cancel_is_seen_by_polling(mock_http, image_url) -> None:
    mock_http.services.jobs.force("canceled", provider="tengr")
    created = create(mock_http, text_body(image_url))
    statuses = [r.json()["status"] for r in poll(lambda: mock_http.get(artwork_url(created["id"]), headers=auth()))]
    assert statuses == ["processing", "canceled"]


def test_unfetchable_image_is_accepted_then_fails(mock_http) -> None:
    created = create(mock_http, text_body("data:image/png;base64,bm90IGFuIGltYWdl"))
    assert created["status"] == "starting"
    final = poll(lambda: mock_http.get(artwork_url(created["id"]), headers=auth()))[-1]
    assert final.json()["status"] == "failed"
    reason = final.headers["x-segmock-failure-reason"]
    assert reason.startswith("The file at imageUrl is not a supported image: ") and len(reason) > 50  # and why


def test_artwork_expires_eight_days_after_creation(mock_http, image_url) -> None:
    created = create(mock_http, text_body(image_url))
    final = poll(lambda: mock_http.get(artwork_url(created["id"]), headers=auth()))[-1].json()
    [result_url] = final["results"]

    mock_http.services.jobs.clock.advance(8 * DAY - 60)
    assert mock_http.get(artwork_url(created["id"]), headers=auth()).status_code == 200

    mock_http.services.jobs.clock.advance(60)
    gone = mock_http.get(artwork_url(created["id"]), headers=auth())
    assert gone.status_code == 404
    assert gone.json() == {"message": "Artwork not found", "error": "Not Found", "statusCode": 404}
    assert mock_http.get(result_url).status_code == 404
    assert mock_http.get(LIST, headers=auth()).json() == []


def test_another_keys_artwork_is_invisible(mock_http, image_url) -> None:
    created = create(mock_http, text_body(image_url), key="someone-else")
    assert mock_http.get(artwork_url(created["id"]), headers=auth()).status_code == 404
    assert mock_http.get(LIST, headers=auth()).json() == []
    assert [a["id"] for a in mock_http.get(LIST, headers=auth("someone-else")).json()] == [created["id"]]


def test_list_is_newest_first_and_paged(mock_http) -> None:
    bad = "data:image/png;base64,AAAA"  # fails fast: the list is about ids, not masks
    ids = [create(mock_http, text_body(bad, f"thing {i}"))["id"] for i in range(4)]
    listed = mock_http.get(LIST, headers=auth())
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == ids[::-1]
    page = mock_http.get(LIST, params={"offset": 1, "limit": 2}, headers=auth()).json()
    assert [a["id"] for a in page] == ids[::-1][1:3]
    assert {a["status"] for a in listed.json()} == {"starting"}  # listing is not polling


def test_unknown_id_is_404(mock_http) -> None:
    response = mock_http.get(artwork_url("3fa85f64-5717-4562-b3fc-2c963f66afa6"), headers=auth())
    assert response.status_code == 404
    assert mock_http.get(artwork_url("not-a-uuid"), headers=auth()).status_code == 404


def test_a_final_artwork_polled_again_is_the_same_json_and_each_artwork_its_own(mock_http, image_url) -> None:
    """Polls of a final artwork answer bytes encoded once; they must stay exactly what a fresh encoding gives."""
    first, second = create(mock_http, text_body(image_url, "red")), create(mock_http, text_body(image_url, "blue"))
    polls = {artwork["id"]: [mock_http.get(artwork_url(artwork["id"]), headers=auth()) for _ in range(4)]
             for artwork in (first, second)}
    for artwork_id, seen in polls.items():
        assert [r.json()["status"] for r in seen] == ["processing", "succeeded", "succeeded", "succeeded"]
        assert seen[1].content == seen[2].content == seen[3].content
        assert seen[3].json()["id"] == artwork_id
    assert polls[first["id"]][3].json()["parameters"]["textPrompt"] == "red"
    assert polls[second["id"]][3].json()["parameters"]["textPrompt"] == "blue"
    assert polls[first["id"]][3].content != polls[second["id"]][3].content
