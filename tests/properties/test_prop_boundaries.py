"""Every documented numeric limit, generated from the specs' keywords: the limit itself is accepted, one step
beyond is refused (by the contract for every provider, by the mock for every available one).

``contracts.strategies.boundaries`` reads ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum`` of
every numeric field, nested JSON included; a few documented values are also named explicitly below, so a
spec edit that drops a keyword fails loudly instead of shrinking the generated list.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from prop_support import (
    Mock,
    documented_refusal,
    make_mock,
    names_parameter,
    not_found_statuses,
    off_spec,
    success_statuses,
)

import contracts
from contracts.generate.strategies import BoundaryRequest, boundary_requests, check
from contracts.openapi.fields import Boundary, boundaries, media_types
from mockserver.providers import available

CASES = [(p, op, media, b) for p in contracts.providers() for op in contracts.spec(p).operations
         for media in (media_types(p, op) or [None]) for b in boundaries(p, op, media)]
SETTINGS = settings(max_examples=1, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])

NAMED = [
    ("tengr", "create-segmentation-artwork", "maskExpand", 16384, True),
    ("tengr", "create-segmentation-artwork", "maskExpand", -16384, True),
    ("tengr", "create-segmentation-artwork", "maskExpand", 16385, False),
    ("tengr", "create-segmentation-artwork", "maskExpand", -16385, False),
    ("tengr", "create-segmentation-artwork", "textMaxDetections", -1, True),
    ("tengr", "create-segmentation-artwork", "textMaxDetections", 100, True),
    ("tengr", "create-segmentation-artwork", "textMaxDetections", 101, False),
    ("tengr", "create-segmentation-artwork", "textMaxDetections", -2, False),
    ("photoroom", "edit-image-get", "background.blur.radius", 0, False),
    ("photoroom", "edit-image-get", "background.blur.radius", 0.05, True),
    ("photoroom", "edit-image-post", "export.dpi", 72, True),
    ("photoroom", "edit-image-post", "export.dpi", 1200, True),
    ("photoroom", "edit-image-post", "export.dpi", 71, False),
    ("photoroom", "edit-image-post", "export.dpi", 1201, False),
]


def _id(case: tuple[str, str, str | None, Boundary]) -> str:
    return f"{case[0]}:{case[1]}:{case[3]}"


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Mock:
    return make_mock(tmp_path_factory.mktemp("prop-boundaries"))


@pytest.mark.parametrize("provider,operation,path,value,accepted", NAMED, ids=[f"{c[2]}={c[3]}" for c in NAMED])
def test_named_limits_are_generated_from_the_spec(provider: str, operation: str, path: str, value: float,
                                                  accepted: bool) -> None:
    found = [b for m in (media_types(provider, operation) or [None]) for b in boundaries(provider, operation, m)
             if b.path == path and b.value == value]
    assert found and all(b.accepted is accepted for b in found), boundaries(provider, operation)


@pytest.mark.parametrize("provider,operation,media,boundary", CASES, ids=[_id(c) for c in CASES])
def test_limit_and_one_step_beyond(mock: Mock, provider: str, operation: str, media: str | None,
                                   boundary: Boundary) -> None:
    live = provider in available()

    @SETTINGS
    @given(boundary_requests(provider, operation, boundary, media_type=media))
    def run(case: BoundaryRequest) -> None:
        found = [(v.parameter, v.rule) for v in check(case.request, provider)]
        if boundary.accepted:
            assert found == [], (str(boundary), found)
        else:
            assert found == [(boundary.path, boundary.rule)], (str(boundary), found)
        if not live:
            return
        response = mock.send(case.request)
        assert response.status < 500, response.body[:300]
        assert off_spec(provider, case.request, response) == []
        if boundary.accepted:
            refused = documented_refusal(provider, operation, case.request)
            expected = {refused} if refused else success_statuses(provider, operation) | not_found_statuses(
                provider, operation)
            assert response.status in expected, response.body[:300]
        else:
            refusal = contracts.render_error(provider, contracts.errors_only(
                contracts.validate_request(provider, case.request)), operation)
            assert response.status == refusal.status, response.body[:300]
            assert names_parameter(response, boundary.path), response.body[:300]

    run()
