"""Ways to break one thing in a valid draft, each labelled with the violation it must cause.

Mutations come from the spec (every ``required``, ``enum``, ``const``, ``pattern``, length, item count,
numeric bound, type and ``additionalProperties: false`` the fields carry, nested JSON included), from the
provider's cross-field rule table (two exclusive fields, no image source, a field its condition forbids, a
field its condition requires left out), and from the security scheme (no credentials).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from contracts.check.rules import Equals, ExactlyOne, Exclusive, ForbiddenWhen, Not, RequiredWhen, Sent
from contracts.check.violations import Violation
from contracts.generate.drafts import Draft, NewValue, Raw, drop_path, make_true, rules_for, set_path
from contracts.openapi.fields import Field, _limits_of, security_header
from contracts.openapi.schemas import is_binary, schema_types


@dataclass(frozen=True)
class ExpectedViolation:
    """The violation an invalid request is built to cause: ``validate_request`` must report it.

    ``parameter`` is the field (dotted into JSON: ``pointsPositive.points[0]``), ``rule`` the JSON-schema
    keyword (``maximum``, ``enum``, ``anyOf`` …) or cross-field rule (``exclusive``, ``forbidden``,
    ``required``, ``one-of-required``, ``auth``) and ``location`` where the field travels.
    """

    parameter: str | None
    rule: str
    location: str | None = None

    def matches(self, violation: Violation) -> bool:
        return violation.parameter == self.parameter and violation.rule == self.rule

    def __str__(self) -> str:
        return f"{self.parameter} ({self.location}): {self.rule}"


@dataclass(frozen=True)
class Mutation:
    """Apply to a copy of a valid draft; ``protect`` lists the paths repair must not touch afterwards."""

    description: str
    expected: ExpectedViolation
    protect: frozenset[str]
    apply: Callable[[Draft, NewValue], bool]


def mutations(draft: Draft) -> list[Mutation]:
    """Every mutation that applies to this draft, in a stable order."""
    out: list[Mutation] = []
    for f in draft.fields.values():
        if not f.name or f.location == "path" and f.schema.get("pattern") is None:
            continue
        if f.required and f.name in draft.values and f.location != "path":
            out.append(_drop(f.name, f.location, "required"))
        value = draft.values.get(f.name)
        out.extend(_schema_mutations(f.name, f.schema, value, f.location, f.name in draft.values))
    out.extend(_rule_mutations(draft))
    header = security_header(draft.provider, draft.operation)
    if header and header in draft.headers:
        out.append(Mutation(f"no {header}", ExpectedViolation(header, "auth", "header"), frozenset({header}),
                            lambda d, new: d.headers.pop(header, None) is not None))
    return out


def _drop(path: str, location: str, rule: str) -> Mutation:
    return Mutation(f"{path} left out", ExpectedViolation(path, rule, location), frozenset({path}),
                    lambda d, new: drop_path(d.values, path))


def _setter(path: str, value: Any, rule: str, location: str, note: str = "") -> Mutation:
    def apply(d: Draft, new: NewValue) -> bool:
        set_path(d.values, path, value, d.fields)
        return True

    shown = value.text if isinstance(value, Raw) else value
    return Mutation(f"{path}={shown!r}{note}", ExpectedViolation(path, rule, location), frozenset({path}), apply)


def _accepts(schema: dict[str, Any], value: Any) -> bool:
    return Draft202012Validator(schema).is_valid(value)


def _schema_mutations(path: str, schema: Any, value: Any, location: str, present: bool,
                      nested: bool = False) -> Iterator[Mutation]:
    if not isinstance(schema, dict) or is_binary(schema):
        return
    text_wire = location in ("query", "header", "path", "form") and not nested
    branches = schema.get("oneOf") or schema.get("anyOf")
    keyword = "oneOf" if "oneOf" in schema else "anyOf"
    if branches:
        branch = _branch_for(branches, value) if isinstance(value, dict) else None
        if branch is not None:
            pins = _pins(branch, value)
            merged = {**{k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "discriminator")}, **branch}
            for m in _schema_mutations(path, merged, value, location, present, nested):
                if any(m.expected.parameter in (f"{path}.{pin}",) for pin in pins):
                    # a broken discriminator matches no branch: the union itself is what fails
                    m = Mutation(m.description, ExpectedViolation(path, keyword, location), m.protect, m.apply)
                yield m
            return
        if not any(isinstance(b, dict) and "properties" in b for b in branches):
            for bad in ("abc", -1, 10 ** 9):
                if not _accepts(schema, bad) and not (text_wire and _accepts(schema, str(bad))):
                    yield _setter(path, Raw(str(bad)) if text_wire else bad, keyword, location)
                    break
        return
    if "const" in schema:
        yield _setter(path, _other(schema["const"], (), text_wire), "const", location)
        return
    if "enum" in schema:
        yield _setter(path, _other(schema["enum"][0], schema["enum"], text_wire), "enum", location)
        return
    types = schema_types(schema)
    if "integer" in types or "number" in types:
        for b in _limits_of(path, schema):
            if not b.accepted:
                yield _setter(path, b.value, b.rule, location)
        if text_wire:
            yield _setter(path, Raw("abc"), "type", location)
            yield _setter(path, Raw("NaN"), "type", location, " (not a number)")
            if types == ["integer"]:
                yield _setter(path, Raw("1.5"), "type", location)
        else:
            yield _setter(path, "abc", "type", location)
    elif types == ["boolean"]:
        yield _setter(path, Raw("maybe") if text_wire else "maybe", "type", location)
    elif types == ["string"]:
        yield from _string_mutations(path, schema, location, text_wire)
    elif types == ["array"] and is_binary(schema.get("items")):
        return  # files: an empty list is no part at all (the required mutation covers it)
    elif types == ["array"] and (nested or location == "json" or isinstance(value, list)):
        yield from _array_mutations(path, schema, value, location, present)
    elif types == ["object"] and (nested or location == "json" or isinstance(value, dict)):
        yield from _object_mutations(path, schema, value, location, present)


def _string_mutations(path: str, schema: dict[str, Any], location: str, text_wire: bool) -> Iterator[Mutation]:
    if schema.get("minLength", 0) > 0:
        yield _setter(path, "", "minLength", location)
    if "maxLength" in schema:
        yield _setter(path, "a" * (int(schema["maxLength"]) + 1), "maxLength", location)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        bad = next((c for c in ("!", "not valid", "0x0x0", "-1", "a" * 3) if not pattern.search(c)), None)
        if bad is not None:
            yield _setter(path, bad, "pattern", location)
    if schema.get("format") == "uri":
        yield _setter(path, "not a url", "format", location)
    if schema.get("format") == "uuid":
        yield _setter(path, "not-a-uuid", "format", location)
    if not text_wire:
        yield _setter(path, 12345, "type", location)


def _array_mutations(path: str, schema: dict[str, Any], value: Any, location: str, present: bool) -> Iterator[Mutation]:
    items = schema.get("items", {})
    if present and isinstance(value, list) and value:
        if "maxItems" in schema:
            longer = (value * (int(schema["maxItems"]) + 1))[: int(schema["maxItems"]) + 1]
            yield _setter(path, longer, "maxItems", location)
        if schema.get("minItems", 0) > 0:
            yield _setter(path, value[: int(schema["minItems"]) - 1], "minItems", location)
        yield from _schema_mutations(f"{path}[0]", items, value[0], location, True, True)
    yield _setter(path, "abc", "type", location)


def _object_mutations(path: str, schema: dict[str, Any], value: Any, location: str,
                      present: bool) -> Iterator[Mutation]:
    props: dict[str, Any] = schema.get("properties") or {}
    if present and isinstance(value, dict):
        for name in schema.get("required", []):
            if name in value:
                yield _drop(f"{path}.{name}", location, "required")
                break
        if schema.get("additionalProperties") is False:
            yield _setter(f"{path}.unexpectedField", 1, "unknown-field", location)
        for name, sub in props.items():
            yield from _schema_mutations(f"{path}.{name}", sub, value.get(name), location, name in value, True)
    yield _setter(path, "abc", "type", location)


def _branch_for(branches: list[Any], value: dict[str, Any]) -> dict[str, Any] | None:
    """The oneOf/anyOf branch a value is meant for, by a property pinned with const or enum (a discriminator)."""
    for branch in branches:
        for key, sub in (branch.get("properties") or {}).items() if isinstance(branch, dict) else ():
            if key in value and _pinned(sub, value[key]):
                return branch
    return None


def _pins(branch: dict[str, Any], value: dict[str, Any]) -> list[str]:
    return [key for key, sub in (branch.get("properties") or {}).items() if key in value and _pinned(sub, value[key])]


def _pinned(sub: Any, value: Any) -> bool:
    """Whether a branch property fixes this value (its ``const``, or one of its ``enum``)."""
    return isinstance(sub, dict) and (sub.get("const") == value or value in sub.get("enum", ()))


def _other(value: Any, taken: list[Any] | tuple[Any, ...] = (), text_wire: bool = False) -> Any:
    if isinstance(value, bool):
        return Raw("maybe") if text_wire else "maybe"
    if isinstance(value, (int, float)):
        return max([v for v in taken if isinstance(v, (int, float))] + [value]) + 1
    candidate = f"not-{value}"
    while candidate in taken:
        candidate += "x"
    return candidate


# -- cross-field rules -------------------------------------------------------------------------------------

def _condition_names(condition: Any) -> set[str]:
    if isinstance(condition, Equals):
        return {condition.name}
    if isinstance(condition, Sent):
        return set(condition.names)
    if isinstance(condition, Not):
        return _condition_names(condition.inner)
    return set()


def _rule_mutations(draft: Draft) -> Iterator[Mutation]:
    for rule in rules_for(draft.provider, draft.operation):
        names = [n for n in getattr(rule, "names", ()) if n in draft.fields and _sendable(draft.fields[n])]
        if isinstance(rule, (Exclusive, ExactlyOne)) and len(names) >= 2:
            first, second = names[0], names[1]
            yield Mutation(f"{first} and {second} together", _expect(draft, second, "exclusive"),
                           frozenset({first, second}), _both(first, second))
        if isinstance(rule, ExactlyOne) and names:
            yield Mutation(f"none of {', '.join(names)}", _expect(draft, rule.names[0], "one-of-required"),
                           frozenset(rule.names), _none_of(tuple(rule.names)))
        if isinstance(rule, ForbiddenWhen):
            for name in names:
                guard = frozenset({name, *_condition_names(rule.when)})
                yield Mutation(f"{name} while {rule.when.describe()}", _expect(draft, name, "forbidden"), guard,
                               _forbidden(name, rule.when, guard))
        if isinstance(rule, RequiredWhen) and rule.when is not None:
            for name in names:
                guard = frozenset({name, *_condition_names(rule.when)})
                yield Mutation(f"{name} left out while {rule.when.describe()}", _expect(draft, name, "required"),
                               guard, _required(name, rule.when, guard))


def _sendable(f: Field) -> bool:
    return f.location != "path"


def _expect(draft: Draft, name: str, rule: str) -> ExpectedViolation:
    f = draft.fields.get(name)
    return ExpectedViolation(name, rule, f.location if f else None)


def _both(first: str, second: str) -> Callable[[Draft, NewValue], bool]:
    def apply(d: Draft, new: NewValue) -> bool:
        d.values.setdefault(first, new(first))
        d.values.setdefault(second, new(second))
        return True

    return apply


def _none_of(names: tuple[str, ...]) -> Callable[[Draft, NewValue], bool]:
    def apply(d: Draft, new: NewValue) -> bool:
        for n in names:
            d.values.pop(n, None)
        return True

    return apply


def _forbidden(name: str, when: Any, guard: frozenset[str]) -> Callable[[Draft, NewValue], bool]:
    def apply(d: Draft, new: NewValue) -> bool:
        if not make_true(d, when, set(guard - _condition_names(when)), new):
            return False
        d.values.setdefault(name, new(name))
        return bool(when(d.sent()))

    return apply


def _required(name: str, when: Any, guard: frozenset[str]) -> Callable[[Draft, NewValue], bool]:
    def apply(d: Draft, new: NewValue) -> bool:
        if not make_true(d, when, set(guard - _condition_names(when)), new):
            return False
        d.values.pop(name, None)
        return bool(when(d.sent()))

    return apply

