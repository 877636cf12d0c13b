"""``segmock specs diff``: our spec against a provider's published OpenAPI document (Photoroom's, vendored)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import contracts
from contracts.openapi.diff import ASSUMED, LOOSER, MISSING, STRICTER, UNMOCKED, diff, load_published

PUBLISHED = Path(__file__).parents[2] / "data" / "published" / "photoroom-openapi.yaml"


def findings(spec: contracts.Spec) -> list[tuple[str, str, str]]:
    return [(f.kind, f.where, f.message) for f in diff(spec, load_published(PUBLISHED))]


def test_our_photoroom_spec_refuses_nothing_the_published_document_accepts() -> None:
    found = diff(contracts.spec("photoroom"), load_published(PUBLISHED))
    assert [str(f) for f in found if f.refuses] == []
    assert {(f.kind, f.where) for f in found if f.kind == UNMOCKED} == {(UNMOCKED, "GET /v1/render"),
                                                                         (UNMOCKED, "POST /v1/render")}


def _edited(edit) -> contracts.Spec:
    raw = copy.deepcopy(contracts.spec("photoroom").raw)
    edit(raw)
    return contracts.Spec("photoroom", raw)


def test_a_missing_enum_value_is_a_red_line() -> None:
    def drop_avif(raw):
        raw["components"]["schemas"]["EditParams"]["properties"]["export.format"]["enum"].remove("avif")
    red = [f for f in findings(_edited(drop_avif)) if f[0] == STRICTER]
    assert (STRICTER, "GET /v2/edit query export.format", 'the provider accepts "avif"; we refuse it') in red


def test_a_tighter_range_is_a_red_line_and_a_wider_one_is_not() -> None:
    def tighten(raw):
        raw["components"]["schemas"]["EditParams"]["properties"]["outline.width"]["maximum"] = 0.05

    def widen(raw):
        raw["components"]["schemas"]["EditParams"]["properties"]["outline.width"]["maximum"] = 0.2
    assert (STRICTER, "GET /v2/edit query outline.width",
            "our max 0.05 is tighter than the documented 0.1") in findings(_edited(tighten))
    wide = findings(_edited(widen))
    assert (LOOSER, "GET /v2/edit query outline.width", "our max 0.2 is looser than the documented 0.1") in wide
    assert not [f for f in wide if f[0] in (STRICTER, MISSING)]


def test_a_missing_field_or_route_is_a_red_line() -> None:
    def drop(raw):
        raw["paths"]["/v2/edit"]["get"]["parameters"] = [
            p for p in raw["paths"]["/v2/edit"]["get"]["parameters"] if p.get("name") != "colorSpace"]
        del raw["paths"]["/v1/account"]
    found = findings(_edited(drop))
    assert (MISSING, "GET /v2/edit query colorSpace", "documented field not in our spec") in found
    assert any(f[:2] == (MISSING, "GET /v1/account") for f in found)


def test_an_unstated_restriction_is_red_unless_recorded_as_an_assumption() -> None:
    def required_prompt(raw):
        raw["components"]["schemas"]["EditParams"]["properties"]["flatLay.prompt"]["minLength"] = 3
    assert (STRICTER, "GET /v2/edit query flatLay.prompt",
            "our min length 3 is not stated by the provider") in findings(_edited(required_prompt))

    def recorded(raw):
        node = raw["components"]["schemas"]["EditParams"]["properties"]["flatLay.prompt"]
        node["minLength"] = 3
        node["x-segmock-assumption"] = "a prompt shorter than 3 characters gives 400 — checkable claim"
    assert (ASSUMED, "GET /v2/edit query flatLay.prompt",
            "our min length 3 is not stated by the provider") in findings(_edited(recorded))


def test_cli_exit_status_follows_the_red_lines(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "mockserver.cli", "specs", "diff", "photoroom", str(PUBLISHED)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "nothing the provider accepts is refused" in ok.stdout
    newer = load_published(PUBLISHED)
    for param in newer["paths"]["/v2/edit"]["get"]["parameters"]:
        if param.get("name") == "export.format":
            param["schema"]["enum"].append("jxl")
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(newer))
    red = subprocess.run([sys.executable, "-m", "mockserver.cli", "specs", "diff", "photoroom", str(path)],
                         capture_output=True, text=True)
    assert red.returncode == 1
    assert 'STRICTER  GET /v2/edit query export.format: the provider accepts "jxl"; we refuse it' in red.stdout
    bad = subprocess.run([sys.executable, "-m", "mockserver.cli", "specs", "diff", "photoroom"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "usage: segmock specs diff" in bad.stderr
