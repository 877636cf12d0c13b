"""``segmock serve`` start-up: from spawning the command to its first 200, against a floor measured in the same
run (``python -m http.server`` from spawn to its first 200: an interpreter and a socket, nothing else).

Loopback only; each server is started ``--starts`` times and the median is printed, with the import time of
the modules start-up pays for (``python -X importtime``), so a dependency that grows start-up shows by name.

    .venv/bin/python benchmarks/bench_startup.py [--starts 5]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _first_200(command: list[str], url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command} exited") from None
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(10)


def _heaviest_imports(code: str, top: int = 8) -> list[tuple[int, str]]:
    """Cumulative import time (µs) of the top-level packages ``code`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    totals: dict[str, int] = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        if found:  # the largest cumulative time any module of a distribution's package shows
            package = found.group(2).split(".")[0]
            totals[package] = max(totals.get(package, 0), int(found.group(1)))
    return sorted(((us, name) for name, us in totals.items()), reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    floors, serves = [], []
    for _ in range(args.starts):
        port = _free_port()
        floors.append(_first_200([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                 f"http://127.0.0.1:{port}/", {}))
        port = _free_port()
        with tempfile.TemporaryDirectory() as state:
            serves.append(_first_200([sys.executable, "-m", "mockserver.cli", "serve", "--provider", "photoroom",
                                      "--port", str(port), "--state-dir", state],
                                     f"http://127.0.0.1:{port}/v2/account", {"x-api-key": "k"}))
    print(f"floor  (python -m http.server, spawn to first 200): median {statistics.median(floors):.3f} s")
    print(f"segmock serve --provider photoroom (spawn to first 200): median {statistics.median(serves):.3f} s")
    print("heaviest imports of the app factory (cumulative ms):")
    for us, name in _heaviest_imports("import mockserver.app, contracts.check.validation"):
        print(f"  {us / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
