"""Pending journal entries: a reader waits for every entry whose answer has left but whose row has not landed,
whichever thread or process holds it, and never longer than its patience."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mockserver.operator.inflight import InFlight


def settled_in_thread(pending: InFlight) -> threading.Event:
    done = threading.Event()
    threading.Thread(target=lambda: (pending.settle(), done.set()), daemon=True).start()
    return done


def test_nothing_pending_reads_at_once(tmp_path: Path) -> None:
    pending = InFlight(tmp_path / "j.pending")
    assert settled_in_thread(pending).wait(5)


def test_a_reader_waits_for_an_entry_pending_in_another_thread(tmp_path: Path) -> None:
    pending = InFlight(tmp_path / "j.pending")
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        pending.hold()
        held.set()
        release.wait(10)
        pending.release()

    threading.Thread(target=writer, daemon=True).start()
    assert held.wait(5)
    done = settled_in_thread(pending)
    assert not done.wait(0.3)
    release.set()
    assert done.wait(5)


def test_a_thread_holding_its_own_entry_can_still_read_once_it_is_written(tmp_path: Path) -> None:
    pending = InFlight(tmp_path / "j.pending", patience=0.2)
    pending.hold()
    pending.release()
    started = time.monotonic()
    pending.settle()
    assert time.monotonic() - started < 0.15


def test_a_reader_waits_for_an_entry_pending_in_another_process(tmp_path: Path) -> None:
    path = tmp_path / "j.pending"
    code = ("import sys, time; from pathlib import Path; from mockserver.operator.inflight import InFlight;"
            f"p = InFlight(Path({str(path)!r})); p.hold(); print('held', flush=True); sys.stdin.readline();"
            " p.release(); print('released', flush=True); time.sleep(1)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "held"
        done = settled_in_thread(InFlight(path))
        assert not done.wait(0.3)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert done.wait(5)
    finally:
        proc.kill()
        proc.wait()


def test_a_stuck_entry_delays_a_reader_by_its_patience_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "j.pending"
    stuck = threading.Thread(target=InFlight(path).hold)  # this thread's descriptor keeps the hold after it ends
    stuck.start()
    stuck.join()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="segmock"):
        InFlight(path, patience=0.3).settle()
    assert 0.25 < time.monotonic() - started < 3
    assert "pending" in caplog.text
