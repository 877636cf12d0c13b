"""Cross-field rules: what a provider enforces that OpenAPI cannot express.

Each provider keeps one declarative table (``RULES`` in ``contracts/providers/<name>.py``) built from the
small rule types here. Rules see only what the client *sent* (typed by the spec, defaults not filled in):
a default such as ``background.scaling=fill`` must not trip "only with a background image".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from contracts.check.violations import Violation

if TYPE_CHECKING:
    from contracts.check.validation import RequestContext

_MISSING = object()


def lookup(sent: dict[str, Any], name: str) -> Any:
    """The value sent for ``name``: a flat key (``background.color``) or a dotted path into JSON."""
    if name in sent:
        return sent[name]
    node: Any = sent
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def present(sent: dict[str, Any], name: str) -> bool:
    return lookup(sent, name) is not _MISSING


# -- conditions -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Equals:
    """``name`` was sent with one of ``values``."""

    name: str
    values: tuple[Any, ...]

    def __call__(self, sent: dict[str, Any]) -> bool:
        value = lookup(sent, self.name)
        return value is not _MISSING and value in self.values

    def describe(self) -> str:
        shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in self.values)
        return f"{self.name} is {shown}"


def equals(name: str, *values: Any) -> Equals:
    return Equals(name, values)


@dataclass(frozen=True)
class Sent:
    """Any of ``names`` was sent."""

    names: tuple[str, ...]

    def __call__(self, sent: dict[str, Any]) -> bool:
        return any(present(sent, n) for n in self.names)

    def describe(self) -> str:
        return " or ".join(self.names) + " is provided"


def sent(*names: str) -> Sent:
    return Sent(names)


@dataclass(frozen=True)
class Not:
    inner: Any

    def __call__(self, sent: dict[str, Any]) -> bool:
        return not self.inner(sent)

    def describe(self) -> str:
        return f"not ({self.inner.describe()})"


# -- rules -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    parameter: str
    rule: str
    detail: dict[str, Any] = field(default_factory=dict)


class Rule(Protocol):
    operations: tuple[str, ...]

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]: ...


@dataclass(frozen=True)
class Exclusive:
    """At most one of ``names`` may be sent."""

    operations: tuple[str, ...]
    names: tuple[str, ...]

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]:
        given = [n for n in self.names if present(sent, n)]
        if len(given) > 1:
            yield Finding(given[1], "exclusive", {"with": given[0], "names": list(self.names)})


@dataclass(frozen=True)
class ExactlyOne:
    """Exactly one of ``names`` must be sent."""

    operations: tuple[str, ...]
    names: tuple[str, ...]

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]:
        given = [n for n in self.names if present(sent, n)]
        if not given:
            yield Finding(self.names[0], "one-of-required", {"names": list(self.names)})
        elif len(given) > 1:
            yield Finding(given[1], "exclusive", {"with": given[0], "names": list(self.names)})


@dataclass(frozen=True)
class ForbiddenWhen:
    """``names`` may not be sent when ``when`` holds."""

    operations: tuple[str, ...]
    names: tuple[str, ...]
    when: Any

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]:
        if self.when(sent):
            for name in self.names:
                if present(sent, name):
                    yield Finding(name, "forbidden", {"when": self.when.describe()})


@dataclass(frozen=True)
class RequiredWhen:
    """``names`` must be sent (and non-empty) when ``when`` holds."""

    operations: tuple[str, ...]
    names: tuple[str, ...]
    when: Any = None

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]:
        if self.when is not None and not self.when(sent):
            return
        for name in self.names:
            value = lookup(sent, name)
            if value is _MISSING or value is None:
                yield Finding(name, "required", {"when": self.when.describe() if self.when else None})
            elif isinstance(value, str) and not value.strip():
                yield Finding(name, "empty", {"when": self.when.describe() if self.when else None})


@dataclass(frozen=True)
class Custom:
    """A rule written as a function ``(sent, ctx)``, for checks no table row can say (ctx: the request)."""

    operations: tuple[str, ...]
    check: Callable[[dict[str, Any], Any], Iterable[Finding]]

    def findings(self, sent: dict[str, Any], ctx: Any = None) -> Iterable[Finding]:
        return self.check(sent, ctx)


def check(ctx: RequestContext) -> list[Violation]:
    """Run the provider's rule table against a matched request."""
    from contracts.check.providers import provider_module

    op = ctx.operation
    if op is None:
        return []
    table: Sequence[Rule] = provider_module(ctx.provider).RULES
    out = []
    for rule in table:
        if op.operation_id not in rule.operations:
            continue
        for f in rule.findings(ctx.sent, ctx):
            fallback = ctx.locations.get(f.parameter, _default_location(ctx))
            location = ctx.locations.get(f.parameter.split(".")[0], fallback)
            out.append(ctx.violation(f.parameter, location, f.rule, **f.detail))
    return out


def _default_location(ctx: RequestContext) -> str:
    if ctx.request.is_form:
        return "form"
    if ctx.request.mimetype.endswith("json"):
        return "json"
    return "query"
