"""Generated requests against the mock: valid ones are answered as documented, invalid ones are refused with
the provider's documented error naming the offending parameter, and nothing ever gets a 5xx.

Runs for every operation of every provider ``mockserver.providers.available()`` returns. Operations that
address a stored resource (an artwork id, a job id, a storage token, an ``imageKey``) are exercised with ids
nobody created, so their valid answer is the documented not-found (404, or 403 for SellerPic's storage URLs);
``test_prop_flows.py`` creates resources first.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from prop_support import (
    Mock,
    documented_refusal,
    ids,
    make_mock,
    names_parameter,
    not_found_statuses,
    off_spec,
    operations,
    success_statuses,
)

import contracts
from contracts.generate.strategies import InvalidRequest, can_be_invalid, check, invalid_requests, valid_requests

OPERATIONS = operations()
INVALIDABLE = [(p, op) for p, op in OPERATIONS if can_be_invalid(p, op)]
# Every /v2/edit GET costs ~0.1 s of openapi-core validation (55 declared parameters): fewer examples there.
EXAMPLES = {"edit-image-get": 3, "edit-image-post": 4}
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                      HealthCheck.function_scoped_fixture]}


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Mock:
    return make_mock(tmp_path_factory.mktemp("prop-requests"))


@pytest.mark.parametrize("provider,operation", OPERATIONS, ids=ids(OPERATIONS))
def test_valid_requests_get_a_documented_success(mock: Mock, provider: str, operation: str) -> None:
    @settings(max_examples=EXAMPLES.get(operation, 6), **SETTINGS)
    @given(valid_requests(provider, operation))
    def run(request: contracts.HttpRequest) -> None:
        assert check(request, provider) == []
        response = mock.send(request)
        refusal = documented_refusal(provider, operation, request)
        answers = success_statuses(provider, operation) | not_found_statuses(provider, operation)
        expected = {refusal} if refusal else answers
        assert response.status in expected, (response.status, response.body[:300])
        assert off_spec(provider, request, response) == []

    run()


def _expected_refusal(provider: str, case: InvalidRequest, operation: str) -> contracts.HttpResponse:
    found = [v for v in contracts.validate_request(provider, case.request) if v.severity == "error"]
    return contracts.render_error(provider, found, operation)


@pytest.mark.parametrize("provider,operation", INVALIDABLE, ids=ids(INVALIDABLE))
def test_invalid_requests_are_refused_naming_the_parameter(mock: Mock, provider: str, operation: str) -> None:
    @settings(max_examples=EXAMPLES.get(operation, 8), **SETTINGS)
    @given(invalid_requests(provider, operation))
    def run(case: InvalidRequest) -> None:
        found = check(case, provider)
        assert any(case.expected.matches(v) for v in found), (case.description, [str(v) for v in found])
        response = mock.send(case.request)
        documented = _expected_refusal(provider, case, operation)
        assert response.status < 500
        assert response.status == documented.status, (case.description, response.status, response.body[:300])
        if case.expected.rule != "auth" and names_parameter(documented, case.expected.parameter or ""):
            assert names_parameter(response, case.expected.parameter or ""), (case.description, response.body[:300])
        else:  # the catalog documents a fixed text for this case (e.g. "Please provide an image.")
            assert response.body == documented.body, (case.description, response.body[:300])
        assert off_spec(provider, case.request, response) == []

    run()
