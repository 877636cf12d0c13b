"""Form fields arrive as strings: segmock types them by the schema, where stock openapi-core cannot."""

from __future__ import annotations

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

import contracts
from contracts.check.forms import coerce
from contracts.check.validation import _CoreRequest
from contracts.openapi.examples import sample_image
from contracts.wire.exchange import parse_form

URL = "https://image-api.photoroom.com/v2/edit"


def _form_request(fields: dict[str, str]) -> httpx.Request:
    return httpx.Request("POST", URL, headers={"x-api-key": "k"}, data=fields,
                         files={"imageFile": ("in.png", sample_image("png"), "image/png")})


def test_stock_openapi_core_rejects_typed_form_fields_and_binary_uploads() -> None:
    """The problem segmock solves: plain openapi-core 0.23 on an OpenAPI 3.1 multipart operation."""
    spec = contracts.spec("photoroom")
    stock = OpenAPI.from_dict(spec.raw)
    req = _form_request({"padding": "0.1", "removeBackground": "false"})
    core = _CoreRequest(spec.operations["edit-image-post"].base_url, "/v2/edit", "/v2/edit", "post",
                        RequestParameters(query=ImmutableMultiDict(), header=Headers(dict(req.headers))),
                        req.read(), req.headers["content-type"])
    result = stock.unmarshal_request(core)
    problems = " ".join(str(getattr(e, "__cause__", e)) for e in result.errors)
    assert result.errors, "stock openapi-core accepted the form; segmock's coercion may be unnecessary now"
    assert "removeBackground" in problems or "not of type" in problems or "binary" in problems


def test_segmock_validates_the_same_request() -> None:
    assert contracts.validate_request("photoroom", _form_request({"padding": "0.1", "removeBackground": "false"})) == []


@pytest.mark.parametrize("value,schema,expected", [
    ("0.1", {"anyOf": [{"type": "number"}, {"type": "string"}]}, 0.1),
    ("30%", {"anyOf": [{"type": "number"}, {"type": "string"}]}, "30%"),
    ("100px", {"type": ["number", "string"]}, "100px"),
    ("false", {"type": "boolean"}, False),
    ("true", {"type": "boolean"}, True),
    ("7", {"type": "integer"}, 7),
    ("1e3", {"type": "number"}, 1000.0),
    ("NaN", {"type": "number"}, "NaN"),
    ("Infinity", {"type": "number"}, "Infinity"),
    ("maybe", {"type": "boolean"}, "maybe"),
    ('{"mode": "ai.auto"}', {"type": "object"}, {"mode": "ai.auto"}),
    ("{broken", {"type": "object"}, "{broken"),
    ("abc", {}, "abc"),
])
def test_coerce_types_by_schema(value: str, schema: dict, expected: object) -> None:
    assert coerce(value, schema, lambda s: s) == expected


@pytest.mark.parametrize("padding,ok", [
    ("0.1", True), ("0", True), ("0.49", True), ("30%", True), ("12.5%", True), ("49%", True), ("100px", True),
    ("0.5", False), ("-0.1", False), ("50%", False), ("49.5%", False), ("-1px", False), ("10.5px", False),
    ("abc", False), ("NaN", False),
])
def test_padding_in_all_three_forms_by_query_and_form(padding: str, ok: bool) -> None:
    as_query = httpx.Request("GET", URL, headers={"x-api-key": "k"},
                             params={"imageUrl": "https://x.test/a.png", "padding": padding})
    as_form = _form_request({"padding": padding})
    for req in (as_query, as_form):
        found = [v for v in contracts.validate_request("photoroom", req) if v.severity == "error"]
        assert (found == []) is ok, (padding, [str(v) for v in found])


def test_a_large_file_part_is_parsed_in_memory_never_in_a_temporary_file(monkeypatch) -> None:
    """A recorded upload may carry anything; the proxy's promise is that nothing it relays reaches the disk."""
    import tempfile

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a form part went to a temporary file")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", refuse)
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    data = bytes(range(256)) * 8192  # 2 MB, past werkzeug's 500 KB in-memory limit
    body = (b'--b\r\nContent-Disposition: form-data; name="image_file"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + data + b'\r\n--b\r\nContent-Disposition: form-data; name="size"'
            b"\r\n\r\nfull\r\n--b--\r\n")
    form, files = parse_form(body, "multipart/form-data; boundary=b")
    assert files["image_file"].data == data
    assert form["size"] == "full"
