"""How fast ``segmock serve`` is, next to Prism and WireMock measured in the same run (prints figures).

Loopback only and bounded. For each server: start-up to the first 200 (wall clock, median of ``--starts``
launches, probed with ``http.client`` so the probe's own set-up is not counted; and the CPU seconds the server's
processes used until then, which a busy machine distorts less), then a keep-alive ``httpx.Client``
sending the JSON operation (tengr ``GET /v2/artworks/{id}``; Photoroom ``GET /v2/account`` when the tengr
provider is absent) ``--n`` times after ``--warmup`` requests; for segmock also Photoroom ``POST /v1/segment``
with a 512×512 PNG, and ``--n-slow`` fresh-connection requests while 200 connections hold half-sent heads and 50
dribble bodies (slow clients must starve nobody). Prism (``@stoplight/prism-cli@5.14.2`` serving
``specs/tengr.yaml``) and WireMock (``wiremock@3.13.2`` from npm, its bundled standalone jar on Java 17) run
when installed in ``benchmarks/.tools/`` (``--install-anchors`` installs them with npm). Run:

    .venv/bin/python benchmarks/bench_serve.py [--install-anchors] [--n 1000] [--n-image 200] [--workers 1] [--starts 5]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "benchmarks" / ".tools"
PRISM = "@stoplight/prism-cli@5.14.2"
WIREMOCK = "wiremock@3.13.2"
BEARER = {"Authorization": "Bearer bench-key"}
PHOTOROOM_KEY = {"x-api-key": "bench-key"}
START_TIMEOUT = 60.0


@dataclass
class Figures:
    server: str
    operation: str
    startups: list[float] = field(default_factory=list)
    startup_cpu_s: float | None = None
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    note: str = ""

    @property
    def startup_s(self) -> float | None:
        return statistics.median(self.startups) if self.startups else None

    def row(self) -> str:
        if not self.latencies:
            started = f"{_s(self.startup_s)} | {_s(self.startup_cpu_s)}"
            return f"| {self.server} | {self.operation} | {started} | – | – | – | {self.note} |"
        ordered = sorted(self.latencies)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = len(ordered) / self.wall_s
        seen = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))
        return (f"| {self.server} | {self.operation} | {_s(self.startup_s)} | {_s(self.startup_cpu_s)} | {p50:.2f} |"
                f" {p99:.2f} | {rate:.0f} |"
                f" {seen}{'; ' + self.note if self.note else ''} |")


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return [f"CPU: {cpu}; cores: {os.cpu_count()}; load average at start: {load}",
            f"Python {platform.python_version()}; Node {_version(['node', '--version'])};"
            f" Java {_version(['java', '-version'])}; {platform.platform()}"]


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "?"


def install_anchors() -> None:
    TOOLS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(TOOLS),
                    PRISM, WIREMOCK], check=True)


def prism_bin() -> Path | None:
    path = TOOLS / "node_modules" / ".bin" / "prism"
    return path if path.exists() else None


def wiremock_jar() -> Path | None:
    return next(iter(sorted((TOOLS / "node_modules" / "wiremock").rglob("wiremock-standalone-*.jar"))), None)


def cpu_seconds(group: int) -> float | None:
    """CPU time (user + system, all threads) used so far by every process of a process group (Linux)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        stats = [p / "stat" for p in Path("/proc").iterdir() if p.name.isdigit()]
    except OSError:
        return None
    for stat in stats:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def start(command: list[str], probe: Callable[[], bool], **popen: Any) -> tuple[subprocess.Popen[bytes], float]:
    """Launch a server and return it with its start-up time to the first successful probe."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            **popen)
    while True:
        try:
            if probe():
                return proc, time.perf_counter() - began
        except (OSError, http.client.HTTPException):
            pass
        if proc.poll() is not None or time.perf_counter() - began > START_TIMEOUT:
            stop(proc)
            said = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise RuntimeError(f"{command[0]} did not start: {said}")
        time.sleep(0.005)


def launch(figures: Figures, command: list[str], probe: Callable[[], bool], starts: int,
           **popen: Any) -> subprocess.Popen[bytes]:
    """Start the server ``starts`` times (recording each start-up and the last one's CPU); the last stays up."""
    for attempt in range(starts):
        proc, took = start(command, probe, **popen)
        figures.startups.append(took)
        if attempt < starts - 1:
            stop(proc)
    figures.startup_cpu_s = cpu_seconds(proc.pid)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def ok(url: str, headers: dict[str, str]) -> Callable[[], bool]:
    """A probe on a fresh ``http.client`` connection (cheap to open, unlike an ``httpx`` client)."""
    parts = httpx.URL(url)

    def probe() -> bool:
        conn = http.client.HTTPConnection(parts.host, parts.port, timeout=2)
        try:
            conn.request("GET", parts.raw_path.decode(), headers=headers)
            return conn.getresponse().status == 200
        finally:
            conn.close()

    return probe


@dataclass
class Running:
    """A started server: its figures, how to send the JSON request, and how to stop it."""

    figures: Figures
    send: Callable[[], httpx.Response]
    stop: Callable[[], None]


def measure(figures: Figures, send: Callable[[], httpx.Response], n: int, warmup: int) -> None:
    """``n`` sequential requests to one server after ``warmup``."""
    for _ in range(warmup):
        send()
    began = time.perf_counter()
    for _ in range(n):
        _timed(figures, send)
    figures.wall_s = time.perf_counter() - began


def measure_interleaved(servers: list[Running], n: int, warmup: int, block: int) -> None:
    """``n`` requests to each server, sent in blocks of ``block`` that take turns (the order rotating each
    turn): a busy moment on the machine lands on every server alike, while within a block each server runs
    warm, as it would for a test suite talking to it."""
    for server in servers:
        for _ in range(warmup):
            server.send()
    turns = -(-n // block)
    for turn in range(turns):
        size = min(block, n - turn * block)
        for server in servers[turn % len(servers):] + servers[:turn % len(servers)]:
            for _ in range(size):
                _timed(server.figures, server.send)
    for server in servers:
        server.figures.wall_s = sum(server.figures.latencies)


def _timed(figures: Figures, send: Callable[[], httpx.Response]) -> None:
    t0 = time.perf_counter()
    response = send()
    figures.latencies.append(time.perf_counter() - t0)
    figures.statuses[response.status_code] = figures.statuses.get(response.status_code, 0) + 1


def packshot(size: int = 512) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (size, size), (250, 250, 250))
    img.paste((200, 40, 40), (size // 4, size // 4, 3 * size // 4, 3 * size // 4))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class _ImageHandler(BaseHTTPRequestHandler):
    """Serves the packshot tengr fetches as ``imageUrl``."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def tengr_served() -> bool:
    sys.path.insert(0, str(ROOT))
    from mockserver.providers import available

    return "tengr" in available()


def up_segmock(args: argparse.Namespace, image: bytes) -> tuple[Running, httpx.Client, dict[str, Any] | None]:
    """segmock started (with one finished artwork to poll), its client, and the artwork JSON it served
    (WireMock is stubbed with the same body)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with_tengr = tengr_served()
    state = tempfile.mkdtemp(prefix="bench-serve-")
    command = [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(port), "--workers", str(args.workers),
               "--state-dir", state, "--job-progression", "immediate", "--rate-limit", "tengr.limit=100000000",
               "--rate-limit", "photoroom.images_per_minute=100000000", "--log-format", args.log_format]
    probe = ok(f"{base}/v2/artworks", BEARER) if with_tengr else ok(f"{base}/v2/account", PHOTOROOM_KEY)
    figures = Figures("segmock", "tengr get-artwork (JSON)" if with_tengr else "photoroom GET /v2/account (JSON)")
    proc = launch(figures, command, probe, args.starts, cwd=ROOT)
    client = httpx.Client(base_url=base, timeout=60)

    def down() -> None:
        client.close()
        stop(proc)
        shutil.rmtree(state, ignore_errors=True)

    if not with_tengr:
        figures.note = "tengr provider absent: fell back to Photoroom GET /v2/account"
        return Running(figures, lambda: client.get("/v2/account", headers=PHOTOROOM_KEY), down), client, None
    _ImageHandler.body = image
    images = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    threading.Thread(target=images.serve_forever, daemon=True).start()
    try:
        created = client.post("/v2/artworks/segmentation", headers=BEARER, json={
            "imageUrl": f"http://127.0.0.1:{images.server_address[1]}/packshot.png", "method": "text",
            "textPrompt": "red square"})
        created.raise_for_status()
    finally:
        images.shutdown()
    path = f"/v2/artworks/{created.json()['id']}"
    artwork = client.get(path, headers=BEARER).json()
    return Running(figures, lambda: client.get(path, headers=BEARER), down), client, artwork


def slow_clients_figures(base: str, probes: int, heads: int = 200, bodies: int = 50) -> Figures:
    """Fresh-connection probes (Photoroom ``GET /v2/account``, as a new client's first call) while ``heads``
    connections hold half-sent request heads and ``bodies`` dribble an upload a byte at a time: what one
    stalled client (or a few hundred) costs everyone else."""
    figures = Figures("segmock", f"GET /v2/account, {heads} half-sent heads + {bodies} dribbling bodies open")
    port = httpx.URL(base).port
    opened: list[socket.socket] = []
    try:
        for i in range(heads):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(f"GET /v2/account?slow={i} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
            opened.append(sock)
        for _ in range(bodies):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nContent-Type: image/png\r\n"
                         b"Content-Length: 100000\r\n\r\n\x89PNG")
            opened.append(sock)
        began = time.perf_counter()
        for i in range(probes):
            for sock in opened[i % 10::10]:
                sock.sendall(b"a")  # a tenth of them send one more byte before each probe
            with httpx.Client(base_url=base, timeout=30) as client:
                _timed(figures, lambda: client.get("/v2/account", headers=PHOTOROOM_KEY))
        figures.wall_s = time.perf_counter() - began
    finally:
        for sock in opened:
            sock.close()
    return figures


def segment_figures(args: argparse.Namespace, client: httpx.Client, image: bytes) -> Figures:
    """Photoroom ``/v1/segment`` on the 512×512 packshot, measured alone (it is CPU work, not a round trip)."""
    figures = Figures("segmock", "photoroom POST /v1/segment 512² (image)")
    files = {"image_file": ("packshot.png", image, "image/png")}
    measure(figures, lambda: client.post("/v1/segment", headers=PHOTOROOM_KEY, files=files), args.n_image,
            min(args.warmup, 10))
    return figures


def up_anchor(args: argparse.Namespace, figures: Figures, command: list[str], port: int,
              cleanup: Callable[[], None] = lambda: None, cwd: Path | None = None) -> Running:
    """An anchor server started by ``command`` on ``port``, answering the JSON operation."""
    url = f"http://127.0.0.1:{port}/v2/artworks/bench-artwork"
    proc = launch(figures, command, ok(url, BEARER), args.starts, cwd=cwd)
    client = httpx.Client(timeout=60)

    def down() -> None:
        client.close()
        stop(proc)
        cleanup()

    return Running(figures, lambda: client.get(url, headers=BEARER), down)


def up_prism(args: argparse.Namespace) -> Running | Figures:
    figures = Figures("Prism 5.14.2 (mock -m, validating)", "tengr get-artwork (JSON)")
    binary = prism_bin()
    if binary is None:
        figures.note = "not installed (--install-anchors)"
        return figures
    port = free_port()
    return up_anchor(args, figures, [str(binary), "mock", "-m", "-p", str(port), "-h", "127.0.0.1",
                                     str(ROOT / "specs" / "tengr.yaml")], port)


def up_wiremock(args: argparse.Namespace, body: dict[str, Any]) -> Running | Figures:
    figures = Figures("WireMock 3.13.2 (journal on)", "tengr get-artwork (JSON)")
    jar = wiremock_jar()
    if jar is None or shutil.which("java") is None:
        figures.note = "not installed (--install-anchors; needs java)"
        return figures
    root = Path(tempfile.mkdtemp(prefix="bench-wiremock-"))
    (root / "mappings").mkdir()
    (root / "mappings" / "artwork.json").write_text(json.dumps({
        "request": {"method": "GET", "urlPathPattern": "/v2/artworks/[^/]+",
                    "headers": {"Authorization": {"matches": "Bearer .+"}}},
        "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "jsonBody": body}}))
    port = free_port()
    return up_anchor(args, figures, ["java", "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1",
                                     "--root-dir", str(root), "--disable-banner"], port,
                     cleanup=lambda: shutil.rmtree(root, ignore_errors=True))


def constant_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The floor: a WSGI app that answers a constant artwork, for the server's own share of a round trip."""
    body = b'{"id":"bench-artwork","status":"completed"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def up_floor(args: argparse.Namespace) -> Running:
    """segmock's server (:mod:`mockserver.serving`, as ``segmock serve`` runs it) serving :func:`constant_app`:
    what any app on this server pays before doing anything."""
    figures = Figures("floor: segmock's server (waitress) + constant WSGI app", "same GET, constant body")
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-floor", str(port)]
    return up_anchor(args, figures, command, port, cwd=ROOT)


def serve_floor(port: int) -> None:
    sys.path.insert(0, str(ROOT))
    from mockserver.serving import serve

    serve(constant_app, "127.0.0.1", port, on_ready=lambda base: None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="timed JSON requests per server (default 1000)")
    parser.add_argument("--n-image", type=int, default=200, help="timed /v1/segment requests (default 200)")
    parser.add_argument("--n-slow", type=int, default=50,
                        help="fresh-connection probes while slow clients hold connections open (default 50)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--block", type=int, default=100, help="JSON requests per server per turn (default 100)")
    parser.add_argument("--workers", type=int, default=1, help="segmock serve --workers")
    parser.add_argument("--starts", type=int, default=5, help="launches per server for the start-up median")
    parser.add_argument("--log-format", default="human", choices=("human", "json", "off"),
                        help="segmock's request log, written to /dev/null (default human: what a terminal user pays)")
    parser.add_argument("--install-anchors", action="store_true",
                        help=f"npm install {PRISM} {WIREMOCK} into benchmarks/.tools/")
    parser.add_argument("--no-anchors", action="store_true", help="measure segmock only")
    parser.add_argument("--floor", action="store_true",
                        help="also measure segmock's server serving a constant WSGI app (the server's own share)")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return 0
    if (not 1 <= args.n <= 20_000 or not 1 <= args.n_image <= 5_000 or not 1 <= args.starts <= 20 or args.block < 1
            or not 1 <= args.n_slow <= 1_000):
        parser.error("--n must be 1..20000, --n-image 1..5000, --n-slow 1..1000, --starts 1..20 and --block at"
                     " least 1 (this benchmark stays bounded)")
    if args.install_anchors:
        install_anchors()
    print("\n".join(machine()))
    image = packshot()
    running: list[Running] = []
    absent: list[Figures] = []
    try:
        segmock, client, artwork = up_segmock(args, image)
        running.append(segmock)
        if args.floor:
            running.append(up_floor(args))
        if not args.no_anchors:
            for anchor in (up_prism(args), up_wiremock(args, artwork or {"id": "bench-artwork",
                                                                         "status": "completed"})):
                if isinstance(anchor, Running):
                    running.append(anchor)
                else:
                    absent.append(anchor)
        measure_interleaved(running, args.n, args.warmup, args.block)
        segment = segment_figures(args, client, image)
        slow = slow_clients_figures(str(client.base_url).rstrip("/"), args.n_slow)
    finally:
        for server in running:
            server.stop()
    served = [server.figures for server in running]
    rows = [served[0], segment, slow, *served[1:], *absent]
    print(f"\nkeep-alive httpx.Client per server; JSON: n={args.n} per server after {args.warmup} warm-up, in"
          f" turns of {args.block} (the servers take turns); image: n={args.n_image} alone; start-up: median of"
          f" {args.starts} launches; segmock --workers {args.workers}, request log {args.log_format} to /dev/null\n")
    print("| server | operation | start-up to first 200 | start-up CPU | p50 ms | p99 ms | req/s | statuses |")
    print("|---|---|---|---|---|---|---|---|")
    for figures in rows:
        print(figures.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
