"""``x-segmock-*`` keys: one JSON Schema lists them all; a spec with an unknown key or an ill-shaped value does
not load, and the error names the key and where it sits."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

import contracts
from contracts.openapi import extensions
from contracts.openapi.documents import load_document
from contracts.openapi.extensions import SpecError, check

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("provider", contracts.providers())
def test_every_bundled_spec_follows_the_schema(provider: str) -> None:
    check(copy.deepcopy(contracts.spec(provider).raw), f"{provider}.yaml")


@pytest.mark.parametrize(("edit", "says"), [
    (lambda d: d.__setitem__("x-segmock-limit", {}), "unknown extension x-segmock-limit at /"),
    (lambda d: d["paths"]["/v2/account"]["get"].__setitem__("x-segmock-limits", {"max_image_bytes": 1}),
     "unknown extension x-segmock-limits at /paths/~1v2~1account/get"),
    (lambda d: d["x-segmock-rate-limit"].__setitem__("windowSeconds", 60),
     "x-segmock-rate-limit at /: unexpected key 'windowSeconds' (allowed: aliases, async_jobs,"),
    (lambda d: d["x-segmock-rate-limit"].__setitem__("limit", "500"), "x-segmock-rate-limit at / (/limit): '500'"),
    (lambda d: d["x-segmock-rate-limit"].__setitem__("x-segmock-assumption", ""), "x-segmock-rate-limit at /"),
])
def test_an_unknown_key_or_a_wrong_shape_is_refused_by_name(edit, says: str) -> None:
    document = copy.deepcopy(contracts.spec("photoroom").raw)
    edit(document)
    with pytest.raises(SpecError) as raised:
        check(document, "photoroom.yaml")
    assert str(raised.value).startswith("photoroom.yaml: ") and says in str(raised.value)


def test_a_spec_file_that_breaks_the_schema_does_not_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMOCK_CACHE_DIR", str(tmp_path / "cache"))
    document = copy.deepcopy(contracts.spec("tengr").raw)
    document["x-segmock-input-limits"]["maxBytes"] = 1
    path = tmp_path / "tengr.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(SpecError, match="x-segmock-input-limits"):
        load_document(path)
    assert not list((tmp_path / "cache").glob("*.json")) if (tmp_path / "cache").exists() else True


def test_contributing_tables_exactly_the_keys_of_the_schema() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    table = text[text.index("## `x-segmock-*` keys"):]
    listed = set(re.findall(r"^\| `(x-segmock-[a-z0-9-]+)` \|", table, re.MULTILINE))
    assert listed == set(extensions.known_keys())
