"""The one result type of every contract check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Location = Literal["query", "path", "header", "cookie", "form", "json", "body", "response", "request"]
Side = Literal["client", "provider"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Violation:
    """A broken rule of a provider's contract.

    ``parameter`` and ``location`` say where (``segmentation.prompt`` in ``form``, ``config.prompt`` in
    ``json``, ``x-api-key`` in ``header``); ``rule`` names the rule (a JSON-schema keyword such as
    ``maximum``, or a segmock rule such as ``exclusive``, ``auth``, ``unsupported``); ``message`` is phrased
    the way the provider phrases its errors. ``side`` tells a client's bug (``client``, the request) from
    provider drift (``provider``, the response). Warnings (e.g. attributes a provider ignores) do not make
    an exchange fail.
    """

    provider: str
    operation: str | None
    parameter: str | None
    location: Location
    rule: str
    message: str
    side: Side = "client"
    severity: Severity = "error"
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.location} {self.parameter}" if self.parameter else self.location
        return f"[{self.provider}:{self.operation or '?'}] {where}: {self.message} ({self.rule})"


def errors_only(violations: list[Violation]) -> list[Violation]:
    """The violations that make an exchange fail (warnings dropped)."""
    return [v for v in violations if v.severity == "error"]
