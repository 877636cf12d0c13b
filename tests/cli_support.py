"""The one way tests start a long-running ``segmock`` command (``serve``, ``record``, ``replay``): a real
process on ``--port 0``, its address read from the banner it prints (`` on http://HOST:PORT``), so no test
ever races another for a port it only guessed was free."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER = re.compile(r" on (http://[^\s)]+)")
START_TIMEOUT = 60.0


class CliServer:
    """``python -m mockserver.cli <verb> ... --port 0`` as a process; ``url`` comes from its banner line."""

    def __init__(self, *args: str, env: dict[str, str | None] | None = None, root: Path = ROOT) -> None:
        """``env`` adds to the environment (a None value removes that variable); ``root`` is the checkout whose
        ``mockserver`` runs (another one: a scaffolded copy)."""
        merged: dict[str, str | None] = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(root)}
        base = {k: v for k, v in merged.items() if v is not None}
        self.proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", *args, "--port", "0"], cwd=root,
                                     env=base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.output: list[str] = []
        self.banner = ""
        self.url = self._wait_for_banner()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def _wait_for_banner(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.proc.kill()
                raise RuntimeError("server did not start:\n" + "".join(self.output)) from None
            self.output.append(line)
            if not line:
                raise RuntimeError("server exited:\n" + "".join(self.output))
            found = BANNER.search(line)
            if found:
                self.banner = line
                return found.group(1)

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Send ``sig`` (SIGTERM: what Ctrl-C in a container sends), wait, and return everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        while self.output[-1:] != [""]:
            self.output.append(self.lines.get(timeout=10))
        return "".join(self.output)


def free_port() -> int:
    """A loopback port free right now, for commands that cannot print their address (output sent to a file, a
    README command run as written); everything that prints a banner uses ``CliServer`` on port 0 instead."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
