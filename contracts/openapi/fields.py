"""What request generators need to know about an operation, read from its spec (never restated here).

``fields`` lists every parameter and body property an operation takes, with its schema resolved;
``input_limits`` gathers the image limits a spec states in its ``x-segmock-*`` keys; ``boundaries`` turns
every numeric keyword (``minimum``, ``exclusiveMaximum`` …) into the values just inside and just outside
it. ``contracts.strategies`` builds Hypothesis strategies on top of these.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from contracts.openapi.documents import Spec
from contracts.openapi.documents import spec as load_spec

FORM_MEDIA = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Field:
    """One thing a client sends: a parameter (``query``/``header``/``path``) or a body property."""

    name: str
    location: str  # query | header | path | form | json | body
    schema: dict[str, Any]
    required: bool

    @property
    def on_the_wire_as_text(self) -> bool:
        """Query, header, path and form values travel as strings (typed back by the schema)."""
        return self.location in ("query", "header", "path", "form")


def resolve_deep(spec: Spec, node: Any, depth: int = 0) -> Any:
    """``node`` with every ``$ref`` replaced by its target (siblings kept), so plain JSON Schema tools can read it."""
    node = spec.resolve(node)
    if depth > 30:
        return node
    if isinstance(node, dict):
        return {k: resolve_deep(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_deep(spec, v, depth + 1) for v in node]
    return node


def media_types(provider: str, operation: str) -> list[str]:
    """The request body media types of an operation, in spec order (``[]`` when it takes no body)."""
    spec = load_spec(provider)
    body = spec.resolve(spec.operations[operation].node.get("requestBody", {}))
    return list(body.get("content", {}))


def fields(provider: str, operation: str, media_type: str | None = None) -> list[Field]:
    """Every parameter of the operation, then the properties of its body in ``media_type``.

    A body that is not an object with properties (raw bytes, a bare ``oneOf``) is one field named ``""``.
    """
    spec = load_spec(provider)
    op = spec.operations[operation]
    out: list[Field] = []
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for p in [*spec.raw["paths"][op.path].get("parameters", []), *op.node.get("parameters", [])]:
        p = spec.resolve(p)
        merged[(p["name"], p["in"])] = p
    for p in merged.values():
        if p["in"] == "cookie":
            continue
        out.append(Field(p["name"], p["in"], resolve_deep(spec, p.get("schema", {})), bool(p.get("required"))))
    if media_type is None:
        return out
    body = spec.resolve(op.node.get("requestBody", {}))
    media = body.get("content", {}).get(media_type, {})
    schema = resolve_deep(spec, media.get("schema", {}))
    location = "form" if media_type in FORM_MEDIA else "json" if _is_json(media_type) else "body"
    props = schema.get("properties") if isinstance(schema, dict) else None
    if location != "body" and props:
        required = set(schema.get("required", []))
        out.extend(Field(name, location, prop, name in required) for name, prop in props.items())
    else:
        out.append(Field("", "json" if location == "json" else "body", schema, bool(body.get("required"))))
    return out


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def security_header(provider: str, operation: str) -> str | None:
    """The header carrying credentials for this operation, or None when it needs none."""
    spec = load_spec(provider)
    cred = spec.credential
    if cred is None or cred.location != "header" or not spec.requires_key(spec.operations[operation]):
        return None
    return cred.name


# -- image limits ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageLimits:
    """The input-image limits an operation's spec states (``None`` where it states none)."""

    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_bytes: int | None = None
    min_side: int | None = None
    max_side: int | None = None
    max_pixels: int | None = None
    animated: bool = True


_GENERATABLE = ("png", "jpeg", "webp")


def input_limits(provider: str, operation: str) -> ImageLimits:
    """The operation's ``x-segmock-input-limits`` (else the document's), merged with every Prodia job type's
    ``input`` (the strictest value wins)."""
    spec = load_spec(provider)
    op = spec.operations[operation]
    own, shared = op.node.get("x-segmock-input-limits"), spec.raw.get("x-segmock-input-limits")
    blocks = [b for b in (own if own is not None else shared,) if isinstance(b, dict)]
    for job in (spec.raw.get("x-segmock-job-types") or {}).values():
        if isinstance(job, dict) and isinstance(job.get("input"), dict):
            blocks.append(job["input"])
    formats: set[str] | None = None
    max_bytes = min_side = max_side = max_pixels = None
    animated = True
    for b in blocks:
        names = b.get("formats")
        if names:
            found = {"jpeg" if str(n).lower() in ("jpg", "jpeg") else str(n).lower() for n in names}
            formats = found if formats is None else formats & found
        max_bytes = _least(max_bytes, b.get("max_bytes"))
        max_side = _least(max_side, b.get("max_side_px"), b.get("max_width"), b.get("max_height"))
        max_pixels = _least(max_pixels, b.get("max_pixels"))
        for key in ("min_width", "min_height"):
            if isinstance(b.get(key), int):
                min_side = max(min_side or 0, b[key])
        if b.get("animated") is False:
            animated = False
    usable = tuple(f for f in _GENERATABLE if formats is None or f in formats)
    return ImageLimits(usable or _GENERATABLE, max_bytes, min_side, max_side, max_pixels, animated)


