"""Reference segmenter speed: ms per megapixel and peak extra memory at 0.25, 1, 4 and 16 MP.

Run: python benchmarks/bench_segmenter_speed.py [--repeat N]. Figures, not assertions: the targets are
16 MP salient < 300 ms, 1 MP < 30 ms, peak extra memory < 3x the decoded image.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from mockserver.segmenter import ReferenceSegmenter, scenes
from mockserver.segmenter.scenes import ObjectSpec

SIZES = {0.25: (577, 433), 1: (1155, 866), 4: (2309, 1732), 16: (4619, 3464)}


def measure(fn, image: np.ndarray, repeat: int) -> tuple[float, float]:
    fn(image)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(image)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn(image)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times) * 1000, peak / image.nbytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seg = ReferenceSegmenter()
    spec = [ObjectSpec("bottle", "red", (0.4, 0.5), (0.25, 0.7)), ObjectSpec("rect", "blue", (0.75, 0.55), (0.2, 0.4))]
    print(f"{'MP':>5} {'op':8} {'ms':>8} {'ms/MP':>8} {'peak/img':>9}")
    for mp, (w, h) in SIZES.items():
        image = scenes.make_scene("packshot", w, h, spec).image
        for name, fn in (("salient", seg.salient), ("text", lambda im: [d.mask for d in seg.text(im, "red")])):
            ms, peak = measure(fn, image, args.repeat)
            print(f"{mp:5} {name:8} {ms:8.1f} {ms / (w * h / 1e6):8.1f} {peak:9.2f}x")


if __name__ == "__main__":
    main()
