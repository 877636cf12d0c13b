"""Read a JSON body the way the providers' own parsers do, safely: strict JSON, bounded nesting, real text.

Python's ``json`` accepts ``NaN``/``Infinity`` (the providers' parsers do not, and echoing them back produces
a body that is not JSON), recurses once per nesting level (a 1,000-deep body raises ``RecursionError`` deep
inside the checks), and keeps ``"\\ud800"`` as a lone surrogate that no UTF-8 encoder can write back, so a
stored value breaks every later read. ``loads`` refuses all three with a ``JsonError`` (a ``ValueError``).
The nesting is measured without recursion before parsing, over the text with strings removed.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # far beyond any provider's documented body (four levels at most); see each spec's request budget

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonError(ValueError):
    """The text is not strict JSON, nests deeper than allowed, or holds text no UTF-8 encoder can write."""


def depth(text: str) -> int:
    """How deep ``text`` nests arrays and objects (0 for a scalar), counted without recursion."""
    brackets = re.sub(r"[^\[\]{}]", "", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(accumulate(steps))


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON value")


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse strict JSON (RFC 8259): no ``NaN``/``Infinity``, at most ``max_depth`` levels, no lone surrogates."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonError("the body is not valid UTF-8") from exc
    else:
        text = data
    found = depth(text)
    if found > max_depth:
        raise JsonError(f"the JSON nests {found} levels deep; at most {max_depth} are accepted")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:  # unreachable below max_depth; kept so no input can escape as a crash
        raise JsonError("the JSON nests too deep") from exc
    except JsonError:
        raise
    except json.JSONDecodeError as exc:  # not JSON at all (an empty or truncated body): the client's mistake
        raise JsonError(f"the body is not JSON: {exc.msg} at character {exc.pos}") from exc
    except ValueError as exc:
        raise JsonError(str(exc)) from exc
    if _SURROGATE_ESCAPE.search(text) or _has_surrogate(text):
        _check_text(value)
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_text(value: Any) -> None:
    """Every key and string must be encodable as UTF-8 (an escaped surrogate pair is; a lone one is not)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings = [item]
        elif isinstance(item, dict):
            strings = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for s in strings:
            if _has_surrogate(s):
                raise JsonError("a string holds a lone UTF-16 surrogate, which is not text")


def dumps(value: Any, **options: Any) -> bytes:
    """UTF-8 JSON (``json.dumps`` options, ``ensure_ascii=False`` by default) that never fails on text stored
    before ``loads`` refused lone surrogates: such text is written as ``\\uXXXX`` escapes, which any JSON
    parser reads back."""
    try:
        return json.dumps(value, **{"ensure_ascii": False, **options}).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, **{**options, "ensure_ascii": True}).encode("ascii")


def stored(text: str | bytes) -> Any:
    """Parse JSON that segmock wrote itself (state, journal): lenient on purpose, so text an older version let
    through (a lone surrogate) reads back as U+FFFD instead of breaking every later answer that shows it."""
    value = json.loads(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not _SURROGATE_ESCAPE.search(text):
        return value
    return _scrub(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(value) else value
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value
