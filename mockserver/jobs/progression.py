"""How a job's precomputed outcome is revealed over time, in the manner of moto's ManagedState.

Why: a mock that answers ``succeeded`` at once never exercises a client's polling loop, and one that waits in
real time makes tests slow. A progression says, per provider, how many reads or how many (movable) seconds a
job spends running before its outcome shows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

FORMS = '"immediate", "polls:N" (N >= 1), "seconds:S" or "seconds:S,running:R" (0 <= R <= S)'
_PATTERN = re.compile(
    r"^\s*(?:(?P<immediate>immediate)"
    r"|polls:(?P<polls>\d+)"
    r"|seconds:(?P<seconds>[0-9.eE+-]+)(?:\s*,\s*running:(?P<running>[0-9.eE+-]+))?)\s*$"
)


class Phase(IntEnum):
    """Where a job stands; ordered, so a job's phase can only grow."""

    QUEUED = 0
    RUNNING = 1
    FINAL = 2


@dataclass(frozen=True)
class Progression:
    """``immediate``, ``polls:N`` or ``seconds:S[,running:R]``; build one with :meth:`parse`.

    ``polls:N``: reads 1..N-1 see running, the N-th read sees the outcome (a job nobody read is queued).
    ``seconds:S,running:R``: queued until R seconds (default 0) have passed, running until S, then final.
    """

    kind: Literal["immediate", "polls", "seconds"]
    polls: int = 0
    seconds: float = 0.0
    running_after: float = 0.0

    @classmethod
    def parse(cls, text: str | Progression) -> Progression:
        """Parse ``"polls:3"`` and friends; a ValueError names the accepted forms."""
        if isinstance(text, Progression):
            return text
        match = _PATTERN.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"invalid progression {text!r}: expected {FORMS}")
        if match["immediate"]:
            return cls("immediate")
        if match["polls"] is not None:
            polls = int(match["polls"])
            if polls < 1:
                raise ValueError(f"invalid progression {text!r}: polls:N needs N >= 1")
            return cls("polls", polls=polls)
        seconds = _number(text, match["seconds"])
        running = _number(text, match["running"]) if match["running"] is not None else 0.0
        if running > seconds:
            raise ValueError(f"invalid progression {text!r}: running:R must not exceed seconds:S")
        return cls("seconds", seconds=seconds, running_after=running)

    def __str__(self) -> str:
        if self.kind == "immediate":
            return "immediate"
        if self.kind == "polls":
            return f"polls:{self.polls}"
        running = f",running:{self.running_after!r}" if self.running_after else ""
        return f"seconds:{self.seconds!r}{running}"

    def phase(self, *, polls: int, elapsed: float) -> Phase:
        """The phase after ``polls`` counted reads and ``elapsed`` seconds since creation."""
        if self.kind == "immediate":
            return Phase.FINAL
        if self.kind == "polls":
            if polls >= self.polls:
                return Phase.FINAL
            return Phase.RUNNING if polls > 0 else Phase.QUEUED
        if elapsed >= self.seconds:
            return Phase.FINAL
        return Phase.RUNNING if elapsed > self.running_after else Phase.QUEUED


def _number(text: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"invalid progression {text!r}: {raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"invalid progression {text!r}: seconds must be finite and >= 0")
    return value
