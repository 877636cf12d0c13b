"""Compare our spec of a provider with the provider's own published OpenAPI document.

The providers move on: a new enum value, a wider range, a new field or route. Our spec must follow, and must never
refuse what the provider accepts. ``diff(ours, published)`` walks the provider's document operation by operation
(matched on method and path, since published documents reuse operationIds) and reports each difference as a
``Finding``: a value or request the provider accepts that we would refuse (``stricter``, the red line), a
strictness the provider does not state but our spec records as an ``x-segmock-assumption`` (``assumed``), a
difference that refuses nothing (``drift``: defaults, response codes and media types), a place where we accept
more (``looser``), and documented routes segmock deliberately answers with 501 (``unmocked``).

No library compares two OpenAPI documents at this level (openapi-diff tools compare versions of one API for
breaking changes, not a mock's acceptance against its provider's), so the comparison is ours: a schema is
reduced to the values it admits per JSON type (enum, bounds, lengths, pattern), and two such summaries compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts.openapi.schemas import json_type

from .documents import HTTP_METHODS, Spec, resolve_in

STRICTER = "stricter"
MISSING = "missing"
ASSUMED = "assumed"
DRIFT = "drift"
LOOSER = "looser"
UNMOCKED = "unmocked"
REFUSING = frozenset({STRICTER, MISSING})
"""Kinds that make ``segmock specs diff`` exit non-zero: the provider accepts something we would refuse."""

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_BOUND_KEYS = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minLength", "maxLength",
               "minItems", "maxItems")


@dataclass(frozen=True)
class Finding:
    """One difference between our spec and the provider's document."""

    kind: str
    where: str
    message: str

    @property
    def refuses(self) -> bool:
        """True when a request the provider accepts would be refused by us."""
        return self.kind in REFUSING

    def __str__(self) -> str:
        return f"{self.kind.upper():9} {self.where}: {self.message}"


def load_published(path: str | Path) -> dict[str, Any]:
    """A provider's published OpenAPI document (JSON or YAML)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        found: dict[str, Any] = json.loads(text)
    except ValueError:
        found = yaml.safe_load(text)
    if not isinstance(found, dict) or "paths" not in found:
        raise ValueError(f"{path}: not an OpenAPI document (no 'paths')")
    return found


def diff(ours: Spec, published: dict[str, Any]) -> list[Finding]:
    """Every difference between ``ours`` and the provider's ``published`` document, theirs first."""
    theirs = dict(_operations(published))
    mine = dict(_operations(ours.raw))
    out: list[Finding] = []
    for key, (path, their_op) in theirs.items():
        where = f"{key[0].upper()} {path}"
        found = mine.get(key)
        if found is None:
            out.append(Finding(MISSING, where, "documented by the provider, not in our spec (the mock answers 404)"))
            continue
        my_op = found[1]
        if my_op.get("x-segmock-unmocked"):
            out.append(Finding(UNMOCKED, where, "documented; segmock answers 501 'not mocked by segmock'"))
            continue
        out.extend(_compare_operation(where, ours.raw, my_op, published, their_op))
    for key, (path, _) in mine.items():
        if key not in theirs:
            out.append(Finding(LOOSER, f"{key[0].upper()} {path}", "in our spec, not in the provider's document"))
    return out


def _operations(document: dict[str, Any]) -> Iterator[tuple[tuple[str, str], tuple[str, dict[str, Any]]]]:
    for path, item in document.get("paths", {}).items():
        item = resolve_in(document, item)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            node = item.get(method)
            if node is None:
                continue
            node = {**node, "parameters": [*shared, *node.get("parameters", [])]}
            yield (method, re.sub(r"\{[^}]*\}", "{}", path)), (path, node)


@dataclass
class _Field:
    location: str
    schema: dict[str, Any]
    required: bool
    assumptions: list[str] = field(default_factory=list)


