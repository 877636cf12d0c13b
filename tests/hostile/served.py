"""``segmock serve`` in a subprocess on a free loopback port, and the resident memory of its processes.

Shared by the hostile live suite and ``benchmarks/bench_hostile.py``: the real server (its
worker processes), so what is measured is what a user runs.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
from cli_support import CliServer


class Served(CliServer):
    """A running ``segmock serve`` (started by the suite's one helper, on port 0); ``rss()`` is the resident
    memory of the arbiter and its workers."""

    def __init__(self, state_dir: Path, *args: str, workers: int = 2) -> None:
        super().__init__("serve", "--workers", str(workers), "--log-format", "off", "--state-dir", str(state_dir),
                         *args, env={"XDG_RUNTIME_DIR": None, "HOME": str(state_dir)})

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

    def stop(self, sig: int = signal.SIGINT) -> str:
        """SIGINT (the quick shutdown), and what the server printed."""
        return super().stop(sig)


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
