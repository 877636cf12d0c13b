"""validate_request: documented examples pass; each contract rule, broken once, yields exactly its violation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import contracts
from contracts.openapi.examples import auth_headers, build, iter_examples, sample_image
from contracts.wire.multipart import Part, encode

PHOTOROOM = "https://image-api.photoroom.com"
KEY = {"x-api-key": "k"}
PNG = sample_image("png")


def errors(provider: str, request: Any) -> list[tuple[str | None, str]]:
    return [(v.parameter, v.rule) for v in contracts.validate_request(provider, request) if v.severity == "error"]


# -- documented examples ---------------------------------------------------------------------------------

EXAMPLES = [(p, op, ex) for p in contracts.providers() for op, ex in iter_examples(p)]


@pytest.mark.parametrize("provider,operation,example", EXAMPLES,
                         ids=[f"{p}:{op}:{i}" for i, (p, op, _) in enumerate(EXAMPLES)])
def test_documented_examples_pass(provider: str, operation: str, example: dict[str, Any]) -> None:
    request = build(provider, operation, example)
    found = contracts.validate_request(provider, request)
    rules = sorted(v.rule for v in found if v.severity == "error")
    assert rules == sorted(example.get("expect_violations", [])), [str(v) for v in found]
    assert all(v.operation == operation for v in found)


def test_every_operation_taking_a_body_has_an_example() -> None:
    covered = {(p, op) for p, op, _ in EXAMPLES}
    for provider in contracts.providers():
        for op_id, op in contracts.spec(provider).operations.items():
            if "requestBody" in op.node:
                assert (provider, op_id) in covered, f"{provider} {op_id} has no request example"


# -- Photoroom -------------------------------------------------------------------------------------------

def edit_post(fields: dict[str, str], files: dict[str, bytes] | None = None) -> httpx.Request:
    files = {"imageFile": PNG} if files is None else files
    return httpx.Request("POST", f"{PHOTOROOM}/v2/edit", headers=KEY, data=fields,
                         files={k: ("in.png", v, "image/png") for k, v in files.items()})


def edit_get(query: dict[str, str]) -> httpx.Request:
    params = {"imageUrl": "https://x.test/a.png", **query}
    return httpx.Request("GET", f"{PHOTOROOM}/v2/edit", headers=KEY, params=params)


@pytest.mark.parametrize("fields", [
    {"padding": "0.1"}, {"padding": "30%"}, {"padding": "100px"}, {"margin": "12.5%"}, {"paddingTop": "0"},
    {"removeBackground": "false"}, {"export.dpi": "72"}, {"export.dpi": "1200"},
    {"background.blur.radius": "0.05"}, {"outputSize": "1000x1000", "background.color": "FF0000EE"},
    {"outputSize": "croppedSubject", "maxWidth": "400"},
    {"removeBackground": "false", "background.color": "red"}, {"background.color": "#FF0000"},
    {"export.format": "avif"}, {"colorSpace": "original"}, {"outline.color": "red", "outline.width": "0.1"},
])
def test_photoroom_valid_form_values(fields: dict[str, str]) -> None:
    """Form strings are typed by the schema: numbers, booleans, number-or-string fields all validate."""
    assert errors("photoroom", edit_post(fields)) == []


@pytest.mark.parametrize("fields,expected", [
    ({"padding": "0.5"}, ("padding", "anyOf")),
    ({"padding": "50%"}, ("padding", "anyOf")),
    ({"margin": "-1px"}, ("margin", "anyOf")),
    ({"removeBackground": "maybe"}, ("removeBackground", "type")),
    ({"export.dpi": "71"}, ("export.dpi", "minimum")),
    ({"export.dpi": "1201"}, ("export.dpi", "maximum")),
    ({"background.blur.radius": "0"}, ("background.blur.radius", "exclusiveMinimum")),
    ({"export.format": "gif"}, ("export.format", "enum")),
    ({"outputSize": "big"}, ("outputSize", "pattern")),
    ({"removeBackground": "false", "background.prompt": "beach"}, ("background.prompt", "forbidden")),
    ({"colorSpace": "original", "export.format": "jpeg"}, ("colorSpace", "colour-space")),
    ({"beautify.mode": "ai.auto", "beautify.onSubjectMismatch": "error"}, ("beautify.onSubjectMismatch", "forbidden")),
    ({"removeBackground": "false", "ignorePaddingAndSnapOnCroppedSides": "true"},
     ("ignorePaddingAndSnapOnCroppedSides", "forbidden")),
    ({"removeBackground": "false", "referenceBox": "originalImage"}, ("referenceBox", "forbidden")),
    ({"outputSize": "1000x1000", "maxWidth": "400"}, ("maxWidth", "forbidden")),
    ({"background.scaling": "fit"}, ("background.scaling", "forbidden")),
    ({"segmentation.negativePrompt": "hanger"}, ("segmentation.prompt", "required")),
    ({"padding": "0.3", "margin": "0.3"}, ("padding", "no-room")),
    ({"outputSize": "0x100"}, ("outputSize", "zero-size")),
])
def test_photoroom_each_rule_yields_its_violation(fields: dict[str, str], expected: tuple[str, str]) -> None:
    assert errors("photoroom", edit_post(fields)) == [expected]


def test_photoroom_post_needs_exactly_one_image_source() -> None:
    content_type, body = encode([Part("padding", b"0.1")])
    no_image = {"method": "POST", "url": f"{PHOTOROOM}/v2/edit", "headers": {**KEY, "Content-Type": content_type},
                "body": body}
    assert errors("photoroom", no_image) == [("imageFile", "one-of-required")]
    # URLs are GET fields: in a POST form imageUrl is an unsupported attribute (a warning), never a second source.
    both = edit_post({"imageUrl": "https://x.test/a.png"})
    assert errors("photoroom", both) == []
    assert [(v.parameter, v.rule, v.severity) for v in contracts.validate_request("photoroom", both)] == \
        [("imageUrl", "unsupported", "warning")]


def test_photoroom_get_accepts_urls_only() -> None:
    assert errors("photoroom", edit_get({"padding": "0.2"})) == []
    assert errors("photoroom", edit_get({"imageFile": "abc"})) == [("imageFile", "forbidden")]
    no_url = httpx.Request("GET", f"{PHOTOROOM}/v2/edit", headers=KEY)
    assert errors("photoroom", no_url) == [("imageUrl", "one-of-required")]


def test_photoroom_messages_sound_like_photoroom() -> None:
    [v] = contracts.validate_request("photoroom", edit_post({"removeBackground": "maybe"}))
    assert v.message == "removeBackground must be boolean"
    assert (v.parameter, v.location) == ("removeBackground", "form")


def test_photoroom_unknown_attribute_is_a_warning() -> None:
    found = contracts.validate_request("photoroom", edit_post({"background.inner": "1"}))
    assert [(v.parameter, v.rule, v.severity) for v in found] == [("background.inner", "unsupported", "warning")]


def test_missing_key_is_an_auth_violation() -> None:
    req = httpx.Request("GET", f"{PHOTOROOM}/v2/account")
    [v] = contracts.validate_request("photoroom", req)
    assert (v.parameter, v.location, v.rule) == ("x-api-key", "header", "auth")


def test_duplicated_fields_are_refused() -> None:
    req = httpx.Request("POST", f"{PHOTOROOM}/v2/edit", headers=KEY,
                        files=[("imageFile", ("a.png", PNG, "image/png")), ("imageFile", ("b.png", PNG, "image/png"))])
    assert errors("photoroom", req) == [("imageFile", "duplicate")]


def test_unknown_path_and_wrong_method() -> None:
    assert errors("photoroom", httpx.Request("GET", f"{PHOTOROOM}/v9/nothing", headers=KEY)) == [
        (None, "unknown-operation")]
    assert errors("photoroom", httpx.Request("DELETE", f"{PHOTOROOM}/v2/edit", headers=KEY)) == [
        (None, "method-not-allowed")]


# -- tengr -----------------------------------------------------------------------------------------------

TENGR = "https://api.tengr.ai/v2/artworks/segmentation"


def artwork(**body: Any) -> httpx.Request:
    base = {"imageUrl": "https://img.example.com/cat.png", "method": "text", "textPrompt": "cat"}
    payload = {k: v for k, v in {**base, **body}.items() if v is not None}
    return httpx.Request("POST", TENGR, headers=auth_headers(contracts.spec("tengr")), json=payload)


@pytest.mark.parametrize("body,expected", [
    ({"textPrompt": None}, ("textPrompt", "required")),
    ({"textPrompt": "   "}, ("textPrompt", "empty")),
    ({"method": "points", "textPrompt": None}, ("pointsPositive", "required")),
    ({"method": "points", "textPrompt": None, "pointsPositive": {"points": [[0.5, 0.5], [0.2, 0.2]], "labels": [1]}},
     ("pointsPositive.labels", "labels-length")),
    ({"method": "points", "textPrompt": None, "pointsPositive": {"points": [[1.5, 0.5]]}},
     ("pointsPositive.points[0][0]", "maximum")),
    ({"method": "points", "textPrompt": None, "pointsPositive": {"points": [[0.5]]}},
     ("pointsPositive.points[0]", "minItems")),
    ({"webhook": "http://hooks.example.com/x"}, ("webhook", "webhook-scheme")),
    ({"webhook": "https://127.0.0.1/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://169.254.169.254/latest"}, ("webhook", "webhook-host")),
    ({"webhook": "https://10.1.2.3/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://localhost:8443/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://metadata.google.internal/x"}, ("webhook", "webhook-host")),
    # the same addresses as an attacker spells them (contracts.check.addresses reads them as the resolver does)
    ({"webhook": "https://2130706433/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://0x7f000001/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://127.1/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://0177.0.0.1/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://2852039166/latest"}, ("webhook", "webhook-host")),
    ({"webhook": "https://167772161/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://[::ffff:169.254.169.254]/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://[::ffff:a9fe:a9fe]/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://[64:ff9b::a9fe:a9fe]/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://[2002:a9fe:a9fe::]/x"}, ("webhook", "webhook-host")),
    ({"webhook": "https://hooks.localhost/x"}, ("webhook", "webhook-host")),
    ({"maskExpand": 16385}, ("maskExpand", "maximum")),
    ({"textMaxDetections": -2}, ("textMaxDetections", "minimum")),
    ({"outputFormat": "jpeg"}, ("outputFormat", "enum")),
    ({"surprise": 1}, ("surprise", "unknown-field")),
])
def test_tengr_each_rule_yields_its_violation(body: dict[str, Any], expected: tuple[str, str]) -> None:
    assert errors("tengr", artwork(**body)) == [expected]


@pytest.mark.parametrize("body", [
    {}, {"maskExpand": -16384}, {"maskExpand": 16384}, {"textMaxDetections": -1}, {"textMaxDetections": 100},
    {"webhook": "https://hooks.example.com/segmock"}, {"webhook": "https://[2606:4700::1111]/hook"},
    {"webhook": "https://user:pw@hooks.example.com:8443/segmock?x=1"},
    {"method": "points", "textPrompt": None, "pointsPositive": {"points": [[0, 1], [0.5, 0.5]], "labels": [1, 1]}},
])
def test_tengr_valid_bodies(body: dict[str, Any]) -> None:
    assert errors("tengr", artwork(**body)) == []


def test_tengr_messages_sound_like_nestjs() -> None:
    [v] = contracts.validate_request("tengr", artwork(maskExpand=16385))
    assert v.message == "maskExpand must not be greater than 16384"


# -- Prodia ----------------------------------------------------------------------------------------------

PRODIA = "https://inference.prodia.com/v2/job"
BEARER = {"Authorization": "Bearer t"}


def job(parts: list[Part]) -> dict[str, Any]:
    content_type, body = encode(parts)
    return {"method": "POST", "url": PRODIA, "headers": {**BEARER, "Content-Type": content_type}, "body": body}


def job_part(payload: Any) -> Part:
    return Part("job", json.dumps(payload).encode(), "application/json", "job.json")


def image_part(filename: str = "image.jpg") -> Part:
    return Part("input", sample_image("jpeg"), "image/jpeg", filename)


SAM3 = {"type": "inference.segment.v2", "config": {"prompt": "robot cat"}}


@pytest.mark.parametrize("parts,expected", [
    ([image_part(), job_part(SAM3), job_part(SAM3)], ("job", "multiple-job-parts")),
    ([job_part(SAM3), image_part("a.jpg"), image_part("a.jpg")], ("input", "duplicate-input-filename")),
    ([job_part(SAM3)], ("input", "required")),
    ([job_part({**SAM3, "extra": 1}), image_part()], ("job.extra", "unknown-field")),
    ([job_part({"type": "inference.segment.v2", "config": {"prompt": "cat", "foo": 1}}), image_part()],
     ("job.config.foo", "unknown-field")),
    ([job_part({"type": "inference.segment.v2", "config": {"prompt": ""}}), image_part()],
     ("job.config.prompt", "minLength")),
    ([job_part({"type": "inference.segment.v2", "config": {"prompt": "x" * 501}}), image_part()],
     ("job.config.prompt", "maxLength")),
    ([job_part({"type": "inference.segment.v2", "config": {"prompt": "a", "confidence_threshold": 1.5}}),
      image_part()], ("job.config.confidence_threshold", "maximum")),
])
def test_prodia_each_rule_yields_its_violation(parts: list[Part], expected: tuple[str, str]) -> None:
    assert errors("prodia", job(parts)) == [expected]


def test_prodia_valid_jobs_in_any_part_order() -> None:
    assert errors("prodia", job([image_part(), job_part(SAM3)])) == []
    assert errors("prodia", job([job_part({"type": "inference.segment.v1"}), image_part()])) == []
    assert errors("prodia", job([job_part({"type": "inference.sam3.segment.v1", "config": {"prompt": "x" * 500}}),
                                 image_part()])) == []


def test_prodia_message_is_go_jsonschema_style() -> None:
    [v] = contracts.validate_request("prodia", job([job_part({"type": "inference.segment.v2",
                                                               "config": {"prompt": "x" * 501}}), image_part()]))
    assert "jsonschema validation failed" in v.message and "maxLength: got 501, want 500" in v.message


# -- SellerPic -------------------------------------------------------------------------------------------

SELLERPIC = "https://api.sellerpic.ai/v1/api/generate/promptSegmentation"


@pytest.mark.parametrize("body,expected", [
    ({"prompt": "sofa"}, ("imageKey", "required")),
    ({"imageKey": "UPLOAD/x.png"}, ("prompt", "required")),
    ({"imageKey": "", "prompt": "sofa"}, ("imageKey", "minLength")),
    ({"imageKey": "UPLOAD/x.png", "prompt": "  "}, ("prompt", "empty")),
])
def test_sellerpic_task_fields_are_required_and_non_empty(body: dict[str, Any], expected: tuple[str, str]) -> None:
    req = httpx.Request("POST", SELLERPIC, headers=BEARER, json=body)
    assert errors("sellerpic", req) == [expected]


# -- adapters --------------------------------------------------------------------------------------------

def test_same_verdict_from_every_request_kind() -> None:
    """httpx, requests, werkzeug and plain records are all read the same way."""
    import requests
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    fields = {"removeBackground": "maybe"}
    hx = edit_post(fields)
    body = hx.read()
    record = {"method": "POST", "url": str(hx.url), "headers": dict(hx.headers), "body": body}
    prepared = requests.Request("POST", str(hx.url), headers=KEY, data=fields,
                                files={"imageFile": ("in.png", PNG, "image/png")}).prepare()
    env = EnvironBuilder(method="POST", base_url=PHOTOROOM, path="/v2/edit", headers=KEY,
                         data={**fields, "imageFile": (__import__("io").BytesIO(PNG), "in.png", "image/png")})
    wz = Request(env.get_environ())
    expected = [("removeBackground", "type")]
    for request in (hx, record, prepared, wz):
        assert errors("photoroom", request) == expected, type(request)
