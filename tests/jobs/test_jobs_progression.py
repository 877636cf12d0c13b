"""Progressions: parsing, and that a job's state only ever moves forward, whatever the reads and clock do."""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.jobs import JobState, JobStore, Progression
from mockserver.jobs.progression import Phase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("immediate", Progression("immediate")),
        ("polls:3", Progression("polls", polls=3)),
        (" polls:1 ", Progression("polls", polls=1)),
        ("seconds:1.5", Progression("seconds", seconds=1.5)),
        ("seconds:3,running:1", Progression("seconds", seconds=3.0, running_after=1.0)),
    ],
)
def test_parse_accepts_documented_forms_and_round_trips(text: str, expected: Progression) -> None:
    parsed = Progression.parse(text)
    assert parsed == expected
    assert Progression.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    "text", ["", "sometimes", "polls:0", "polls:x", "polls:-1", "seconds:-1", "seconds:nan", "seconds:2,running:3"]
)
def test_parse_rejects_malformed_forms_with_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="invalid progression"):
        Progression.parse(text)


def test_store_rejects_a_bad_configured_progression_at_construction(tmp_path) -> None:
    with pytest.raises(ValueError, match="polls:N"):
        JobStore(tmp_path, progression={"tengr": "polls:zero"})


def test_polls_phase_is_running_before_the_nth_read_and_final_on_it() -> None:
    progression = Progression.parse("polls:3")
    assert [progression.phase(polls=n, elapsed=0) for n in range(5)] == [
        Phase.QUEUED, Phase.RUNNING, Phase.RUNNING, Phase.FINAL, Phase.FINAL,
    ]


def test_seconds_phase_follows_elapsed_time() -> None:
    progression = Progression.parse("seconds:3,running:1")
    assert progression.phase(polls=9, elapsed=0.5) is Phase.QUEUED
    assert progression.phase(polls=0, elapsed=2) is Phase.RUNNING
    assert progression.phase(polls=0, elapsed=3) is Phase.FINAL


PROGRESSIONS = st.one_of(
    st.just("immediate"),
    st.integers(1, 5).map(lambda n: f"polls:{n}"),
    st.tuples(st.integers(0, 8), st.integers(0, 8)).map(lambda t: f"seconds:{max(t)},running:{min(t)}"),
)
OPERATIONS = st.lists(
    st.one_of(
        st.just(("poll", 0)),
        st.just(("peek", 0)),
        st.integers(-5, 5).map(lambda s: ("advance", s)),
    ),
    max_size=12,
)
ORDER = {JobState.QUEUED: 0, JobState.RUNNING: 1, JobState.SUCCEEDED: 2}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(progression=PROGRESSIONS, operations=OPERATIONS)
def test_state_never_goes_backwards_and_finishes_exactly_when_due(progression: str, operations) -> None:
    with tempfile.TemporaryDirectory() as state_dir, JobStore(state_dir, progression=progression) as store:
        parsed = Progression.parse(progression)
        job = store.create("tengr", owner="k", kind="segment", params={}, result={"ok": True})
        seen = [job.state]
        polls, elapsed_max = 0, 0.0
        for operation, seconds in operations:
            if operation == "advance":
                store.clock.advance(seconds)
                continue
            polls += operation == "poll"
            current = store.get("tengr", job.id, owner="k", count_poll=operation == "poll")
            assert current is not None
            elapsed_max = max(elapsed_max, store.clock.now() - job.created_at)
            assert ORDER[current.state] >= ORDER[seen[-1]]
            assert current.polls == polls
            seen.append(current.state)
            if parsed.kind == "polls":
                assert (current.state is JobState.SUCCEEDED) == (polls >= parsed.polls)
            elif parsed.kind == "seconds" and elapsed_max >= parsed.seconds + 0.5:
                assert current.state is JobState.SUCCEEDED
            elif parsed.kind == "seconds" and elapsed_max <= parsed.seconds - 0.5:
                assert current.state is not JobState.SUCCEEDED
        if parsed.kind == "immediate":
            assert set(seen) == {JobState.SUCCEEDED}
