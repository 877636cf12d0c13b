"""The ``x-segmock-*`` keys a spec may carry, checked against one JSON Schema when a spec is loaded.

``extensions.schema.json`` (beside this module) lists every key and its shape. A key it does not list, or a
value of the wrong shape, is an error naming the spec, the key and where it sits, so a typo (``-limit`` for
``-limits``) or an old shape never silently turns into "no limit". Checked with jsonschema, which the
contract checks use already.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

PREFIX = "x-segmock-"


class SpecError(ValueError):
    """A spec the mock cannot honour: an unknown ``x-segmock-*`` key or a value of the wrong shape."""


@functools.cache
def schema_text() -> str:
    return (resources.files(__package__) / "extensions.schema.json").read_text(encoding="utf-8")


def schema_digest() -> str:
    """Part of the parsed-spec cache key, so a changed schema re-checks every spec."""
    return hashlib.sha256(schema_text().encode()).hexdigest()[:12]


@functools.cache
def known_keys() -> frozenset[str]:
    return frozenset(json.loads(schema_text())["properties"])


def _occurrences(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every ``x-segmock-*`` key in a document: (key, JSON pointer of the node holding it, value)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(PREFIX):
                yield key, pointer or "/", value
            yield from _occurrences(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _occurrences(value, f"{pointer}/{index}")


def check(document: dict[str, Any], source: str) -> None:
    """Raise :class:`SpecError` for the first unknown key or ill-shaped value of ``document``."""
    from jsonschema import Draft202012Validator

    root = json.loads(schema_text())
    known = known_keys()
    validators: dict[str, Any] = {}
    for key, where, value in _occurrences(document):
        if key not in known:
            raise SpecError(f"{source}: unknown extension {key} at {where} — add it to "
                            f"contracts/openapi/extensions.schema.json and the table in CONTRIBUTING.md")
        validator = validators.get(key)
        if validator is None:
            own = {"$schema": root["$schema"], "$defs": root["$defs"], **root["properties"][key]}
            validator = validators[key] = Draft202012Validator(own)
        error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.path))), None)
        if error is not None:
            inside = "".join(f"/{p}" for p in error.absolute_path)
            raise SpecError(f"{source}: {key} at {where}{' (' + inside + ')' if inside else ''}: {_message(error)}")


def _message(error: Any) -> str:
    """jsonschema's message, said plainly for the commonest mistake: a key the shape does not have."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed and not str(k).startswith("x-segmock-assumption"))
        if extra:
            return f"unexpected key {', '.join(map(repr, extra))} (allowed: {', '.join(sorted(allowed))})"
    return str(error.message)
