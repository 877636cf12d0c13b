"""One credential reader from each spec's ``securitySchemes``: the contract check and the mock's key check
read a padded, lower-case or blank key the same way for every provider."""

from __future__ import annotations

import httpx
import pytest

import contracts
from contracts.openapi.examples import auth_headers
from mockserver import MockConfig, create_app

PROVIDERS = contracts.providers()
# An authenticated GET per provider that needs nothing else, and the credential it uses.
PROBES = {
    "photoroom": ("https://image-api.photoroom.com/v2/account", "x-api-key"),
    "tengr": ("https://api.tengr.ai/v2/artworks", "Authorization"),
    "sellerpic": ("https://api.sellerpic.ai/v1/api/usage", "Authorization"),
    "prodia": ("https://inference.prodia.com/v2/job/async/00000000-0000-0000-0000-000000000000/job.json",
               "Authorization"),
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_spec_declares_where_its_key_travels(provider: str) -> None:
    cred = contracts.spec(provider).credential
    assert cred is not None and cred.location == "header"
    assert cred.name == PROBES[provider][1]


@pytest.mark.parametrize(("value", "key"), [
    ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER   abc  ", "abc"), ("  Bearer abc", "abc"),
    ("Bearer ", None), ("Bearer", None), ("Basic abc", None), ("abc", None), ("", None),
])
def test_bearer_reading(value: str, key: str | None) -> None:
    cred = contracts.spec("tengr").credential
    assert cred is not None
    assert cred.read({"Authorization": value}) == key


@pytest.mark.parametrize(("value", "key"), [("abc", "abc"), ("  abc ", "abc"), ("   ", None), ("", None)])
def test_api_key_reading(value: str, key: str | None) -> None:
    cred = contracts.spec("photoroom").credential
    assert cred is not None
    assert cred.read({"x-api-key": value}) == key and cred.read({}) is None


def test_example_headers_are_what_the_reader_reads() -> None:
    for provider in PROVIDERS:
        spec = contracts.spec(provider)
        assert spec.credential is not None
        assert spec.credential.read(auth_headers(spec, "tok")) == "tok"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("style", ["padded", "lower-case", "blank"])
def test_the_mock_and_the_contract_agree_on_a_key(provider: str, style: str, tmp_path) -> None:
    url, header = PROBES[provider]
    raw = {"padded": "  k-1  ", "lower-case": "k-1", "blank": "   "}[style]
    value = raw if header != "Authorization" else ("bearer " if style == "lower-case" else "Bearer ") + raw
    client = create_app(MockConfig(providers=(provider,), state_dir=tmp_path)).test_client()
    path = httpx.URL(url).raw_path.decode()
    answer = client.get(path, headers={header: value, "Host": httpx.URL(url).host})
    violations = contracts.validate_request(provider, httpx.Request("GET", url, headers={header: value}))
    auth_refused = [v for v in violations if v.rule == "auth"]
    operation = contracts.spec(provider).find("GET", path.split("?")[0])[0].operation_id
    missing = contracts.error_response(provider, "auth_missing", operation)
    if style == "blank":
        assert auth_refused and (answer.status_code, answer.data) == (missing.status, missing.body)
    else:
        assert not auth_refused and (answer.status_code < 400 or answer.status_code == 404)
