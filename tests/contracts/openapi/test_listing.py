"""The README lists every x-segmock-assumption of every spec, per provider (generated, so it cannot drift)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import contracts
from contracts.openapi.listing import BEGIN, END, provider_lines, readme_block, where

README = Path(__file__).parents[3] / "README.md"


def test_readme_lists_exactly_the_specs_assumptions() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, re.S)
    assert block is not None, "README has no assumptions block"
    assert block.group(0) == readme_block(), "run: python -m contracts.openapi.listing README.md"


def test_every_assumption_is_one_listed_line() -> None:
    for name in contracts.providers():
        document = contracts.spec(name)
        assert len(provider_lines(document)) == len(list(document.iter_assumptions())) > 0


def test_a_new_assumption_changes_the_listing() -> None:
    raw = copy.deepcopy(contracts.spec("tengr").raw)
    raw["paths"]["/v2/artworks"]["get"]["x-segmock-assumption"].append("a new claim — to be checked")
    lines = provider_lines(contracts.Spec("tengr", raw))
    assert "- `GET /v2/artworks`: a new claim — to be checked" in lines


def test_pointers_read_as_places_in_the_spec() -> None:
    assert where("/paths/~1v2~1edit/get/x-segmock-assumption") == "GET /v2/edit"
    assert where("/components/schemas/EditParams/properties/colorSpace/x-segmock-assumption/1") == \
        "EditParams › colorSpace"
