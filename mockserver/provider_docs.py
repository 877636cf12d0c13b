"""The provider pages ``docs/providers/<name>.md``: a hand-written part, then a part generated from the spec.

The hand-written part (everything above ``MARKER``) explains what the mock does in prose: how prompts and
clicks become masks, async timing and how to control it, quotas. The generated part lists, per operation, its
path, statuses and parameter limits, and every ``x-segmock-assumption`` on it, so "documented or assumed?"
is answered by the spec itself and cannot drift: ``tests/test_provider_docs.py`` fails when a page is stale.
Regenerate with ``python -m mockserver.provider_docs``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import contracts

DOCS = Path(__file__).resolve().parents[1] / "docs" / "providers"
MARKER = "<!-- generated from the spec below this line: python -m mockserver.provider_docs -->"
LIMIT_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "maxItems",
              "enum", "pattern", "default")


def assumptions(node: Any, spec: contracts.Spec, seen: set[str] | None = None) -> list[str]:
    """Every ``x-segmock-assumption`` under ``node`` (following each ``$ref`` once), in document order, once each."""
    seen = set() if seen is None else seen
    out: list[str] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            out += assumptions(spec.resolve(node), spec, seen)
        for key, value in node.items():
            if key == "x-segmock-assumption":
                out += [value] if isinstance(value, str) else [str(v) for v in value]
            elif key != "$ref":
                out += assumptions(value, spec, seen)
    elif isinstance(node, list):
        for item in node:
            out += assumptions(item, spec, seen)
    return list(dict.fromkeys(" ".join(a.split()) for a in out))


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for key in LIMIT_KEYS:
        if key in schema:
            value = schema[key]
            if key == "enum":
                value = ", ".join(f"`{json.dumps(v)}`" for v in value)
            elif key == "pattern":
                value = f"`{value}`"
            else:
                value = f"`{json.dumps(value)}`"
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def _parameters(spec: contracts.Spec, op: contracts.Operation) -> list[tuple[str, str, str]]:
    """(name, where, limits) of every parameter and top-level body field that states a limit."""
    rows: list[tuple[str, str, str]] = []
    for param in spec.parameters(op):
        schema = spec.resolve(param.get("schema", {}))
        rows.append((param["name"], param.get("in", ""), _limits(schema)))
    body = spec.resolve(op.node.get("requestBody", {}))
    for media, content in body.get("content", {}).items():
        schema = spec.resolve(content.get("schema", {}))
        for name, prop in schema.get("properties", {}).items():
            if not any(r[0] == name for r in rows):
                rows.append((name, media.split("/")[-1], _limits(spec.resolve(prop))))
    return [r for r in rows if r[2]]


def generated(name: str) -> str:
    """The generated part of a provider's page."""
    spec = contracts.spec(name)
    lines = [MARKER, "", f"## Operations (from `specs/{name}.yaml`)", ""]
    for op in spec.operations.values():
        lines += [f"### `{op.operation_id}`: `{op.method.upper()} {op.path}`", ""]
        summary = " ".join(str(op.node.get("summary", "")).split())
        if summary:
            lines += [summary, ""]
        statuses = ", ".join(str(s) for s in op.node.get("responses", {}))
        lines += [f"Statuses: {statuses}.", ""]
        rows = _parameters(spec, op)
        if rows:
            lines += ["| parameter | in | limits |", "|---|---|---|"]
            lines += [f"| `{n}` | {where} | {limits.replace('|', '&#124;')} |" for n, where, limits in rows]
            lines.append("")
        found = assumptions(op.node, spec)
        if found:
            lines += ["Assumptions (not documented by the provider):", ""]
            lines += [f"- {a}" for a in found]
            lines.append("")
    lines += ["## Mock settings and their assumptions", ""]
    for key, value in spec.raw.items():
        if key.startswith("x-segmock-") and key != "x-segmock-errors":
            found = assumptions(value, spec)
            lines += [f"- `{key}`" + (":" if found else "")]
            lines += [f"  - {a}" for a in found]
    lines += ["", "## Error catalog (`x-segmock-errors`)", "", "| key | status | message | assumed? |",
              "|---|---|---|---|"]
    for key, entry in spec.errors.items():
        if isinstance(entry, dict):
            message = " ".join(str(entry.get("message", "")).split()).replace("|", "&#124;")
            assumed = "yes" if assumptions(entry, spec) else "documented"
            lines.append(f"| `{key}` | {entry.get('status', '')} | {message} | {assumed} |")
    return "\n".join(lines) + "\n"


def page(name: str) -> str:
    """The page as it should read: its hand-written part, then the generated part."""
    path = DOCS / f"{name}.md"
    written = path.read_text(encoding="utf-8").split(MARKER, 1)[0].rstrip() + "\n\n"
    return written + generated(name)


def main(argv: list[str] | None = None) -> int:
    for name in argv or contracts.providers():
        (DOCS / f"{name}.md").write_text(page(name), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
