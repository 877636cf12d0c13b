"""``segmock_config`` overrides reach exactly the tests under them, at any scope, in-process and live.

Each test runs a small user project with pytester (the plugin is loaded from its entry point, as in a user's
venv) and reads the outcome of every test of that project.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ACCOUNT = "https://image-api.photoroom.com/v2/account"

# Each test module asks the mock something its configuration decides: whether key "k" is accepted.
PROBE = '''
import httpx, requests

def test_inprocess_httpx(segmock_respx):
    assert httpx.get("{account}", headers={{"x-api-key": "k"}}).status_code == {status}

def test_inprocess_requests(segmock_requests):
    assert requests.get("{account}", headers={{"x-api-key": "k"}}).status_code == {status}

def test_live(segmock_server):
    url = segmock_server.url_for("photoroom") + "/v2/account"
    assert httpx.get(url, headers={{"x-api-key": "k"}}).status_code == {status}
'''


def probe(status: int) -> str:
    return PROBE.format(account=ACCOUNT, status=status)


RESTRICTED = '''
import pytest
from mockserver import MockConfig

@pytest.fixture{scope}
def segmock_config():
    return MockConfig(api_keys=("only-this-key",))
'''


@pytest.mark.parametrize("scope", ["", "(scope='module')", "(scope='session')"])
def test_a_subdirectory_override_applies_there_and_nowhere_else(pytester: pytest.Pytester, scope: str) -> None:
    pytester.makepyfile(**{"restricted/conftest": RESTRICTED.format(scope=scope),
                           "restricted/test_restricted": probe(403),
                           "open/test_open": probe(200),
                           "test_top": probe(200)})
    for folder in ("restricted", "open"):
        pytester.path.joinpath(folder, "__init__.py").write_text("")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=9)


def test_a_module_override_and_one_derived_from_the_defaults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a_module="""
import httpx, pytest
from mockserver import MockConfig

@pytest.fixture(scope="module")
def segmock_config(segmock_config):        # start from the plugin's defaults
    return segmock_config.replace(job_progression="immediate")

def test_done_at_once(segmock_respx):
    import base64, io
    from PIL import Image
    buf = io.BytesIO(); Image.new("RGB", (64, 48), "white").save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    created = httpx.post("https://api.tengr.ai/v2/artworks/segmentation", headers={"Authorization": "Bearer k"},
                         json={"imageUrl": url, "method": "text", "textPrompt": "shoe"})
    assert created.status_code == 202, created.text
    art = httpx.get(f"https://api.tengr.ai/v2/artworks/{created.json()['id']}",
                    headers={"Authorization": "Bearer k"}).json()
    assert art["status"] == "succeeded"
""",
        test_b_defaults="""
import httpx

def test_still_polls(segmock_respx):
    assert segmock_respx.app.extensions["segmock"].config.job_progression == "polls:2"
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_each_test_starts_from_a_clean_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_state="""
import httpx

def test_one(segmock_respx):
    segmock_respx.fault("photoroom", "account-details-v2", status=500)
    httpx.get("https://image-api.photoroom.com/v2/account", headers={"x-api-key": "k"})
    assert len(segmock_respx.requests()) == 1

def test_two(segmock_respx):
    assert segmock_respx.requests() == [] and segmock_respx.faults() == []
    assert httpx.get("https://image-api.photoroom.com/v2/account", headers={"x-api-key": "k"}).status_code == 200
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_mistaken_config_fails_its_tests_in_one_sentence(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad="""
import pytest

@pytest.fixture
def segmock_config(segmock_config):
    return segmock_config.replace(job_progression="polls:x")

def test_never_reaches_the_mock(segmock_respx):
    pass
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ValueError: job_progression: invalid progression 'polls:x'*"])
