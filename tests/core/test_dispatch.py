"""``mockserver.core.dispatch``: the pipeline in front of every handler. Handlers see only requests the provider
would accept; every refusal, failure and unmocked route is the provider's own documented answer; injectors may
answer instead, and observers see every exchange without being able to break it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.datastructures import Headers

import contracts
from mockserver.config import MockConfig
from mockserver.core.dispatch import blueprint
from mockserver.core.fetch import FetchError
from mockserver.core.imagelimits import ImageProblem
from mockserver.core.provider import Call, ProviderDef
from mockserver.core.services import Services

# -- documented routes segmock does not mock: 501 in the provider's own shape, after the key check -------------------
CASES = [
    ("photoroom", "GET", "https://image-api.photoroom.com/v1/render", {"x-api-key": "k"},
     {"error": {"message": "This endpoint is documented by Photoroom but not mocked by segmock"}}),
    ("tengr", "POST", "https://api.tengr.ai/v2/artworks/face-refiner", {"Authorization": "Bearer k"},
     {"message": "This endpoint is documented by tengr but not mocked by segmock", "error": "Not Implemented",
      "statusCode": 501}),
    ("tengr", "POST", "https://api.tengr.ai/v2/organizations/org-1/api-keys", {"Authorization": "Bearer k"},
     {"message": "This endpoint is documented by tengr but not mocked by segmock", "error": "Not Implemented",
      "statusCode": 501}),
]


@pytest.mark.parametrize("provider, method, url, headers, body", CASES)
def test_documented_but_unmocked_routes_answer_501(segmock_respx, provider, method, url, headers, body) -> None:
    r = httpx.request(method, url, headers=headers)
    assert r.status_code == 501 and r.json() == body
    assert httpx.request(method, url).status_code == (401 if provider == "tengr" else 400)  # the key comes first


def test_sellerpic_answers_501_in_its_envelope(segmock_respx) -> None:
    r = httpx.post("https://api.sellerpic.ai/v1/api/generate/replaceBackground", headers={"Authorization": "Bearer k"},
                   json={})
    assert r.status_code == 501
    body = r.json()
    assert (body["code"], body["success"], body["data"]) == (501, False, None)
    assert body["msg"] == "This endpoint is documented by SellerPic but not mocked by segmock"


def test_every_unmocked_operation_has_its_catalog_answer() -> None:
    for name in contracts.providers():
        document = contracts.spec(name)
        for operation in document.unmocked:
            response = contracts.error_response(name, "not_mocked", operation)
            assert response.status == 501, (name, operation)
            assert "501" in document.operations[operation].node["responses"], (name, operation)


# -- the pipeline around a provider folder whose handlers the test writes ---------------------------------------------
ACCOUNT = "/v2/account"
JSON = Headers({"Content-Type": "application/json"})
KEY = {"x-api-key": "sk_test_dispatch"}


class Folder:
    """Photoroom's spec served by handlers that record each call and do what the test sets."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.outcome: Any = contracts.HttpResponse(200, JSON, b"{}")

    def handle(self, call: Call) -> Any:
        self.calls.append(call)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def provider(self, operations: Any = None) -> ProviderDef:
        spec = contracts.spec("photoroom")
        names = spec.operations if operations is None else operations
        return ProviderDef("photoroom", dict.fromkeys(names, self.handle), lambda services: None)


def default(operation: str, name: str) -> Any:
    spec = contracts.spec("photoroom")
    [param] = [p for p in spec.parameters(spec.operations[operation]) if p["name"] == name]
    return spec.resolve(param["schema"])["default"]


@pytest.fixture
def folder() -> Folder:
    return Folder()


@pytest.fixture
def app(folder: Folder, tmp_path: Path) -> Flask:
    flask_app = Flask("dispatch-test")
    provider = folder.provider()
    flask_app.extensions["segmock"] = Services(MockConfig(state_dir=tmp_path), [provider])
    flask_app.register_blueprint(blueprint(provider))
    return flask_app