def _fields(document: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], _Field]:
    """Parameters and top-level body fields, keyed by (location, name)."""
    out: dict[tuple[str, str], _Field] = {}
    for param in op.get("parameters", []):
        param = resolve_in(document, param)
        schema = resolve_in(document, param.get("schema", {}))
        notes = _notes(param) + _notes(schema)
        out[(param["in"], param["name"])] = _Field(param["in"], schema, bool(param.get("required")), notes)
    body = resolve_in(document, op.get("requestBody", {}))
    for media, content in body.get("content", {}).items():
        location = "form" if media in _FORM_TYPES else "json" if "json" in media else None
        if location is None:
            continue
        schema = resolve_in(document, content.get("schema", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = resolve_in(document, prop)
            out.setdefault((location, name), _Field(location, prop, name in required, _notes(prop)))
    return out


def _notes(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    found = node.get("x-segmock-assumption", [])
    return list(found) if isinstance(found, list) else [found]


def _compare_operation(where: str, mine_doc: dict[str, Any], mine: dict[str, Any], theirs_doc: dict[str, Any],
                       theirs: dict[str, Any]) -> Iterator[Finding]:
    their_fields = _fields(theirs_doc, theirs)
    my_fields = _fields(mine_doc, mine)
    for key, their in sorted(their_fields.items()):
        at = f"{where} {key[0]} {key[1]}"
        my = my_fields.get(key) or my_fields.get(("query" if key[0] == "form" else "form", key[1]))
        if my is None:
            yield Finding(MISSING, at, "documented field not in our spec")
            continue
        unstated = ASSUMED if my.assumptions or _notes(my.schema) else STRICTER
        if my.required and not their.required:
            yield Finding(unstated, at, "we require it; the provider does not")
        elif their.required and not my.required:
            yield Finding(LOOSER, at, "the provider requires it; we do not")
        yield from (Finding(kind, at, text) for kind, text in compare_schemas(their.schema, my.schema, unstated,
                                                                               theirs_doc, mine_doc))
        if "default" in their.schema and their.schema.get("default") != my.schema.get("default"):
            yield Finding(DRIFT, at,
                          f"default {their.schema['default']!r} in the docs, {my.schema.get('default')!r} here")
    for key in sorted(set(my_fields) - set(their_fields)):
        if (("query" if key[0] == "form" else "form"), key[1]) not in their_fields:
            yield Finding(LOOSER, f"{where} {key[0]} {key[1]}", "in our spec, not in the provider's document")
    their_media = set(resolve_in(theirs_doc, theirs.get("requestBody", {})).get("content", {}))
    my_media = set(resolve_in(mine_doc, mine.get("requestBody", {})).get("content", {}))
    for media in sorted(their_media - my_media):
        yield Finding(STRICTER, where, f"request body {media} is documented, our spec refuses it")
    yield from _compare_responses(where, mine_doc, mine, theirs_doc, theirs)


def _compare_responses(where: str, mine_doc: dict[str, Any], mine: dict[str, Any], theirs_doc: dict[str, Any],
                       theirs: dict[str, Any]) -> Iterator[Finding]:
    their_responses = theirs.get("responses", {})
    my_responses = mine.get("responses", {})
    for status in sorted(their_responses, key=str):
        mine_r = my_responses.get(status)
        if mine_r is None:
            yield Finding(DRIFT, where, f"response {status} is documented, not in our spec")
            continue
        their_media = set(resolve_in(theirs_doc, their_responses[status]).get("content", {}))
        my_media = set(resolve_in(mine_doc, mine_r).get("content", {}))
        for media in sorted(their_media - my_media):
            yield Finding(DRIFT, where, f"response {status} as {media} is documented, not in our spec")


# -- schemas as the values they admit ----------------------------------------------------------------------------

_ANY = "any"


def admitted(schema: Any, document: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """What a schema admits, per JSON type: ``{type: {enum?, bounds..., pattern?}}``; None admits anything."""
    schema = resolve_in(document, schema)
    if not isinstance(schema, dict):
        return None
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        merged: dict[str, dict[str, Any]] = {}
        for branch in branches:
            part = admitted({**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")},
                             **resolve_in(document, branch)}, document)
            if part is None:
                return None
            for kind, rules in part.items():
                merged[kind] = _union(merged[kind], rules) if kind in merged else rules
        return merged
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    types = schema.get("type")
    if types is None and values is not None:
        types = sorted({json_type(v) for v in values})
    if types is None:
        if any(k in schema for k in ("properties", "additionalProperties")):
            types = ["object"]
        else:
            return None
    out: dict[str, dict[str, Any]] = {}
    for kind in [types] if isinstance(types, str) else types:
        bounds: dict[str, Any] = {k: schema[k] for k in (*_BOUND_KEYS, "pattern") if k in schema}
        if values is not None:
            bounds["enum"] = frozenset(json.dumps(v) for v in values if json_type(v) in (kind, _widen(kind)))
        out[kind] = bounds
    return out


def _widen(kind: str) -> str:
    return "integer" if kind == "number" else kind


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The looser of two rule sets of one type (a value either admits passes the union)."""
    out: dict[str, Any] = {}
    if "enum" in a and "enum" in b:
        out["enum"] = a["enum"] | b["enum"]
    for key in ("minimum", "exclusiveMinimum", "minLength", "minItems"):
        if key in a and key in b:
            out[key] = min(a[key], b[key])
    for key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems"):
        if key in a and key in b:
            out[key] = max(a[key], b[key])
    if a.get("pattern") is not None and a.get("pattern") == b.get("pattern"):
        out["pattern"] = a["pattern"]
    return out


def compare_schemas(theirs: Any, mine: Any, unstated: str = STRICTER, theirs_doc: dict[str, Any] | None = None,
                    mine_doc: dict[str, Any] | None = None) -> Iterator[tuple[str, str]]:
    """(kind, text) for each way ``mine`` admits less (or more) than ``theirs``. A restriction the provider does not
    state at all is reported as ``unstated`` (``assumed`` where our node records an assumption)."""
    their_space = admitted(theirs, theirs_doc or {})
    my_space = admitted(mine, mine_doc or {})
    if my_space is None:
        return
    if their_space is None:
        yield unstated, f"the provider states no type; we admit only {', '.join(sorted(my_space))}"
        return
    for kind, their_rules in sorted(their_space.items()):
        my_rules = my_space.get(kind)
        if my_rules is None and kind == "integer":
            my_rules = my_space.get("number")
        if my_rules is None:
            yield STRICTER, f"the provider accepts type {kind}; we do not"
            continue
        yield from _compare_rules(kind, their_rules, my_rules, unstated)
    for kind in sorted(set(my_space) - set(their_space)):
        if not (kind == "integer" and "number" in their_space):
            yield LOOSER, f"we also accept type {kind}"


def _compare_rules(kind: str, theirs: dict[str, Any], mine: dict[str, Any], unstated: str) -> Iterator[tuple[str, str]]:
    their_enum, my_enum = theirs.get("enum"), mine.get("enum")
    if my_enum is not None:
        if their_enum is None:
            yield unstated, f"we admit only {_values(my_enum)}; the provider lists no values"
        else:
            for value in sorted(their_enum - my_enum):
                yield STRICTER, f"the provider accepts {value}; we refuse it"
            extra = my_enum - their_enum
            if extra:
                yield LOOSER, f"we also accept {_values(extra)}"
    if their_enum is not None and my_enum is None and not mine.get("pattern"):
        yield LOOSER, f"the provider lists {_values(their_enum)}; we accept any {kind}"
    for low in (("minimum", "exclusiveMinimum"), ("minLength",), ("minItems",)):
        yield from _bound(theirs, mine, low, lower=True, unstated=unstated)
    for high in (("maximum", "exclusiveMaximum"), ("maxLength",), ("maxItems",)):
        yield from _bound(theirs, mine, high, lower=False, unstated=unstated)
    their_pattern, my_pattern = theirs.get("pattern"), mine.get("pattern")
    if my_pattern and my_pattern != their_pattern:
        if their_pattern:
            yield unstated, f"our pattern {_short(my_pattern)} differs from the documented {_short(their_pattern)}"
        elif their_enum is None:
            yield unstated, f"we require the pattern {_short(my_pattern)}; the provider states none"
    elif their_pattern and not my_pattern:
        yield LOOSER, f"the provider requires the pattern {_short(their_pattern)}; we do not"


def _short(pattern: str) -> str:
    return repr(pattern if len(pattern) <= 60 else pattern[:57] + "...")


def _values(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _limit(rules: dict[str, Any], keys: tuple[str, ...]) -> tuple[float, bool] | None:
    """(value, exclusive) of the bound ``keys`` name (the inclusive key first, its exclusive twin second)."""
    found = [(rules[k], i == 1) for i, k in enumerate(keys) if k in rules and not isinstance(rules[k], bool)]
    if not found:
        return None
    return found[0] if len(found) == 1 else max(found) if keys[0].startswith("min") else min(found)


def _bound(theirs: dict[str, Any], mine: dict[str, Any], keys: tuple[str, ...], lower: bool,
           unstated: str) -> Iterator[tuple[str, str]]:
    t, m = _limit(theirs, keys), _limit(mine, keys)
    name = keys[0].replace("imum", "").replace("Length", " length").replace("Items", " items")
    if m is None:
        if t is not None:
            yield LOOSER, f"the provider's {name} {_show(t)} is not in our spec"
        return
    if t is None:
        yield unstated, f"our {name} {_show(m)} is not stated by the provider"
        return
    if t == m:
        return
    # Is ours tighter? A lower bound is tighter when larger (or equal and exclusive where theirs is not).
    tighter = (m[0] > t[0] or (m[0] == t[0] and m[1] and not t[1])) if lower else \
        (m[0] < t[0] or (m[0] == t[0] and m[1] and not t[1]))
    if tighter:
        yield STRICTER, f"our {name} {_show(m)} is tighter than the documented {_show(t)}"
    else:
        yield LOOSER, f"our {name} {_show(m)} is looser than the documented {_show(t)}"


def _show(bound: tuple[float, bool]) -> str:
    return f"{'exclusive ' if bound[1] else ''}{bound[0]}"
