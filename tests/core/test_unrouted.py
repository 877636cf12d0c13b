"""``mockserver.core.unrouted``: a mistyped path or method still gets an answer from "the provider", in its own
shape: the one whose host the request names, else the one whose paths it shares the longest prefix with."""

from __future__ import annotations

import json

import pytest

import contracts
from mockserver.core.unrouted import answer

ALL = tuple(contracts.providers())
LOCAL = "127.0.0.1:8080"  # segmock serve: every provider on one host


def test_the_host_names_the_provider_whatever_the_path() -> None:
    found = answer(ALL, "GET", "API.TENGR.AI", "/v1/api/usage")  # sellerpic's path, on tengr's host
    assert found is not None and found.status == 404
    assert json.loads(found.body) == {"message": "Cannot GET /v1/api/usage", "error": "Not Found", "statusCode": 404}


def not_found(owner: str, path: str) -> contracts.HttpResponse:
    """``owner``'s 404 for ``GET path``, as its spec's ``x-segmock-unrouted`` describes it."""
    rules = contracts.spec(owner).raw["x-segmock-unrouted"]
    fields = {"error": rules["error"]} if "error" in rules else {}
    return contracts.error_response(owner, rules["key"], None, status=404,
                                    message=rules["not_found_message"].format(method="GET", path=path), **fields)


@pytest.mark.parametrize("path, owner", [("/v2/job/typo", "prodia"), ("/v1/api/generate/nothing", "sellerpic"),
                                         ("/v2/artworks/x/y/z", "tengr"), ("/v1/segment/extra", "photoroom")])
def test_on_a_shared_host_the_longest_path_prefix_names_the_provider(path: str, owner: str) -> None:
    found = answer(ALL, "GET", LOCAL, path)
    assert found is not None
    assert (found.status, found.body) == (not_found(owner, path).status, not_found(owner, path).body)


@pytest.mark.parametrize("path", ["/v2/editt", "/v1/accounts", "/", "/elsewhere"])
def test_a_path_no_provider_owns_alone_gets_segmocks_own_answer(path: str) -> None:
    """``/v2/editt`` shares only ``/v2`` with photoroom, prodia and tengr alike (a partial segment does not count):
    a tie names nobody."""
    assert answer(ALL, "GET", LOCAL, path) is None


def test_a_known_path_with_another_method_is_405_with_allow() -> None:
    found = answer(ALL, "DELETE", "api.sellerpic.ai", "/v1/api/upload")
    assert found is not None and found.status == 405
    assert found.headers["Allow"] == "POST"
    assert json.loads(found.body)["msg"] == "Request method 'DELETE' is not supported"


def test_a_provider_that_never_sends_405_answers_404_without_allow() -> None:
    found = answer(ALL, "PUT", "api.tengr.ai", "/v2/artworks/segmentation")
    assert found is not None and found.status == 404 and "Allow" not in found.headers
    assert json.loads(found.body)["message"] == "Cannot PUT /v2/artworks/segmentation"


def test_only_served_providers_are_asked() -> None:
    tengr = answer(("tengr", "sellerpic"), "GET", LOCAL, "/v2/job/typo")  # prodia's path, prodia not served
    assert tengr is not None and tengr.body == not_found("tengr", "/v2/job/typo").body
    assert answer(("photoroom",), "GET", "api.tengr.ai", "/elsewhere") is None
