"""A request under construction: typed field values that become an ``HttpRequest``, plus the two steps that
make a random draft acceptable to the contract.

``enforce`` applies the provider's cross-field rule table (``contracts/providers/<name>.py``) to the draft:
exactly one image source, no field its condition forbids, every field a condition requires. ``repair`` then
asks ``validate_request`` itself and drops (or redraws) whatever is still refused. Both leave *protected*
paths alone, which is how a generator keeps the one value it was asked to test (a boundary, a mutation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.datastructures import Headers

from contracts.check.providers import provider_module
from contracts.check.rules import Equals, ExactlyOne, Exclusive, ForbiddenWhen, Not, RequiredWhen, Sent
from contracts.check.validation import validate_request
from contracts.check.violations import Violation
from contracts.openapi.documents import spec as load_spec
from contracts.openapi.examples import server_url
from contracts.openapi.fields import Field
from contracts.wire.exchange import HttpRequest
from contracts.wire.multipart import Part, encode

NewValue = Callable[[str], Any]  # draws a fresh, valid value for a top-level field (KeyError if unknown)

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
_EXT = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}


@dataclass(frozen=True)
class Raw:
    """A value sent exactly as this text (``"NaN"``, ``"abc"`` for a number), bypassing typing."""

    text: str


def sniff(data: bytes) -> str | None:
    """Image format from magic bytes (enough to label a generated upload)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def text(value: Any) -> str:
    """How a typed value travels in a query string, header or form field."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


@dataclass
class Draft:
    """Field values of one request to ``operation``; ``request()`` renders it on the wire."""

    provider: str
    operation: str
    media_type: str | None
    fields: dict[str, Field]
    values: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None

    def copy(self) -> Draft:
        return replace(self, values=json_copy(self.values), headers=dict(self.headers))

    def sent(self) -> dict[str, Any]:
        """The values as the rule conditions see them (typed, flat names)."""
        return {k: v for k, v in self.values.items() if not isinstance(v, Raw)}

    def request(self) -> HttpRequest:
        spec = load_spec(self.provider)
        op = spec.operations[self.operation]
        path = op.path
        query: list[tuple[str, str]] = []
        headers = dict(self.headers)
        for name, value in self.values.items():
            f = self.fields.get(name)
            if f is None:
                continue
            if f.location == "path":
                path = path.replace("{" + name + "}", quote(text(value), safe=""))
            elif f.location == "query":
                query.extend((name, text(v)) for v in (value if isinstance(value, list) else [value]))
            elif f.location == "header":
                headers[name] = text(value)
        url = (self.base_url or server_url(op, spec)).rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        body = b""
        if self.media_type is not None:
            body, content_type = self._body()
            if content_type is not None:
                headers.setdefault("Content-Type", content_type)
        return HttpRequest(op.method.upper(), url, Headers(headers), body)

    def _body(self) -> tuple[bytes, str | None]:
        located = {n: v for n, v in self.values.items() if n in self.fields
                   and self.fields[n].location in ("form", "json", "body")}
        if self.media_type == "multipart/form-data":
            parts: list[Part] = []
            for name, value in located.items():
                parts.extend(_parts(name, value))
            content_type, body = encode(parts)
            return body, content_type
        if self.media_type == "application/x-www-form-urlencoded":
            return urlencode([(n, text(v)) for n, v in located.items()]).encode(), self.media_type
        if "" in located:
            value = located[""]
            if isinstance(value, (bytes, Raw)):
                return (value if isinstance(value, bytes) else value.text.encode()), self.media_type
            return json.dumps(value).encode(), self.media_type
        if self.fields and any(f.location == "json" for f in self.fields.values()):
            return json.dumps(located).encode(), self.media_type
        return b"", self.media_type


def _parts(name: str, value: Any) -> list[Part]:
    if isinstance(value, list) and all(isinstance(v, bytes) for v in value):
        return [_file(name, v, i) for i, v in enumerate(value)]
    if isinstance(value, bytes):
        return [_file(name, value, 0)]
    if isinstance(value, (dict, list)):
        return [Part(name, json.dumps(value).encode(), "application/json", f"{name}.json")]
    return [Part(name, text(value).encode("utf-8", "surrogateescape"))]


def _file(name: str, data: bytes, index: int) -> Part:
    fmt = sniff(data)
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "file"
    suffix = f"-{index}" if index else ""
    return Part(name, data, _MIME.get(fmt or "", "application/octet-stream"),
                f"{stem}{suffix}.{_EXT.get(fmt or '', 'bin')}")


def json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


# -- paths into values (``a.b[0][1]``) --------------------------------------------------------------------

def split_path(path: str) -> list[str | int]:
    """``pointsPositive.points[0][1]`` → ``['pointsPositive', 'points', 0, 1]`` (flat names that contain dots,
    like Photoroom's ``background.color``, are resolved against the draft by ``_locate``)."""
    out: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        out.append(int(token[1:-1]) if token.startswith("[") else token)
    return out


def _locate(values: dict[str, Any], path: str) -> tuple[str, list[str | int]] | None:
    """The top-level name a path starts with (longest flat name first) and the rest of the path."""
    if path in values:
        return path, []
    for name in sorted(values, key=len, reverse=True):
        if path.startswith(name + ".") or path.startswith(name + "["):
            return name, split_path(path[len(name):])
    return None


def get_path(values: dict[str, Any], path: str) -> Any:
    found = _locate(values, path)
    if found is None:
        raise KeyError(path)
    node: Any = values[found[0]]
    for key in found[1]:
        node = node[key]
    return node


def set_path(values: dict[str, Any], path: str, value: Any, fields: dict[str, Field]) -> None:
    """Set a (possibly nested) value, creating the containers on the way."""
    found = _locate(values, path)
    if found is None:
        top = next((n for n in sorted(fields, key=len, reverse=True) if path == n or path.startswith(n + ".")
                    or path.startswith(n + "[")), None)
        if top is None:
            raise KeyError(path)
        found = (top, split_path(path[len(top):]))
        if found[1]:
            values[top] = [] if isinstance(found[1][0], int) else {}
    name, rest = found
    if not rest:
        values[name] = value
        return
    node = values[name]
    for key, nxt in zip(rest, rest[1:]):
        node = _child(node, key, nxt)
    last = rest[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(value)
    node[last] = value


def _child(node: Any, key: str | int, nxt: str | int) -> Any:
    empty: Any = [] if isinstance(nxt, int) else {}
    if isinstance(key, int):
        while len(node) <= key:
            node.append(json_copy(node[-1]) if node else json_copy(empty))
        if not isinstance(node[key], (dict, list)):
            node[key] = empty
        return node[key]
    if not isinstance(node.get(key), (dict, list)):
        node[key] = empty
    return node[key]


def drop_path(values: dict[str, Any], path: str) -> bool:
    found = _locate(values, path)
    if found is None:
        return False
    name, rest = found
    if not rest:
        del values[name]
        return True
    node: Any = values[name]
    try:
        for key in rest[:-1]:
            node = node[key]
        del node[rest[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def protected(path: str | None, protect: Iterable[str]) -> bool:
    """A path is protected when it is, contains or lies inside a protected path."""
    if not path:
        return False
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") or p.startswith(path + ".")
               or p.startswith(path + "[") for p in protect)


# -- the provider's rule table --------------------------------------------------------------------------

def rules_for(provider: str, operation: str) -> list[Any]:
    return [r for r in provider_module(provider).RULES if operation in r.operations]


def enforce(draft: Draft, protect: set[str], new_value: NewValue, choose: Callable[[list[str]], str]) -> None:
    """Make the draft satisfy the table rules segmock can act on (``Custom`` rules are left to ``repair``)."""
    table = rules_for(draft.provider, draft.operation)
    for _ in range(4):
        before = json.dumps(draft.sent(), sort_keys=True, default=repr)
        for rule in table:
            available = [n for n in getattr(rule, "names", ()) if n in draft.fields]
            given = [n for n in available if n in draft.values]
            if isinstance(rule, ExactlyOne) and available:
                keep = [n for n in given if protected(n, protect)] or given or [choose(available)]
                _ensure(draft, keep[0], new_value)
                for n in given:
                    if n != keep[0] and not protected(n, protect):
                        del draft.values[n]
            elif isinstance(rule, Exclusive) and len(given) > 1:
                keep = ([n for n in given if protected(n, protect)] or given)[0]
                for n in given:
                    if n != keep and not protected(n, protect):
                        del draft.values[n]
            elif isinstance(rule, ForbiddenWhen) and rule.when(draft.sent()):
                for n in given:
                    if protected(n, protect):
                        falsify(draft, rule.when, protect, new_value)
                    elif rule.when(draft.sent()):
                        del draft.values[n]
            elif isinstance(rule, RequiredWhen) and (rule.when is None or rule.when(draft.sent())):
                for n in available:
                    _ensure(draft, n, new_value)
        if json.dumps(draft.sent(), sort_keys=True, default=repr) == before:
            return


def _ensure(draft: Draft, name: str, new_value: NewValue) -> None:
    value = draft.values.get(name)
    if value is None or isinstance(value, str) and not value.strip():
        draft.values[name] = new_value(name)


def falsify(draft: Draft, condition: Any, protect: set[str], new_value: NewValue) -> bool:
    """Change unprotected fields so ``condition`` no longer holds; False when it cannot be done."""
    if isinstance(condition, Equals) and not protected(condition.name, protect):
        f = draft.fields.get(condition.name)
        if f is None:
            return False
        others = [v for v in f.schema.get("enum", []) if v not in condition.values]
        if f.schema.get("type") == "boolean":
            others = [v for v in (True, False) if v not in condition.values]
        if others:
            draft.values[condition.name] = others[0]
        elif not f.required:
            draft.values.pop(condition.name, None)
        return not condition(draft.sent())
    if isinstance(condition, Sent):
        for n in condition.names:
            if protected(n, protect):
                return False
            draft.values.pop(n, None)
        return True
    if isinstance(condition, Not):
        return make_true(draft, condition.inner, protect, new_value)
    return False


def make_true(draft: Draft, condition: Any, protect: set[str], new_value: NewValue) -> bool:
    """Change unprotected fields so ``condition`` holds; False when it cannot be done."""
    if isinstance(condition, Equals) and condition.name in draft.fields and not protected(condition.name, protect):
        draft.values[condition.name] = condition.values[0]
        return True
    if isinstance(condition, Sent):
        for n in condition.names:
            if n in draft.fields:
                draft.values.setdefault(n, new_value(n))
                return True
        return False
    if isinstance(condition, Not):
        return falsify(draft, condition.inner, protect, new_value)
    return False


# -- asking the contract itself --------------------------------------------------------------------------

def errors(draft: Draft) -> list[Violation]:
    return [v for v in validate_request(draft.provider, draft.request()) if v.severity == "error"]


def repair(draft: Draft, protect: set[str], new_value: NewValue, rounds: int = 6) -> list[Violation]:
    """Drop or redraw unprotected values the contract refuses; returns the errors that remain."""
    found = errors(draft)
    for _ in range(rounds):
        todo = [v for v in found if not protected(v.parameter, protect)]
        if not todo:
            return found
        changed = False
        for v in todo:
            changed |= _fix(draft, v, protect, new_value)
        if not changed:
            return found
        found = errors(draft)
    return found


def _fix(draft: Draft, v: Violation, protect: set[str], new_value: NewValue) -> bool:
    path = v.parameter
    if not path:
        return False
    top = _locate(draft.values, path)
    f = draft.fields.get(path) or (draft.fields.get(top[0]) if top else None)
    if top is None:
        if path in draft.fields:  # required and missing
            draft.values[path] = new_value(path)
            return True
        parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
        return parent != path and not protected(parent, protect) and drop_path(draft.values, parent)
    name, rest = top
    if rest and not (v.rule in ("required", "empty") and _required_leaf(draft, path)):
        return drop_path(draft.values, path)
    if f is not None and (f.required or v.rule in ("required", "empty")):
        if protected(name, protect):
            return False
        draft.values[name] = new_value(name)
        return True
    return drop_path(draft.values, name)


def _required_leaf(draft: Draft, path: str) -> bool:
    try:
        get_path(draft.values, path)
    except (KeyError, IndexError, TypeError):
        return True
    return False
