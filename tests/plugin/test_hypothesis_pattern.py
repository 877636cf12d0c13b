"""``@given`` with the function-scoped fixtures: the documented pattern runs, and state is reset per example."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PROPERTY = '''
import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=3))
def test_each_example_starts_clean(segmock_respx, failures):
    segmock_respx.reset()                                  # the fixture is set up once per test, not per example
    segmock_respx.fault("photoroom", "account-details-v2", status=500, times=failures)
    statuses = [httpx.get("https://image-api.photoroom.com/v2/account", headers={"x-api-key": "k"}).status_code
                for _ in range(failures + 1)]
    assert statuses == [500] * failures + [200]
    assert len(segmock_respx.requests()) == failures + 1
'''


def test_the_documented_pattern_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_property=PROPERTY)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_without_the_reset_state_leaks_between_examples(pytester: pytest.Pytester) -> None:
    """Why the pattern resets: the fixture's state is per test, so the journal grows across examples."""
    pytester.makepyfile(test_property=PROPERTY.replace("    segmock_respx.reset()", "    pass"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)


def test_without_the_settings_hypothesis_refuses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_property=PROPERTY.replace(
        "suppress_health_check=[HealthCheck.function_scoped_fixture]", ""))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*function_scoped_fixture*"])
