"""``segmock serve`` in a subprocess on a free loopback port, and the resident memory of its processes.

Shared by the hostile live suite and ``benchmarks/bench_hostile.py``: the real server (gunicorn arbiter and
workers), so what is measured is what a user runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """A running ``segmock serve``; ``rss()`` is the resident memory of the arbiter and its workers."""

    def __init__(self, state_dir: Path, *args: str, workers: int = 2) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(port), "--workers", str(workers),
             "--log-format", "off", "--state-dir", str(state_dir), *args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
            env={**{k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}, "HOME": str(state_dir)})
        deadline = time.monotonic() + 60
        while not self.up():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("segmock serve did not start:\n" + (self.proc.stderr.read() if self.proc.stderr
                                                                        else ""))
            time.sleep(0.05)

    def up(self) -> bool:
        try:
            return httpx.get(self.url + "/__segmock/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def pids(self) -> list[int]:
        """The arbiter and its children (the workers)."""
        out = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            children = []
        return out + [int(c) for c in children]

    def rss(self) -> int:
        """Resident bytes of the server's processes now."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


class PeakSampler:
    """Samples a server's RSS every few milliseconds in a thread; ``peak`` is the highest seen."""

    def __init__(self, served: Served, every: float = 0.02) -> None:
        import threading

        self.served, self.every, self.peak = served, every, served.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.served.rss())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.served.rss())
