"""The specs are the contract: they must be valid, loadable, and agree with the hand-typed seed tables."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

import contracts
from contracts.check.validation import openapi
from contracts.openapi.documents import load_document, spec_dir

SEED_TABLES = Path(__file__).resolve().parents[2] / "data" / "seed_tables"
KEYWORDS = ("type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default",
            "pattern", "format", "minLength", "maxLength", "minItems", "maxItems", "additionalProperties")
PROVIDERS = ["photoroom", "prodia", "sellerpic", "tengr"]

OPERATION_IDS = {
    "photoroom": {"edit-image-get", "edit-image-post", "remove-background", "account-details-v2",
                  "account-details-v1", "render-image-get", "render-image-post"},
    "tengr": {"create-segmentation-artwork", "get-artwork", "list-artworks", "get-artwork-result",
              "create-remove-background-artwork", "rotate-webhook-secret", "create-face-refiner-artwork",
              "create-api-key"},
    "sellerpic": {"replace-background", "upload-asset", "get-upload-url", "put-presigned-upload", "prompt-segmentation",
                  "segment-image", "get-task", "get-download-url", "get-usage", "get-file"},
    "prodia": {"create-job", "create-async-job", "get-async-job-state", "get-async-job-json",
               "list-async-job-outputs", "get-async-job-output"},
}
# The generic checks run for every spec present, so a scaffolded provider meets them before it is filled in.
PRESENT = contracts.providers()
CATALOG_KEYS = {"auth_missing", "auth_invalid", "validation", "rate_limited", "server_error", "image_invalid",
                "image_too_large"}


def test_every_provider_has_a_spec() -> None:
    assert contracts.providers() == PROVIDERS


@pytest.mark.parametrize("provider", PRESENT)
def test_spec_passes_openapi_spec_validator(provider: str) -> None:
    validate(contracts.spec(provider).raw)


@pytest.mark.parametrize("provider", PRESENT)
def test_spec_loads_in_openapi_core(provider: str) -> None:
    api = openapi(provider)
    assert api.spec is not None
    assert contracts.spec(provider).raw["openapi"].startswith("3.1")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_operation_ids_are_the_documented_ones(provider: str) -> None:
    assert set(contracts.spec(provider).operations) == OPERATION_IDS[provider]


@pytest.mark.parametrize("provider", PRESENT)
def test_assumptions_are_single_checkable_lines(provider: str) -> None:
    assumptions = list(contracts.spec(provider).iter_assumptions())
    assert len(assumptions) >= 5
    for pointer, text in assumptions:
        assert text.strip(), pointer
        assert "\n" not in text.strip(), f"{pointer}: an assumption is one line"


@pytest.mark.parametrize("provider", PRESENT)
def test_error_catalog_has_the_common_entries(provider: str) -> None:
    catalog = contracts.spec(provider).errors
    assert set(catalog) >= CATALOG_KEYS, CATALOG_KEYS - set(catalog)
    for key, entry in catalog.items():
        assert isinstance(entry, dict) and isinstance(entry.get("status"), int), key
        assert entry.get("message"), key


# -- seed tables ----------------------------------------------------------------------------------------

def _rows() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for provider in PROVIDERS:
        table = yaml.safe_load((SEED_TABLES / f"{provider}.yaml").read_text())
        out.extend((provider, row) for row in table["parameters"])
    return out


def _effective(spec: contracts.Spec, schema: Any) -> dict[str, Any]:
    """A schema's keywords, with ``type``/ranges gathered from ``anyOf``/``oneOf`` branches (padding's forms)."""
    schema = spec.resolve(schema) or {}
    out = {k: v for k, v in schema.items() if k in KEYWORDS}
    branches = [spec.resolve(b) for key in ("anyOf", "oneOf") for b in schema.get(key, [])]
    if branches and "type" not in out:
        types: list[str] = []
        for branch in branches:
            t = branch.get("type")
            for item in t if isinstance(t, list) else [t] if t else []:
                if item not in types:
                    types.append(item)
            if t in ("number", "integer"):
                for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                    if key in branch:
                        out.setdefault(key, branch[key])
        out["type"] = types[0] if len(types) == 1 else types
    return out


def _branch_for(spec: contracts.Spec, schema: Any, job_type: str | None) -> Any:
    schema = spec.resolve(schema)
    if job_type is None or not any(k in schema for k in ("oneOf", "anyOf")):
        return schema
    for branch in schema.get("oneOf", schema.get("anyOf", [])):
        branch = spec.resolve(branch)
        prop = spec.resolve(branch.get("properties", {}).get("type", {}))
        if prop.get("const") == job_type or job_type in prop.get("enum", []):
            return branch
    raise AssertionError(f"no branch for job type {job_type}")


def _walk(spec: contracts.Spec, schema: Any, dotted: str) -> tuple[Any, bool]:
    """The schema of a dotted field (``points[]`` = items) and whether its parent requires it."""
    node, required = spec.resolve(schema), False
    for part in dotted.split("."):
        name, brackets = part.rstrip("[]"), (len(part) - len(part.rstrip("[]"))) // 2
        required = name in node.get("required", [])
        node = spec.resolve(node["properties"][name])
        for _ in range(brackets):
            node = spec.resolve(node["items"])
            required = True
    return node, required


def _locate(spec: contracts.Spec, row: dict[str, Any]) -> tuple[Any, bool]:
    op = spec.operations[row["operation"]]
    where = row["in"]
    if where in ("query", "header", "path"):
        for param in [*spec.raw["paths"][op.path].get("parameters", []), *op.node.get("parameters", [])]:
            param = spec.resolve(param)
            if param["name"].lower() == row["name"].lower() and param["in"] == where:
                return param.get("schema", {}), bool(param.get("required", False))
        raise AssertionError(f"{spec.name} {row['operation']}: no {where} parameter {row['name']}")
    content = spec.resolve(op.node["requestBody"])["content"]
    media = "application/json" if where == "json" else next(m for m in content if "form" in m)
    body = spec.resolve(content[media]["schema"])
    if where == "form":  # form field names are flat, dots included ("background.color")
        return body["properties"][row["name"]], row["name"] in body.get("required", [])
    body = _branch_for(spec, body, row.get("job_type"))
    return _walk(spec, body, row["name"])


def _carries_assumption(spec: contracts.Spec, schema: Any) -> bool:
    if isinstance(schema, dict):
        if "x-segmock-assumption" in schema:
            return True
        if "$ref" in schema:
            return _carries_assumption(spec, spec.resolve(schema))
    return False


def _problems(spec: contracts.Spec, row: dict[str, Any]) -> list[str]:
    """How the spec departs from a seed-table row (empty when it states exactly what the docs state)."""
    schema, required = _locate(spec, row)
    effective = _effective(spec, schema)
    problems = []
    for key in KEYWORDS:
        if key not in row:
            continue
        expected, actual = row[key], effective.get(key, "<missing>")
        if key == "type" and isinstance(expected, list) and isinstance(actual, list):
            expected, actual = sorted(expected), sorted(actual)
        if actual != expected:
            problems.append(f"{key}: spec {actual!r} != docs {expected!r}")
    if "required" in row and required != row["required"]:
        problems.append(f"required: spec {required} != docs {row['required']}")
    extra = [k for k in ("enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default")
             if k in effective and k not in row]
    if extra and not (_carries_assumption(spec, schema) or _carries_assumption(spec, spec.resolve(schema))):
        problems.append(f"spec states {extra} that the docs do not, without an x-segmock-assumption")
    return problems


@pytest.mark.parametrize("provider,row", _rows(), ids=lambda v: v if isinstance(v, str) else
                         f"{v['operation']}:{v['in']}:{v['name']}")
def test_spec_matches_seed_table(provider: str, row: dict[str, Any]) -> None:
    """Each keyword the provider documents is in the spec, exactly; extra ones are recorded assumptions."""
    assert _problems(contracts.spec(provider), row) == []


def test_seed_check_catches_a_typo_in_a_range() -> None:
    """The check above is not vacuous: ``export.dpi`` maximum 1201 instead of 1200 is reported."""
    original = contracts.spec("photoroom")
    raw = copy.deepcopy(original.raw)
    raw["components"]["schemas"]["EditParams"]["properties"]["export.dpi"]["maximum"] = 1201
    typo = contracts.Spec("photoroom", raw)
    row = next(r for p, r in _rows() if p == "photoroom" and r["name"] == "export.dpi" and r["in"] == "query")
    assert _problems(original, row) == []
    assert _problems(typo, row) == ["maximum: spec 1201 != docs 1200"]


def test_post_edit_shares_get_ranges() -> None:
    """GET and POST /v2/edit read one schema per field, so a range is written once."""
    spec = contracts.spec("photoroom")
    form = spec.resolve(spec.resolve(spec.operations["edit-image-post"].node["requestBody"])
                        ["content"]["multipart/form-data"]["schema"])["properties"]
    for param in spec.operations["edit-image-get"].node["parameters"]:
        param = spec.resolve(param)
        if param["in"] == "query" and param["name"] in form:
            get, post = (_keywords(spec.resolve(s)) for s in (param["schema"], form[param["name"]]))
            assert get == post, param["name"]


def _keywords(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if not k.startswith("x-") and k != "description"}


def test_a_spec_read_through_the_cache_equals_the_yaml(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEGMOCK_CACHE_DIR", str(tmp_path / "cache"))
    source = spec_dir() / "tengr.yaml"
    parsed = yaml.safe_load(source.read_text())
    assert load_document(source) == parsed  # parsed, and written to the cache
    [cached] = (tmp_path / "cache").glob("tengr-*.json")
    assert load_document(source) == parsed  # read back from the cache
    assert json.loads(cached.read_text()) == parsed


def test_an_edited_spec_is_parsed_again_not_served_from_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEGMOCK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "demo.yaml"
    path.write_text("openapi: 3.1.0\ninfo: {title: demo, version: '1'}\npaths: {}\n")
    assert load_document(path)["info"]["version"] == "1"
    path.write_text("openapi: 3.1.0\ninfo: {title: demo, version: '2'}\npaths: {}\n")
    assert load_document(path)["info"]["version"] == "2"
    assert len(list((tmp_path / "cache").glob("demo-*.json"))) == 2


def test_a_document_json_cannot_carry_is_never_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SEGMOCK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "demo.yaml"
    path.write_text("responses:\n  200: {description: ok}\n")  # an integer key would come back as "200"
    assert load_document(path) == {"responses": {200: {"description": "ok"}}}
    assert load_document(path) == {"responses": {200: {"description": "ok"}}}
    assert not list((tmp_path / "cache").glob("demo-*.json"))


def test_an_unwritable_cache_only_costs_the_parse(tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("SEGMOCK_CACHE_DIR", str(blocked))
    assert load_document(spec_dir() / "prodia.yaml") == yaml.safe_load((spec_dir() / "prodia.yaml").read_text())