def test_a_folder_missing_a_handler_is_refused_naming_the_operations(folder: Folder) -> None:
    mocked = set(contracts.spec("photoroom").operations) - contracts.spec("photoroom").unmocked
    blueprint(folder.provider(mocked))  # unmocked operations need no handler
    with pytest.raises(RuntimeError, match="photoroom: no handler for account-details-v1, remove-background"):
        blueprint(folder.provider(mocked - {"remove-background", "account-details-v1"}))


def test_handlers_see_only_requests_the_provider_accepts(app: Flask, folder: Folder) -> None:
    client = app.test_client()
    no_key, refusal = client.get(ACCOUNT), contracts.error_response("photoroom", "auth_missing", "account-details-v2")
    assert (no_key.status_code, no_key.data) == (refusal.status, refusal.body)
    url = {"imageUrl": "https://a.test/a.png"}
    assert client.get("/v2/edit", headers=KEY, query_string={**url, "outputSize": "huge"}).status_code == 400
    assert folder.calls == []
    assert client.get("/v2/edit", headers=KEY, query_string=url).status_code == 200
    [call] = folder.calls
    assert (call.operation, call.api_key) == ("edit-image-get", KEY["x-api-key"])
    assert call.sent == url  # what the client sent ...
    assert call.params["outputSize"] == default("edit-image-get", "outputSize")  # ... and the spec's defaults


def test_a_body_over_the_budget_is_refused_from_its_length_before_it_is_read(app: Flask, folder: Folder) -> None:
    answer = app.test_client().post("/v2/edit", headers=KEY, content_type="multipart/form-data; boundary=x",
                                    data=b"", environ_overrides={"CONTENT_LENGTH": str(2**40)})
    expected = contracts.error_response("photoroom", "image_too_large", "edit-image-post")
    assert (answer.status_code, answer.data) == (expected.status, expected.body)
    assert folder.calls == []


@pytest.mark.parametrize("failure, key", [
    (ImageProblem("image_too_large", "too large"), "image_too_large"),
    (FetchError("refused", "not fetched"), "image_url_unreachable"),
    (RuntimeError("a bug in the mock"), "server_error"),
])
def test_a_handler_failure_is_answered_as_the_provider_documents_it(app: Flask, folder: Folder, failure: Exception,
                                                                    key: str, caplog: pytest.LogCaptureFixture) -> None:
    folder.outcome = failure
    answer = app.test_client().get(ACCOUNT, headers=KEY)
    expected = contracts.error_response("photoroom", key, "account-details-v2")
    assert (answer.status_code, answer.data) == (expected.status, expected.body)
    if key == "server_error":
        assert "photoroom account-details-v2 failed" in caplog.text and "a bug in the mock" in caplog.text


def test_an_image_problem_the_catalog_does_not_name_is_its_invalid_image_answer(app: Flask, folder: Folder) -> None:
    folder.outcome = ImageProblem("image_animated", "Animated images are not supported.")
    answer = app.test_client().get(ACCOUNT, headers=KEY)
    expected = contracts.error_response("photoroom", "image_invalid", "account-details-v2",
                                        message="Animated images are not supported.")
    assert (answer.status_code, answer.data) == (expected.status, expected.body)


def test_an_injector_answers_instead_and_observers_see_every_exchange(app: Flask, folder: Folder,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    svc = app.extensions["segmock"]
    seen: list[tuple[str, int, bool]] = []
    injected = contracts.HttpResponse(402, JSON, b'{"canned": true}')
    svc.injectors.append(lambda provider, operation, request: injected if request.args.get("inject") else None)
    svc.observers.append(lambda provider, operation, req, ctx, response, elapsed, was_injected:
                         seen.append((operation, response.status_code, was_injected)))
    svc.observers.append(lambda *exchange: 1 / 0)  # a broken observer must not break the answer
    client = app.test_client()
    assert client.get(ACCOUNT, headers=KEY, query_string={"inject": "1"}).data == b'{"canned": true}'
    assert client.get(ACCOUNT, headers=KEY).status_code == 200
    assert len(folder.calls) == 1
    assert seen == [("account-details-v2", 402, True), ("account-details-v2", 200, False)]
    assert caplog.text.count("segmock observer failed") == 2
