"""Overhead of ``segmock record`` versus calling the upstream directly (prints figures; not a test).

A stand-in Photoroom upstream (threaded werkzeug on loopback, in this process: like a remote provider, it
takes no core from the proxy) answers a small JSON GET, a 1 MB multipart upload and an 8 MB binary
download. Each case runs in alternating rounds: a block of requests with one keep-alive ``httpx.Client``
going direct, then a block through the recording proxy (a real `segmock record` process, cassette and report
written). Every block starts once the proxy's processes are idle (the recorder has caught up), so neither
side pays for the other's leftovers; the figures are medians over all rounds. On Linux it also prints the
CPU the proxy's worker and its recorder spent per proxied request (from /proc). Run:

    .venv/bin/python benchmarks/bench_proxy.py [--n 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
BIG = random.Random(1).randbytes(8 * 1024 * 1024)
UPLOAD = random.Random(2).randbytes(1024 * 1024)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        """No access log: it would dominate the timings."""


def upstream_app() -> Flask:
    app = Flask("bench-upstream")

    @app.get("/v2/account")
    def account() -> Response:
        body = {"images": {"available": 99, "subscription": 100}, "plan": "basic"}
        return Response(json.dumps(body), content_type="application/json")

    @app.post("/v1/segment")
    def segment() -> Response:
        request.files["image_file"].read()
        return Response(b"\x89PNG\r\n\x1a\n" + b"\0" * 2048, content_type="image/png")

    @app.get("/v2/edit")
    def edit() -> Response:
        return Response(BIG, content_type="image/png")

    return app


def start_proxy(upstream: str, folder: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "record", "--provider", "photoroom",
                             "--upstream", upstream, "--port", "0", "--cassette", f"{folder}/bench.yaml",
                             "--report", f"{folder}/report.json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if " on http://" in line:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain
            return proc, line.rsplit(" on ", 1)[1].strip()
    raise RuntimeError("proxy did not start")


def timed(client: httpx.Client, n: int, call) -> list[float]:
    for _ in range(min(20, n)):
        call(client)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call(client)
        out.append((time.perf_counter() - t0) * 1000)
    return out


class ProxyCpu:
    """CPU time of the proxy's processes from /proc: the server (``segmock record`` itself) and the recorder
    (its first child). Empty where there is no /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _stat(self, pid: int) -> list[str]:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()

    def _children(self) -> list[int]:
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as fh:
            pids = [int(p) for p in fh.read().split()]
        return sorted(pids, key=lambda p: int(self._stat(p)[19]))  # by start time

    def sample(self) -> dict[str, float]:
        """Milliseconds of CPU so far: ``recorder`` and ``worker`` (the server answering the client)."""
        try:
            recorder = self._children()[0]
            ms = {p: (int(f[11]) + int(f[12])) * 1000 / self.tick for p in [recorder, self.pid]
                  for f in [self._stat(p)]}
        except (OSError, ValueError, IndexError):
            return {}
        return {"recorder": ms[recorder], "worker": ms[self.pid]}

    def settle(self, limit: float = 60.0) -> None:
        """Wait until the proxy's processes stop using CPU (the recorder has caught up)."""
        deadline, last = time.monotonic() + limit, self.sample()
        while last and time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.sample()
            if sum(now.values()) - sum(last.values()) < 1:
                return
            last = now


CASES = {
    "GET /v2/account (JSON, 67 B)": lambda c: c.get("/v2/account", headers={"x-api-key": "k"}).raise_for_status(),
    "POST /v1/segment (1 MB upload)": lambda c: c.post(
        "/v1/segment", headers={"x-api-key": "k"},
        files={"image_file": ("a.png", UPLOAD, "image/png")}).raise_for_status(),
    "GET /v2/edit (8 MB download)": lambda c: c.get("/v2/edit", params={"imageUrl": "https://x.test/a.png"},
                                                      headers={"x-api-key": "k"}).raise_for_status(),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="requests per small case and round (big cases: n/10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating direct/proxy blocks per case")
    args = parser.parse_args()
    server = make_server("127.0.0.1", 0, upstream_app(), threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    direct = f"http://127.0.0.1:{server.server_port}"
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; httpx keep-alive, "
          f"sequential; upstream: threaded werkzeug on loopback; medians of {args.rounds} alternating rounds")
    with tempfile.TemporaryDirectory() as folder:
        proc, proxied = start_proxy(direct, folder)
        cpu = ProxyCpu(proc.pid)
        try:
            print(f"{'case':34} {'direct p50/p99 ms':>20} {'proxy p50/p99 ms':>20} {'overhead p50':>13}"
                  f" {'proxy CPU/req: worker + recorder':>34}")
            for name, call in CASES.items():
                n = args.n if "JSON" in name else max(10, args.n // 10)
                d: list[float] = []
                p: list[float] = []
                used = {"worker": 0.0, "recorder": 0.0}
                with httpx.Client(base_url=direct, timeout=60) as dc, httpx.Client(base_url=proxied, timeout=60) as pc:
                    for _ in range(args.rounds):
                        cpu.settle()
                        d += timed(dc, n, call)
                        cpu.settle()
                        before = cpu.sample()
                        p += timed(pc, n, call)
                        cpu.settle()
                        after = cpu.sample()
                        for key in used:
                            used[key] += after.get(key, 0.0) - before.get(key, 0.0)
                dq, pq = statistics.quantiles(d, n=100), statistics.quantiles(p, n=100)
                sent = args.rounds * (n + min(20, n))  # warm-up requests cost CPU too
                per = f"{used['worker'] / sent:6.1f} + {used['recorder'] / sent:5.1f} ms" if after else "n/a"
                print(f"{name:34} {dq[49]:8.2f} / {dq[98]:7.2f}   {pq[49]:8.2f} / {pq[98]:7.2f}   "
                      f"{pq[49] - dq[49]:+9.2f} ms {per:>34}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
            print(f"cassette + assets + report written: {size / 1e6:.1f} MB")
    server.shutdown()


if __name__ == "__main__":
    main()
