"""Answers for requests no operation takes: an unknown path (404) or a known path with another method (405).

A client that mistypes a path or a method still talks to "the provider", so the answer is that provider's,
read from its spec's ``x-segmock-unrouted`` (which catalog entry gives the shape, the status for a wrong
method, the wording): the provider is the one whose real host the request names (in-process fixtures), else
the one whose paths share the longest prefix with it (``segmock serve``). A 405 carries ``Allow``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import contracts
from contracts import HttpResponse
from contracts.check.providers import error_response


def answer(names: Iterable[str], method: str, host: str, path: str) -> HttpResponse | None:
    """The owning provider's 404/405 for ``method path``, or None when no served provider owns the path."""
    served = tuple(names)
    owner = _by_host(served, host.lower()) or _by_prefix(served, path)
    if owner is None:
        return None
    spec = contracts.spec(owner)
    rules = spec.raw.get("x-segmock-unrouted") or {}
    allowed = sorted({op.method.upper() for op in spec.operations.values() if op.match(op.method, path) is not None})
    wrong_method = bool(allowed) and method.upper() not in allowed
    status = int(rules.get("method_not_allowed_status", 405)) if wrong_method else 404
    template = rules.get("method_not_allowed_message" if status == 405 else "not_found_message", "Not Found")
    fields: dict[str, object] = {"status": status, "message": template.format(method=method.upper(), path=path)}
    if rules.get("error"):
        fields["error"] = "Method Not Allowed" if status == 405 else rules["error"]
    if status == 405:
        fields["headers"] = {"Allow": ", ".join(allowed)}
    return error_response(owner, rules.get("key", "not_found"), None, **fields)


def _by_host(names: tuple[str, ...], host: str) -> str | None:
    for name in names:
        if host in contracts.spec(name).hosts:
            return name
    return None


def _by_prefix(names: tuple[str, ...], path: str) -> str | None:
    """The provider with the longest literal path prefix in common with ``path``; None on a tie."""
    best, owner, tie = 0, None, False
    for name in names:
        length = max((_common(prefix, path) for prefix in _prefixes(name)), default=0)
        if length > best:
            best, owner, tie = length, name, False
        elif length == best:
            tie = True
    return None if tie or best == 0 else owner


@functools.cache
def _prefixes(name: str) -> tuple[str, ...]:
    """The literal part of each operation path, up to its first template variable."""
    return tuple(op.path.split("{", 1)[0] for op in contracts.spec(name).operations.values())


def _common(prefix: str, path: str) -> int:
    """Length of the shared leading path segments (a partial segment does not count)."""
    shared = 0
    for a, b in zip(prefix.strip("/").split("/"), path.strip("/").split("/")):
        if a != b or not a:
            break
        shared += len(a) + 1
    return shared
