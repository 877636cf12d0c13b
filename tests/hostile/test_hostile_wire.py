"""Broken wire formats against every implemented operation that takes a body: wrong or missing Content-Type,
multipart without a boundary, duplicated fields, invalid UTF-8, NaN/Infinity numbers, 10 000-character text
and Photoroom's giant outputSize. Each gets a documented refusal (never a 5xx, never off-spec) with a message,
and the server keeps serving."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import contracts
from contracts.generate.strategies import valid_requests
from contracts.openapi.fields import fields, media_types

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "properties"))
from prop_support import Mock, make_mock, off_spec, operations

ONE = settings(max_examples=1, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Mock:
    """One app for the module: ``Mock.send`` forgets all state before each request."""
    return make_mock(tmp_path_factory.mktemp("hostile-wire"))
BODIES = [(p, op) for p, op in operations() if media_types(p, op)]


def _mutations(request: contracts.HttpRequest) -> dict[str, contracts.HttpRequest]:
    def with_(headers: dict[str, str | None] | None = None, body: bytes | None = None) -> contracts.HttpRequest:
        h = dict(request.headers.items())
        for k, v in (headers or {}).items():
            h.pop(k, None)
            h.pop(k.lower(), None)
            if v is not None:
                h[k] = v
        return contracts.HttpRequest(request.method, request.url, h, request.body if body is None else body)

    out = {
        "no-content-type": with_({"Content-Type": None}),
        "wrong-content-type": with_({"Content-Type": "text/plain"}),
        "invalid-utf8": with_(body=b"\xff\xfe\x80" + request.body[:64]),
    }
    if request.mimetype == "multipart/form-data":
        out["multipart-without-boundary"] = with_({"Content-Type": "multipart/form-data"})
        head = request.body.split(b"\r\n--", 1)[0]
        if head.startswith(b"--") and b"filename" not in head:
            out["duplicated-field"] = with_(body=head + b"\r\n" + request.body)
    return out


@pytest.mark.parametrize("provider,operation", BODIES, ids=[f"{p}:{op}" for p, op in BODIES])
def test_broken_wire_formats_are_refused(mock: Mock, provider: str, operation: str) -> None:

    @ONE
    @given(valid_requests(provider, operation))
    def run(good: contracts.HttpRequest) -> None:
        for name, bad in _mutations(good).items():
            response = mock.send(bad)
            assert response.status < 500, (name, response.body[:300])
            assert off_spec(provider, bad, response) == [], name
            assert response.body, name
        assert mock.send(good).status < 500

    run()


TEXT_NUMBER = [(p, op, m, f.name) for p, op in operations() for m in (media_types(p, op) or [None])
               for f in fields(p, op, m) if f.location in ("query", "form")
               and f.schema.get("type") in ("number", "integer")]


@pytest.mark.parametrize("provider,operation,media,field", TEXT_NUMBER,
                         ids=[f"{p}:{op}:{f}" for p, op, _, f in TEXT_NUMBER])
@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf"])
def test_non_finite_numbers_are_refused_naming_the_field(mock: Mock, provider: str, operation: str,
                                                        media: str | None, field: str, text: str) -> None:
    from contracts.generate.drafts import Raw


    @ONE
    @given(valid_requests(provider, operation, media_type=media, fixed={field: Raw(text)}))
    def run(bad: contracts.HttpRequest) -> None:
        found = [(v.parameter, v.rule) for v in contracts.errors_only(contracts.validate_request(provider, bad))]
        assert any(parameter == field for parameter, _ in found), found  # "type", or a bound for ±inf
        response = mock.send(bad)
        assert response.status < 500 and field in response.body.decode("utf-8", "replace")
        assert off_spec(provider, bad, response) == []

    run()


@pytest.mark.parametrize("size", ["100000x100000", "99999999999x1"])
def test_giant_output_size_is_refused_without_rendering(mock: Mock, size: str) -> None:
    if "photoroom" not in [p for p, _ in operations()]:
        pytest.fail("Photoroom is not served")

    @ONE
    @given(valid_requests("photoroom", "edit-image-post", fixed={"outputSize": size}))
    def run(bad: contracts.HttpRequest) -> None:
        response = mock.send(bad)
        assert response.status == 400 and b"outputSize" in response.body, response.body[:300]

    run()


def test_a_10000_character_prompt_is_answered_as_documented(mock: Mock) -> None:
    prompt = "red bottle " * 1000
    cases = [(p, op, name) for p, op, name in (("photoroom", "edit-image-post", "segmentation.prompt"),
                                               ("tengr", "create-segmentation-artwork", "textPrompt"))
             if p in {q for q, _ in operations()}]
    assert cases

    @ONE
    @given(st.tuples(*[valid_requests(p, op, fixed={name: prompt}) for p, op, name in cases]))
    def run(requests: tuple[contracts.HttpRequest, ...]) -> None:
        for (provider, _, _), request in zip(cases, requests):
            response = mock.send(request)
            assert response.status < 500, response.body[:300]
            assert off_spec(provider, request, response) == []

    run()
