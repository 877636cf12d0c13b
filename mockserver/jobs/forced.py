"""Forced outcomes: make the next job(s) of a provider fail or be canceled, with no contrived input.

Why rules live in the database: the test that calls ``force`` and the request that creates the job may reach
different server processes. A rule is consumed inside the job's creation transaction, so ``times=1`` affects
exactly one job however many processes create jobs at once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import JobState

Predicate = Callable[[Mapping[str, Any]], bool]
Match = str | Mapping[str, str] | Predicate | None
FORCIBLE = (JobState.FAILED, JobState.CANCELED)


@dataclass(frozen=True)
class Forced:
    """What a consumed rule imposes on a new job."""

    outcome: JobState
    error: Any


class FaultRules:
    """Adds and consumes forced-outcome rules.

    ``match`` may be None (every job), a string (a substring of any string in the params, at any depth), a
    mapping of dotted param paths to substrings (all must match, e.g. ``{"textPrompt": "boom"}``), or a
    callable on the params. A callable cannot be shared between processes, so such a rule fires only for
    jobs created through the process that registered it.
    """

    def __init__(self) -> None:
        self._predicates: dict[int, Predicate] = {}

    def add(
        self,
        conn: sqlite3.Connection,
        *,
        outcome: str | JobState,
        error: Any,
        provider: str | None,
        match: Match,
        times: int | None,
    ) -> int:
        """Store a rule inside the caller's transaction; returns its id."""
        state = JobState(outcome)
        if state not in FORCIBLE:
            raise ValueError(f"outcome must be 'failed' or 'canceled', not {outcome!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every matching job)")
        kind, stored = _encode_match(match)
        cursor = conn.execute(
            "INSERT INTO rules (provider, outcome, error, match_kind, match, remaining) VALUES (?, ?, ?, ?, ?, ?)",
            (provider, state.value, json.dumps(error), kind, stored, times),
        )
        rule_id = int(cursor.lastrowid or 0)
        if callable(match):
            self._predicates[rule_id] = match
        return rule_id

    def consume(self, conn: sqlite3.Connection, provider: str, params: Mapping[str, Any]) -> Forced | None:
        """The oldest rule that applies to this job, used up by one (inside the caller's transaction)."""
        rows = conn.execute(
            "SELECT * FROM rules WHERE provider IS NULL OR provider = ? ORDER BY id", (provider,)
        ).fetchall()
        for row in rows:
            if not self._matches(row, params):
                continue
            if row["remaining"] == 1:
                conn.execute("DELETE FROM rules WHERE id = ?", (row["id"],))
            elif row["remaining"] is not None:
                conn.execute("UPDATE rules SET remaining = remaining - 1 WHERE id = ?", (row["id"],))
            return Forced(JobState(row["outcome"]), json.loads(row["error"]))
        return None

    def forget(self) -> None:
        """Drop this process's predicates (the rows go with the database reset)."""
        self._predicates.clear()

    def _matches(self, row: sqlite3.Row, params: Mapping[str, Any]) -> bool:
        kind = row["match_kind"]
        if kind == "any":
            return True
        if kind == "predicate":
            predicate = self._predicates.get(row["id"])
            return predicate is not None and bool(predicate(params))
        needle = json.loads(row["match"])
        if kind == "text":
            return any(needle in text for text in _strings(params))
        return all(needle_part in _text_at(params, path) for path, needle_part in needle.items())


def _encode_match(match: Match) -> tuple[str, str | None]:
    if match is None:
        return "any", None
    if isinstance(match, str):
        return "text", json.dumps(match)
    if isinstance(match, Mapping):
        return "fields", json.dumps({str(path): str(needle) for path, needle in match.items()})
    if callable(match):
        return "predicate", None
    raise TypeError(f"match must be None, a str, a mapping or a callable, not {type(match).__name__}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _text_at(params: Mapping[str, Any], path: str) -> str:
    """The value at a dotted path as text ('' when absent), so a missing field never matches a needle."""
    value: Any = params
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    return value if isinstance(value, str) else json.dumps(value)
