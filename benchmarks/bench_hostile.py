"""What small hostile requests cost ``segmock serve --workers 2``: time to the answer and the server's peak
resident memory, against a baseline measured in the same run (one ordinary Photoroom cutout of a 512x512
PNG). The expensive-but-valid cases run many at once, to show the work gate holding memory under its budget.

    python benchmarks/bench_hostile.py [--concurrency 16] [--work-memory-mb 2048]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "hostile"), str(ROOT / "tests")]
from served import PeakSampler, Served  # noqa: E402

KEY = {"x-api-key": "bench"}
BEARER = {"Authorization": "Bearer bench"}


def png(width: int, height: int) -> bytes:
    """A flat image: a few kilobytes on the wire, width x height pixels once decoded."""
    buf = io.BytesIO()
    image = Image.new("RGB", (width, height), (250, 250, 250))
    image.paste((200, 30, 30), (width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    image.save(buf, "PNG")
    return buf.getvalue()


def edit(url: str, image: bytes, **fields: str) -> int:
    r = httpx.post(url + "/v2/edit", headers=KEY, files={"imageFile": ("a.png", image, "image/png")}, data=fields,
                   timeout=600)
    return r.status_code


def measure(server: Served, name: str, send: Callable[[], int], times: int = 1) -> dict[str, object]:
    with PeakSampler(server) as peak, ThreadPoolExecutor(max_workers=times) as pool:
        began = time.perf_counter()
        statuses = list(pool.map(lambda _: send(), range(times)))
        took = time.perf_counter() - began
    row = {"case": name, "requests": times, "statuses": sorted(set(statuses)), "seconds": round(took, 2),
           "peak_rss_mib": round(peak.peak / 2**20)}
    print(f"{name:44} x{times:<3} {str(row['statuses']):12} {took:7.2f} s   peak RSS {row['peak_rss_mib']:5} MiB",
          flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--work-memory-mb", type=int, default=2048)
    args = parser.parse_args()
    server = Served(Path(tempfile.mkdtemp(prefix="segmock-bench-hostile-")),
                    "--work-memory-mb", str(args.work_memory_mb))
    url, n = server.url, args.concurrency
    small, big, huge = png(512, 512), png(4000, 4000), png(7000, 7000)
    tengr_8mb = json.dumps({"imageUrl": "https://example.com/a.png", "method": "text",
                            "textPrompt": "cat " * 2_000_000}).encode()
    rows = []
    try:
        print(f"idle RSS {server.rss() / 2**20:.0f} MiB (arbiter + 2 workers); work budget {args.work_memory_mb} MiB")
        rows.append(measure(server, "baseline: cutout 512x512", lambda: edit(url, small)))
        rows.append(measure(server, f"baseline: cutout 512x512, {n} at once", lambda: edit(url, small), n))
        rows.append(measure(server, f"7000x7000 PNG ({len(huge) // 1000} KB)", lambda: edit(url, huge)))
        rows.append(measure(server, f"4000x4000 PNG ({len(big) // 1000} KB), {n} at once", lambda: edit(url, big), n))
        rows.append(measure(server, "outputSize=6000x6000 (the cap)", lambda: edit(url, small, outputSize="6000x6000")))
        rows.append(measure(server, f"outputSize=6000x6000, {n} at once",
                            lambda: edit(url, small, outputSize="6000x6000"), n))
        rows.append(measure(server, "outputSize=10000x10000 (refused)",
                            lambda: edit(url, small, outputSize="10000x10000")))
        rows.append(measure(server, "200 KB segmentation.prompt (refused)",
                            lambda: edit(url, small, **{"segmentation.prompt": "red bottle " * 20_000})))
        rows.append(measure(server, "tengr 8 MB JSON body (refused)", lambda: httpx.post(
            url + "/v2/artworks/segmentation", headers={**BEARER, "Content-Type": "application/json"},
            content=tengr_8mb, timeout=60).status_code))
        rows.append(measure(server, "tengr JSON nested 1000 deep (refused)", lambda: httpx.post(
            url + "/v2/artworks/segmentation", headers={**BEARER, "Content-Type": "application/json"},
            content=b"[" * 1000 + b"]" * 1000, timeout=60).status_code))
        print("server up after:", server.up())
    finally:
        server.stop()
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
