"""The request journal: what a test can assert about what its client sent."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from operator_support import KEY, packshot

import contracts


def segment(client: Any, image: bytes, **form: str) -> Any:
    return client.post("/v1/segment", headers=KEY, data={"image_file": (io.BytesIO(image), "a.png"), **form})


def journal(client: Any, **query: Any) -> list[dict[str, Any]]:
    response = client.get("/__segmock/requests", query_string=query)
    assert response.status_code == 200
    return response.get_json()["requests"]


def test_an_upload_is_journaled_as_its_description_not_its_bytes(client: Any) -> None:
    image = packshot(96, 64)
    assert segment(client, image, size="medium").status_code == 200
    (entry,) = journal(client)
    assert (entry["method"], entry["path"], entry["provider"], entry["operation"]) == (
        "POST", "/v1/segment", "photoroom", "remove-background")
    assert entry["params"]["size"] == "medium"
    assert entry["params"]["image_file"] == {"bytes": len(image), "sha256": hashlib.sha256(image).hexdigest(),
                                             "width": 96, "height": 64, "format": "png"}
    assert entry["image"] == {"width": 96, "height": 64, "format": "png"}
    assert (entry["status"], entry["content_type"], entry["fault"]) == (200, "image/png", None)
    assert entry["outputs"] == ["mask"] and entry["has_input"]
    assert entry["elapsed_ms"] > 0


def test_filters_by_provider_operation_and_status(client: Any) -> None:
    client.get("/v2/account", headers=KEY)
    client.get("/v2/account")  # no key: Photoroom's auth error
    segment(client, packshot())
    assert [e["operation"] for e in journal(client)] == ["account-details-v2", "account-details-v2",
                                                         "remove-background"]
    refused = contracts.error_response("photoroom", "auth_missing", "account-details-v2").status
    assert [e["status"] for e in journal(client, operation="account-details-v2")] == [200, refused]
    assert [e["seq"] for e in journal(client, status=refused)] == [journal(client)[1]["seq"]]
    assert journal(client, provider="tengr") == []
    assert [e["operation"] for e in journal(client, provider="photoroom", operation="remove-background")] == [
        "remove-background"]
    assert [e["seq"] for e in journal(client, limit=1)] == [journal(client)[-1]["seq"]]


def test_the_journal_is_a_ring_that_drops_the_oldest(make_app: Callable[..., Any]) -> None:
    client = make_app(journal_size=3).test_client()
    for _ in range(5):
        client.get("/v2/account", headers=KEY)
    entries = journal(client)
    assert [e["seq"] for e in entries] == [3, 4, 5]
    assert client.get("/__segmock/requests/1").status_code == 404
    assert client.get("/__segmock/requests/5").get_json()["seq"] == 5


def test_delete_clears_the_journal(client: Any) -> None:
    client.get("/v2/account", headers=KEY)
    assert client.delete("/__segmock/requests").status_code == 204
    assert journal(client) == []
    client.get("/v2/account", headers=KEY)
    assert len(journal(client)) == 1


def test_two_apps_on_one_state_dir_share_one_journal(make_app: Callable[..., Any]) -> None:
    first, second = make_app().test_client(), make_app().test_client()
    first.get("/v2/account", headers=KEY)
    second.get("/v2/account")
    assert [e["status"] for e in journal(first)] == [e["status"] for e in journal(second)]
    assert len(journal(first)) == 2
    second.delete("/__segmock/requests")
    assert journal(first) == []


def test_admin_and_unknown_paths_are_not_journaled_nor_validated(client: Any) -> None:
    assert client.get("/__segmock/health").status_code == 200
    assert client.get("/__segmock/faults").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    assert journal(client) == []


@pytest.mark.parametrize("provider", contracts.providers())
def test_no_provider_path_lives_under_the_admin_prefix(provider: str) -> None:
    assert not any(op.path.startswith("/__") for op in contracts.spec(provider).operations.values())


def test_health_answers_with_the_served_providers(client: Any) -> None:
    body = client.get("/__segmock/health").get_json()
    assert body["status"] == "ok" and body["providers"] == ["photoroom"]


def test_the_live_fixture_returns_the_journal_as_objects(live: Any) -> None:
    image = packshot(80, 40)
    with httpx.Client(base_url=live.url) as http:
        http.get("/v2/account", headers=KEY)
        http.post("/v1/segment", headers=KEY, files={"image_file": ("p.png", image, "image/png")})
    (entry,) = live.requests(provider="photoroom", operation="remove-background")
    assert (entry.method, entry.path, entry.status, entry.image) == ("POST", "/v1/segment", 200, (80, 40))
    assert entry.params["image_file"]["sha256"] == hashlib.sha256(image).hexdigest()
    assert [e.operation for e in live.requests()] == ["account-details-v2", "remove-background"]
    live.clear_requests()
    assert live.requests() == []
