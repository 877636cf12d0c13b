"""``segmock serve`` start-up: from spawning the command to its first 200, beside two floors measured in the
same run:

- ``python -m http.server``: an interpreter and a socket, nothing else;
- the libraries' floor: a process that imports what every validated answer needs (Flask, waitress,
  openapi-core), builds an openapi-core object for a one-operation spec, and serves one validated route on
  waitress, with the garbage collector off until it serves (then frozen, as ``segmock serve`` starts: see
  ``mockserver/commands/startup.py``). No mock built on these libraries can start faster; what
  ``segmock serve`` spends above it is ours.

Loopback only; each server is started ``--starts`` times (after one unmeasured start that writes the bytecode
caches a user's installation has) and the median is printed, with the child's CPU time (steadier than wall
time on a shared machine) and the import time of the modules start-up pays for (``python -X importtime``), so
a dependency that grows start-up shows by name.

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
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}

LIBRARIES_FLOOR = """
import gc
gc.disable()
import sys
from flask import Flask, request
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from waitress import serve

spec = OpenAPI.from_dict({
    "openapi": "3.1.0", "info": {"title": "floor", "version": "1"},
    "paths": {"/v2/account": {"get": {
        "parameters": [{"name": "x-api-key", "in": "header", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}}}},
})
app = Flask("floor")

@app.get("/v2/account")
def account():
    spec.validate_request(FlaskOpenAPIRequest(request))
    return {"images": {"available": 10}}

gc.freeze()
gc.enable()
serve(app, host="127.0.0.1", port=int(sys.argv[1]), _quiet=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _first_200(command: list[str], url: str, headers: dict[str, str]) -> tuple[float, float]:
    """Wall time from spawn to the first 200, and the child's CPU time until then (``os.wait4``)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as answer:
                    if answer.status == 200:
                        wall = time.perf_counter() - started
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command} exited") from None
                time.sleep(0.01)
    finally:
        proc.terminate()
    _, _, usage = os.wait4(proc.pid, 0)
    return wall, usage.ru_utime + usage.ru_stime


def _heaviest_imports(code: str, top: int = 8) -> list[tuple[int, str]]:
    """Cumulative import time (µs) of the top-level packages ``code`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env=ENV)
    totals: dict[str, int] = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        if found:  # the largest cumulative time any module of a distribution's package shows
            package = found.group(2).split(".")[0]
            totals[package] = max(totals.get(package, 0), int(found.group(1)))
    return sorted(((us, name) for name, us in totals.items()), reverse=True)[:top]


def _segmock(port: int, state: str, providers: tuple[str, ...]) -> list[str]:
    chosen = [arg for name in providers for arg in ("--provider", name)]
    return [sys.executable, "-m", "mockserver.cli", "serve", *chosen, "--port", str(port), "--state-dir", state]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    key = {"x-api-key": "k"}
    servers = {
        "floor: python -m http.server": lambda port, _: (
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], "/", {}),
        "floor: Flask + openapi-core + waitress": lambda port, _: (
            [sys.executable, "-c", LIBRARIES_FLOOR, str(port)], "/v2/account", key),
        "segmock serve --provider photoroom": lambda port, state: (
            _segmock(port, state, ("photoroom",)), "/v2/account", key),
        "segmock serve (every provider)": lambda port, state: (_segmock(port, state, ()), "/v2/account", key),
    }
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    for start in range(args.starts + 1):
        for name, make in servers.items():
            port = _free_port()
            with tempfile.TemporaryDirectory() as state:
                command, path, headers = make(port, state)
                measured = _first_200(command, f"http://127.0.0.1:{port}{path}", headers)
            if start:  # the first round writes bytecode caches and warms the page cache
                figures[name].append(measured)
    print(f"spawn to first 200, median of {args.starts}:")
    libraries = statistics.median(w for w, _ in figures["floor: Flask + openapi-core + waitress"])
    for name, runs in figures.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        print(f"  {name:42} {wall:6.3f} s wall  {cpu:6.3f} s CPU  {wall / libraries:5.2f}x the libraries' floor")
    print("heaviest imports of the app factory (cumulative ms):")
    for us, name in _heaviest_imports("import mockserver.app, contracts.check.validation"):
        print(f"  {us / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
