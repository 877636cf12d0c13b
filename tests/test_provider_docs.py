"""The provider pages in ``docs/providers`` are up to date with the specs, and cover what a user asks first."""

from __future__ import annotations

import pytest

import contracts
from mockserver.provider_docs import DOCS, MARKER, page


@pytest.mark.parametrize("name", contracts.providers())
def test_the_page_is_up_to_date_with_the_spec(name: str) -> None:
    path = DOCS / f"{name}.md"
    assert path.read_text(encoding="utf-8") == page(name), \
        f"{path} is stale: run python -m mockserver.provider_docs {name}"


@pytest.mark.parametrize("name", contracts.providers())
def test_the_page_covers_masks_timing_limits_and_assumptions(name: str) -> None:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    written = text.split(MARKER, 1)[0]
    for heading in ("## What the mock does", "## Limits and quotas", "## Documented or assumed?"):
        assert heading in written
    for op in contracts.spec(name).operations:
        assert f"### `{op}`" in text
    if name != "photoroom":  # Photoroom is synchronous
        assert "## Timing, and how to control it" in written
    assert text.count("- ") >= 10 and "Assumptions (not documented by the provider):" in text
