"""What a schema node admits, read the same way by the checks (form coercion) and the generators.

One reading so the two never disagree: the declared ``type`` (or the types of ``const``/``enum`` values, or
``object``/``array`` from ``properties``/``items`` when none is declared), plus every ``oneOf``/``anyOf``/
``allOf`` branch; raw bytes are ``format: binary``/``byte`` or, in OAS 3.1 style, a ``contentMediaType``
without a ``type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Resolver = Callable[[Any], Any]


def _same(schema: Any) -> Any:
    return schema


def schema_types(schema: Any, resolve: Resolver = _same) -> list[str]:
    """The JSON types a schema admits, looking through ``$ref`` (with ``resolve``) and the combinators."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return []
    found: list[str] = []
    declared = schema.get("type")
    if isinstance(declared, str):
        found.append(declared)
    elif isinstance(declared, list):
        found.extend(declared)
    else:
        if "const" in schema:
            found.append(json_type(schema["const"]))
        found.extend(json_type(v) for v in schema.get("enum", ()))
        if "properties" in schema:
            found.append("object")
        if "items" in schema:
            found.append("array")
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            found.extend(schema_types(sub, resolve))
    return list(dict.fromkeys(found))


def is_binary(schema: Any, resolve: Resolver = _same) -> bool:
    """Whether the schema stands for raw bytes (an upload, an image body)."""
    schema = resolve(schema)
    return isinstance(schema, dict) and (schema.get("format") in ("binary", "byte")
                                         or ("contentMediaType" in schema and "type" not in schema))


def json_type(value: Any) -> str:
    """The JSON type name of a Python value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"
