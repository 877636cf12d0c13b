"""Reference segmenter speed: ms per megapixel and peak extra memory at 0.25, 1, 4 and 16 MP.

Run: python benchmarks/bench_segmenter_speed.py [--repeat N] [--baseline REV]. Figures, not assertions. The
targets are 16 MP salient < 300 ms, 1 MP < 30 ms, peak extra memory < 3x the decoded image, text in the same
ballpark.

Wall time is the minimum over repeats; on a shared machine it includes waiting for a core, so CPU time (the
process's own, also a minimum) is printed beside it as the figure to compare with the targets when the
load is high. The baseline is the segmenter package at git revision REV (default: the one before the
real-photo work; '' for none), timed in the same run, so the ratio holds under any load. Peak memory is
measured twice: tracemalloc sees numpy's allocations only, the resident-set high-water mark (Linux, reset
through /proc/self/clear_refs) also sees Pillow's.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_segmenter_photos import BASELINE_REV, baseline_segmenter

from contracts.generate import scenes
from contracts.generate.scenes import ObjectSpec
from mockserver.segmenter import ReferenceSegmenter

SIZES = {0.25: (577, 433), 1: (1155, 866), 4: (2309, 1732), 16: (4619, 3464)}
TIME_TARGETS_MS = {1: 30.0, 16: 300.0}
MEMORY_TARGET = 3.0


def measure_time(fn: Callable[[np.ndarray], object], image: np.ndarray, repeat: int) -> tuple[float, float]:
    """(wall ms, CPU ms), each the minimum over `repeat` calls after one warm-up."""
    fn(image)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn(image)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls) * 1000, min(cpus) * 1000


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    raise KeyError(key)


def peak_rss(fn: Callable[[np.ndarray], object], image: np.ndarray) -> float | None:
    """Peak resident-set growth during one call, in bytes (None where /proc cannot reset the high-water mark)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        base = _status_kib("VmRSS")
        fn(image)
        return float(_status_kib("VmHWM") - base) * 1024
    except (OSError, KeyError):
        return None


def peak_traced(fn: Callable[[np.ndarray], object], image: np.ndarray) -> float:
    """Peak bytes allocated through Python's allocator (numpy arrays included) during one call."""
    tracemalloc.start()
    fn(image)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(peak)


def verdict(mp: float, name: str, cpu_ms: float, peak: float) -> str:
    """Which targets this row meets (time on CPU ms; text held to the salient targets, 'same ballpark')."""
    marks = []
    if mp in TIME_TARGETS_MS:
        marks.append(f"<{TIME_TARGETS_MS[mp]:.0f}ms " + ("ok" if cpu_ms < TIME_TARGETS_MS[mp] else "MISS"))
    marks.append(f"<{MEMORY_TARGET:.0f}x " + ("ok" if peak < MEMORY_TARGET else "MISS"))
    return " ".join(marks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the baseline ('' for none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = baseline_segmenter(args.baseline, Path(folder)) if args.baseline else None
        run(args.repeat, base)


def run(repeat: int, base: object | None) -> None:
    seg = ReferenceSegmenter()
    spec = [ObjectSpec("bottle", "red", (0.4, 0.5), (0.25, 0.7)), ObjectSpec("rect", "blue", (0.75, 0.55), (0.2, 0.4))]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'MP':>5} {'op':8} {'wall ms':>8} {'cpu ms':>8} {'ms/MP':>7} {'numpy/img':>9} {'rss/img':>8}  targets"
          + ("   baseline cpu ms, ratio" if base is not None else ""))
    for mp, (w, h) in SIZES.items():
        image = scenes.make_scene("packshot", w, h, spec).image
        for name in ("salient", "text"):
            fn = _op(seg, name)
            wall, cpu = measure_time(fn, image, repeat)
            traced = peak_traced(fn, image) / image.nbytes
            rss = peak_rss(fn, image)
            rss_ratio = rss / image.nbytes if rss is not None else float("nan")
            worst = max(traced, rss_ratio) if rss is not None else traced
            per_mp = cpu / (w * h / 1e6)
            line = (f"{mp:5} {name:8} {wall:8.1f} {cpu:8.1f} {per_mp:7.1f} {traced:8.2f}x {rss_ratio:7.2f}x"
                    f"  {verdict(mp, name, cpu, worst)}")
            if base is not None:
                base_cpu = measure_time(_op(base, name), image, repeat)[1]
                line += f"   {base_cpu:7.1f} {cpu / max(base_cpu, 1e-9):5.2f}x"
            print(line)


def _op(seg: object, name: str) -> Callable[[np.ndarray], object]:
    if name == "salient":
        return seg.salient
    return lambda im: [d.mask for d in seg.text(im, "red")]


if __name__ == "__main__":
    main()
