"""Violations become each provider's documented error response, and those responses honour the spec."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

import contracts
from contracts.check.providers import error_response, render_error
from contracts.openapi.examples import build, iter_examples


def _example_request(provider: str, operation: str) -> Any:
    for op, example in iter_examples(provider):
        if op == operation:
            return build(provider, operation, example)
    spec = contracts.spec(provider)
    op = spec.operations[operation]
    from contracts.openapi.examples import auth_headers, server_url

    return contracts.HttpRequest(op.method.upper(), server_url(op, spec) + op.path.replace("{", "").replace("}", ""),
                                 auth_headers(spec))


def _documents(provider: str, operation: str, entry: dict[str, Any]) -> bool:
    """Whether the operation documents the entry's status (in the entry's media type, when it names one)."""
    spec = contracts.spec(provider)
    responses = spec.operations[operation].node.get("responses", {})
    status = str(entry["status"])
    node = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default")
    if node is None:
        return False
    media = entry.get("media_type")
    return media is None or media in spec.resolve(node).get("content", {})


def _catalog_cases(http_errors: bool) -> list[tuple[str, str, str]]:
    """(provider, key, an operation answering with it) for catalog entries sent as HTTP errors or not."""
    cases = []
    for provider in contracts.providers():
        spec = contracts.spec(provider)
        for key, entry in spec.errors.items():
            if (entry["status"] >= 400) != http_errors or entry.get("artworkStatus"):
                continue
            ops = [o for o in entry.get("operations") or spec.operations if o in spec.operations]
            ops = [o for o in ops if _documents(provider, o, entry)] or ops
            cases.append((provider, key, ops[0]))
    return cases


@pytest.mark.parametrize("provider,key,operation", _catalog_cases(True), ids=lambda v: str(v))
def test_every_catalog_error_renders_as_the_spec_documents(provider: str, key: str, operation: str) -> None:
    """Each documented (or assumed) error response validates against its operation's responses."""
    resp = error_response(provider, key, operation)
    assert resp.status == contracts.spec(provider).errors[key]["status"]
    violations = contracts.validate_response(provider, _example_request(provider, operation), resp)
    assert violations == [], [str(v) for v in violations]


@pytest.mark.parametrize("provider,key,operation", _catalog_cases(False), ids=lambda v: str(v))
def test_business_errors_sent_with_200_validate_too(provider: str, key: str, operation: str) -> None:
    """SellerPic reports business errors as HTTP 200 envelopes with a non-zero code; they honour the spec."""
    resp = error_response(provider, key, operation)
    body = json.loads(resp.body)
    assert resp.status == 200 and body["success"] is False
    assert body["code"] == contracts.spec(provider).errors[key]["code"]
    assert contracts.validate_response(provider, _example_request(provider, operation), resp) == []


def test_photoroom_shapes() -> None:
    bad = httpx.Request("POST", "https://image-api.photoroom.com/v2/edit", headers={"x-api-key": "k"},
                        data={"removeBackground": "maybe"}, files={"imageFile": ("a.png", b"x", "image/png")})
    resp = render_error("photoroom", contracts.validate_request("photoroom", bad), "edit-image-post")
    assert resp.status == 400
    assert json.loads(resp.body) == {"error": {"message": "removeBackground must be boolean"}}
    v1 = error_response("photoroom", "missing_image", "remove-background")
    body = json.loads(v1.body)
    assert set(body) == {"detail", "status_code", "type"} and body["status_code"] == v1.status


def test_tengr_shape_is_nestjs_validation() -> None:
    bad = httpx.Request("POST", "https://api.tengr.ai/v2/artworks/segmentation", headers={"Authorization": "Bearer k"},
                        json={"imageUrl": "https://a.example/x.png", "method": "text", "textPrompt": "c",
                              "maskExpand": 99999})
    resp = render_error("tengr", contracts.validate_request("tengr", bad), "create-segmentation-artwork")
    assert resp.status == 400
    assert json.loads(resp.body) == {"message": ["maskExpand must not be greater than 16384"],
                                     "error": "Bad Request", "statusCode": 400}


def test_sellerpic_shape_is_the_envelope() -> None:
    bad = httpx.Request("POST", "https://api.sellerpic.ai/v1/api/generate/promptSegmentation",
                        headers={"Authorization": "Bearer k"}, json={"imageKey": "k"})
    resp = render_error("sellerpic", contracts.validate_request("sellerpic", bad), "prompt-segmentation")
    body = json.loads(resp.body)
    assert set(body) >= {"code", "data", "msg", "success", "traceId"}
    assert body["success"] is False and body["code"] != 0 and "prompt" in body["msg"]
    violations = contracts.validate_request("sellerpic", bad)
    assert resp.body == render_error("sellerpic", violations, "prompt-segmentation").body


def test_prodia_shape_is_multipart_with_job_error() -> None:
    resp = error_response("prodia", "validation", "create-job", message="jsonschema validation failed")
    assert resp.status == 400 and resp.mimetype == "multipart/form-data"
    env = EnvironBuilder(method="POST", data=resp.body, content_type=resp.content_type).get_environ()
    _, form, files = parse_form_data(env)
    job = json.loads((files.get("job") or form.get("job")).read() if files.get("job") else form["job"])
    assert job["error"] == "jsonschema validation failed" and job["id"]
    unauthorized = error_response("prodia", "auth_invalid", "create-job")
    assert unauthorized.status == 401 and b"token is invalid" in unauthorized.body
    assert not unauthorized.mimetype.startswith("multipart")
