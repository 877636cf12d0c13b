"""The rolling-window limiter behind tengr's 429: exact counting per key, shared through the state directory."""

from __future__ import annotations

from pathlib import Path

from mockserver.core.ratelimit import TRIM_EVERY, RateLimiter


def test_the_limit_plus_one_request_is_refused_and_not_counted(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "rate.sqlite")
    decisions = [limiter.hit("key", 3, 60, 100.0 + i) for i in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    # The oldest counted hit (t=100) leaves the window at t=160: that is when a slot frees up.
    assert [d.reset for d in decisions] == [60, 59, 58, 57, 56]
    assert limiter.peek("key", 3, 60, 104.0).remaining == 0  # the refusals took no slot


def test_the_window_rolls_one_hit_at_a_time(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "rate.sqlite")
    for at in (100.0, 101.0, 102.0):
        assert limiter.hit("key", 3, 60, at).allowed
    assert not limiter.hit("key", 3, 60, 159.0).allowed
    after_first = limiter.hit("key", 3, 60, 160.5)  # t=100 has left, t=101 and t=102 remain
    assert (after_first.allowed, after_first.remaining, after_first.reset) == (True, 0, 1)
    assert not limiter.hit("key", 3, 60, 160.9).allowed
    assert limiter.hit("key", 3, 60, 161.5).allowed


def test_keys_are_counted_apart(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "rate.sqlite")
    assert limiter.hit("a", 1, 60, 100.0).allowed
    assert not limiter.hit("a", 1, 60, 101.0).allowed
    assert limiter.hit("b", 1, 60, 101.0).allowed


def test_two_processes_share_one_window(tmp_path: Path) -> None:
    """Two limiters on one file stand for two worker processes: together they admit exactly the limit."""
    first, second = RateLimiter(tmp_path / "rate.sqlite"), RateLimiter(tmp_path / "rate.sqlite")
    admitted = [(first if i % 2 else second).hit("key", 5, 60, 100.0 + i / 10).allowed for i in range(9)]
    assert admitted.count(True) == 5
    assert first.peek("key", 5, 60, 101.0).remaining == 0


def test_a_huge_limit_keeps_an_exact_count_after_old_hits_are_trimmed(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "rate.sqlite")
    total = 3 * TRIM_EVERY + 5
    for i in range(total):
        decision = limiter.hit("key", 10**9, 10.0, 100.0 + i * 0.1)
    in_window = sum(1 for i in range(total) if 100.0 + i * 0.1 > 100.0 + (total - 1) * 0.1 - 10.0)
    assert decision.remaining == 10**9 - in_window
    assert limiter.peek("key", 10**9, 10.0, 100.0 + (total - 1) * 0.1).remaining == 10**9 - in_window


def test_a_clock_step_backwards_never_breaks_the_order(tmp_path: Path) -> None:
    """A hit stamped earlier than the previous one (another process's clock read) counts as at that one."""
    limiter = RateLimiter(tmp_path / "rate.sqlite")
    assert limiter.hit("key", 2, 60, 100.0).allowed
    assert limiter.hit("key", 2, 60, 99.0).allowed
    assert not limiter.hit("key", 2, 60, 130.0).allowed
    assert limiter.hit("key", 2, 60, 160.5).allowed  # both earlier hits count from t=100 and have left
