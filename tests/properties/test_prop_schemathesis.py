"""Schemathesis against the live mock, one spec at a time: positive and negative cases for every operation,
with every check that matters (no 5xx, documented statuses, response schemas, negative data refused, positive
data accepted) and zero failures.

Schemathesis' usual false positives are settled by the contract, not by loosening checks: a case Schemathesis
calls positive but that breaks a cross-field rule (two background sources, a points field in text mode) is
held to what ``contracts.validate_request`` says instead, and binary fields carry real images (a registered
media-type strategy for raw bodies, generated scenes for form fields) so "valid" uploads really are valid.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prop_support import documented_refusal, ids, not_found_statuses, operations, success_statuses
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

import contracts
from contracts.generate.values import images, is_binary
from contracts.openapi.examples import auth_headers
from contracts.openapi.fields import ImageLimits, fields, input_limits, media_types


def _negatable(provider: str, operation: str) -> bool:
    """Schemathesis negates parameters and bodies; a free-form path token or a raw upload alone has no
    negative cases."""
    return any(not (f.location == "path" and set(f.schema) <= {"type", "description", "x-segmock-assumption"})
               and not is_binary(f.schema)
               for m in media_types(provider, operation) or [None] for f in fields(provider, operation, m))


# Operations a spec marks x-segmock-unmocked answer 501 "not mocked" on purpose: nothing to fuzz there.
OPERATIONS = [(p, op, mode) for p, op in operations() for mode in ("positive", "negative")
              if op not in contracts.spec(p).unmocked and (mode == "positive" or _negatable(p, op))]
ALWAYS = [not_a_server_error, status_code_conformance, response_schema_conformance]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "application/octet-stream")

for media in IMAGE_TYPES:  # raw image bodies (SellerPic's presigned PUT) get real images
    schemathesis.openapi.media_type(media, images(ImageLimits()))


def _config(provider: str) -> SchemathesisConfig:
    """Positive data is accepted with the statuses the spec documents for it (404 for ids nobody created);
    negative data is refused with a 4xx, or with the status the catalog documents for a refusal (SellerPic
    answers business errors with 200 and ``success: false``, which the test checks separately)."""
    spec = contracts.spec(provider)
    refusals = sorted({"4XX", *(str(e["status"]) for e in spec.errors.values()
                                if isinstance(e, dict) and isinstance(e.get("status"), int) and e["status"] < 500)})
    per_operation = []
    for op in spec.operations:
        statuses = sorted(success_statuses(provider, op) | not_found_statuses(provider, op))
        per_operation.append({"include-operation-id": op,
                              "checks": {"positive_data_acceptance": {"expected-statuses": statuses},
                                         "negative_data_rejection": {"expected-statuses": refusals}}})
    return SchemathesisConfig.from_dict({"operations": per_operation})


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return {p: schemathesis.openapi.from_dict(contracts.spec(p).raw, config=_config(p)) for p, _ in operations()}


def _operation(schema: Any, provider: str, operation: str) -> Any:
    op = contracts.spec(provider).operations[operation]
    return schema[op.path][op.method.upper()]


def _with_images(case: Any, provider: str, operation: str, draw: Any) -> None:
    """Form fields declared binary get generated scenes (Schemathesis would send arbitrary bytes)."""
    if not isinstance(case.body, dict) or case.media_type is None:
        return
    limits = input_limits(provider, operation)
    for f in fields(provider, operation, case.media_type):
        items = f.schema.get("items") if isinstance(f.schema, dict) else None
        if f.name in case.body and (is_binary(f.schema) or is_binary(items)):
            picture = draw(images(limits))
            case.body[f.name] = [picture] if is_binary(items) else picture


@pytest.mark.parametrize("provider,operation,mode", OPERATIONS, ids=ids(OPERATIONS))
def test_schemathesis_finds_nothing(schemas: dict[str, Any], segmock_server: Any, provider: str, operation: str,
                                    mode: str) -> None:
    api = _operation(schemas[provider], provider, operation)
    strategy = api.as_strategy(GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE)
    headers = auth_headers(contracts.spec(provider), "schemathesis-key")

    @settings(max_examples=5, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if mode == "positive":
            _with_images(case, provider, operation, data.draw)
        segmock_server.reset()
        response = case.call(base_url=segmock_server.url, headers={**headers, **(case.headers or {})})
        sent = contracts.as_request(response.request)
        found = contracts.errors_only(contracts.validate_request(provider, sent))
        checks = list(ALWAYS)
        if mode == "negative" and found:
            checks.append(negative_data_rejection)
        if mode == "positive" and not found and not documented_refusal(provider, operation, sent):
            checks.append(positive_data_acceptance)
        case.validate_response(response, checks=checks)
        if found:  # schema-valid or not, what the contract refuses the mock refuses, as documented
            auth = [v for v in found if v.rule == "auth"]  # credentials are checked before anything else
            documented = contracts.render_error(provider, auth or found, operation)
            assert response.status_code == documented.status
            if response.status_code < 300:  # a business error sent with 200 (SellerPic) says so in its body
                assert response.json().get("success") is False, response.text[:300]

    run()
