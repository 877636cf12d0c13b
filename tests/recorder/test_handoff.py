"""Exchanges reach the recorder intact and in order, big bodies through memory files, small ones inline."""

from __future__ import annotations

import multiprocessing
import random

import pytest

from mockserver.recorder import handoff
from mockserver.recorder.handoff import Handoff


def _bodies(seed: int) -> list[list[bytes]]:
    rnd = random.Random(seed)
    big = [rnd.randbytes(256 * 1024) for _ in range(12)] + [rnd.randbytes(1000)]
    return [[b"small ", b"body"], big, [], [rnd.randbytes(handoff.SPOOL_ABOVE + 1)]]


def _received(channel: Handoff, count: int) -> list[tuple[object, list[bytes]]]:
    return [channel.receive(timeout=30) for _ in range(count)]


@pytest.mark.parametrize("memfd", [True, False] if handoff._HAS_MEMFD else [False])
def test_bodies_arrive_whole_and_in_order(monkeypatch, memfd):
    monkeypatch.setattr(handoff, "_HAS_MEMFD", memfd)
    spooled = []
    if memfd:
        create = handoff.os.memfd_create
        monkeypatch.setattr(handoff.os, "memfd_create", lambda *a: spooled.append(create(*a)) or spooled[-1])
    channel = Handoff()
    for seed in range(3):
        channel.send(("exchange", seed), _bodies(seed))
    received = _received(channel, 3)
    assert [message for message, _ in received] == [("exchange", 0), ("exchange", 1), ("exchange", 2)]
    for seed, (_, bodies) in enumerate(received):
        assert bodies == [b"".join(pieces) for pieces in _bodies(seed)]
    assert len(spooled) == (6 if memfd else 0)  # the two bodies over SPOOL_ABOVE of each message
    channel.close()


def _worker(channel: Handoff) -> None:
    for seed in range(3):
        channel.send(("exchange", seed), _bodies(seed))
    channel.flush()


def test_a_forked_worker_hands_over_to_another_process():
    channel = Handoff()
    worker = multiprocessing.get_context("fork").Process(target=_worker, args=(channel,))
    worker.start()
    received = _received(channel, 3)
    worker.join(30)
    assert worker.exitcode == 0
    assert [bodies for _, bodies in received] == [[b"".join(p) for p in _bodies(seed)] for seed in range(3)]
    channel.close()