def _least(current: int | None, *values: Any) -> int | None:
    found = [v for v in (current, *values) if isinstance(v, int) and not isinstance(v, bool)]
    return min(found) if found else None


# -- numeric boundaries ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Boundary:
    """A value at (``accepted``) or one step beyond (rejected, by ``rule``) a documented numeric limit.

    ``path`` is the field name, dotted (and indexed, ``points[0][1]``) into JSON values.
    """

    path: str
    value: int | float
    accepted: bool
    rule: str

    @property
    def field(self) -> str:
        return self.path.split(".")[0].split("[")[0] if "." in self.path or "[" in self.path else self.path

    def __str__(self) -> str:
        return f"{self.path}={self.value!r} ({'accepted' if self.accepted else 'rejected: ' + self.rule})"


def boundaries(provider: str, operation: str, media_type: str | None = None) -> list[Boundary]:
    """Every numeric keyword of the operation's fields, as accepted/rejected values (see ``Boundary``)."""
    out: list[Boundary] = []
    for f in fields(provider, operation, media_type):
        if f.location == "path" or not f.name:
            continue
        for path, schema in _numeric_nodes(f.name, f.schema):
            out.extend(_limits_of(path, schema))
    return list(dict.fromkeys(out))


def _numeric_nodes(path: str, schema: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Numeric schemas reachable through object properties and array items (not through anyOf/oneOf)."""
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if {"number", "integer"} & set(types) and any(k in schema for k in _KEYWORDS):
        yield path, schema
    if "object" in types or "properties" in schema:
        for name, sub in (schema.get("properties") or {}).items():
            yield from _numeric_nodes(f"{path}.{name}", sub)
    if "array" in types and isinstance(schema.get("items"), dict):
        yield from _numeric_nodes(f"{path}[0]", schema["items"])
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, []):
            if isinstance(branch, dict) and "properties" in branch:
                yield from _numeric_nodes(path, branch)


_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _limits_of(path: str, schema: dict[str, Any]) -> list[Boundary]:
    integer = "integer" in ([schema["type"]] if isinstance(schema.get("type"), str) else schema.get("type", []))
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = step_of(low, high, integer)
    out = []
    if "minimum" in schema:
        out += [Boundary(path, schema["minimum"], True, "minimum"),
                Boundary(path, _num(schema["minimum"] - step, integer), False, "minimum")]
    if "exclusiveMinimum" in schema:
        out += [Boundary(path, _num(schema["exclusiveMinimum"] + step, integer), True, "exclusiveMinimum"),
                Boundary(path, schema["exclusiveMinimum"], False, "exclusiveMinimum")]
    if "maximum" in schema:
        out += [Boundary(path, schema["maximum"], True, "maximum"),
                Boundary(path, _num(schema["maximum"] + step, integer), False, "maximum")]
    if "exclusiveMaximum" in schema:
        out += [Boundary(path, _num(schema["exclusiveMaximum"] - step, integer), True, "exclusiveMaximum"),
                Boundary(path, schema["exclusiveMaximum"], False, "exclusiveMaximum")]
    return out


def step_of(low: Any, high: Any, integer: bool) -> int | float:
    """One step: 1 for integers and for whole-number ranges of ten or more (dpi 72 → 71), else a thousandth
    of the range rounded down to a power of ten (a 0–0.05 radius steps by 0.00001)."""
    if integer:
        return 1
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and high > low:
        span = high - low
        if float(low).is_integer() and float(high).is_integer() and span >= 10:
            return 1
        return 10.0 ** math.floor(math.log10(span / 1000))
    return 0.01


def _num(value: float, integer: bool) -> int | float:
    return int(value) if integer else float(f"{value:.12g}")
