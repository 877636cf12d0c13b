"""The reference segmenter on real photographs (tests/data/photos) beside the synthetic scenes, with a baseline.

Run: python benchmarks/bench_segmenter_photos.py [--baseline REV] [--segmenter module:factory] [--runs N]

Per capability and provider: mean IoU against the rough hand-drawn ground truth (on the tuning split, the
validation split that was measured while tuning, the holdout split measured once after it, and all), empty
answers on photos that have an object, whole-frame answers, clicks answered off the object (background), and
the CPU ms per megapixel (median over photos of each photo's median over --runs runs). The baseline is the
segmenter package as it was at git revision REV (default: the one before the real-photo work), loaded from
git into a temporary folder and measured in the same runs on the same machine, run for run in turn with the
current one.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from mockserver.segmenter import ReferenceSegmenter, combine, load_segmenter, scenes
from mockserver.segmenter.photoset import Score, evaluate, iou, load_cases

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "tests" / "data" / "photos"
# The last revision before the real-photo work (a5ac32b is its first commit): the honest floor for latency.
BASELINE_REV = "0d66c69"


def baseline_segmenter(rev: str, folder: Path) -> object | None:
    """``ReferenceSegmenter`` of the package at ``rev`` (imported as ``baseline_segmenter``), or None."""
    package = folder / "baseline_segmenter"
    package.mkdir()
    try:
        names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{rev}:mockserver/segmenter"],
                               check=True, capture_output=True, text=True).stdout.split()
        for name in names:
            if name.endswith(".py"):
                source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:mockserver/segmenter/{name}"],
                                        check=True, capture_output=True, text=True).stdout
                (package / name).write_text(source)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"no baseline ({exc})")
        return None
    sys.path.insert(0, str(folder))
    return importlib.import_module("baseline_segmenter").ReferenceSegmenter()


def synthetic(seg: object) -> dict[str, float]:
    """Mean IoU on the standard synthetic scenes: cutout, colour prompts, clicks (as bench_segmenter_quality)."""
    out: dict[str, list[float]] = defaultdict(list)
    for scene in scenes.standard_scenes():
        shape = scene.image.shape[:2]
        out["cutout"].append(iou(seg.salient(scene.image).mask, scene.foreground_mask))
        for obj in scene.objects:
            found = [d for d in seg.text(scene.image, obj.colour_name) if d.score >= 0.5]
            out["colour"].append(iou(combine(found, shape), obj.mask))
            best = max(seg.points(scene.image, [obj.centroid]), key=lambda d: d.score)
            out["click"].append(iou(best.mask, obj.mask))
    return {k: float(np.mean(v)) for k, v in out.items()}


SPLITS = ("tune", "validation", "holdout")


def table(runs: list[list[Score]]) -> dict[tuple[str, str], dict[str, float]]:
    """Aggregates per (capability, provider) over photos that have an object.

    IoU and counts come from the first run (answers are deterministic); ms/MP is the median over photos of
    each photo's median CPU time per megapixel over the runs.
    """
    groups: dict[tuple[str, str], list[Score]] = defaultdict(list)
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for k, scores in enumerate(runs):
        for s in scores:
            if k == 0:
                groups[(s.capability, s.provider)].append(s)
            times[(s.capability, s.provider, s.case)].append(s.ms_per_mp)
    rows = {}
    for key, group in groups.items():
        def mean(split: str | None, group: list[Score] = group) -> float:
            values = [s.iou for s in group if split is None or s.split == split]
            return float(np.mean(values)) if values else float("nan")

        rows[key] = {
            **{split: mean(split) for split in SPLITS}, "all": mean(None),
            "empty": sum(s.empty for s in group), "whole": sum(s.whole_frame for s in group),
            "off": sum(s.off_target for s in group), "n": len(group),
            "ms": float(np.median([np.median(times[(*key, s.case)]) for s in group])),
        }
    return rows


def report(name: str, seg: object, runs: list[list[Score]]) -> dict[tuple[str, str], dict[str, float]]:
    cases = load_cases(PHOTOS)
    with_object = [c for c in cases if c.has_object]
    rows = table(runs)
    counts = ", ".join(f"{sum(c.split == split for c in with_object)} {split}" for split in SPLITS)
    print(f"\n== {name}: {len(with_object)} photos with an object ({counts}); ms/MP: median over photos of the "
          f"median CPU time over {len(runs)} run(s)")
    print(f"{'capability':10} {'provider':10} {'tune':>6} {'valid':>6} {'hold':>6} {'all':>6} {'empty':>6}"
          f" {'whole':>6} {'off':>4} {'n':>3} {'ms/MP':>7}")
    for (capability, provider), r in rows.items():
        print(f"{capability:10} {provider:10} {r['tune']:6.3f} {r['validation']:6.3f} {r['holdout']:6.3f}"
              f" {r['all']:6.3f} {r['empty']:6d} {r['whole']:6d} {r['off']:4d} {r['n']:3d} {r['ms']:7.1f}")
    for control in (c for c in cases if not c.has_object):
        cut = seg.salient(control.image).mask.mean()
        regions = len(seg.everything(control.image))
        print(f"control {control.name}: cutout covers {cut:.0%} of the frame; SAM 2 masks: {regions}")
    synth = synthetic(seg)
    print("synthetic scenes: " + ", ".join(f"{k} {v:.3f}" for k, v in synth.items()))
    return rows


def measure(segmenters: list[object], runs: int) -> list[list[list[Score]]]:
    """Every segmenter on the photos with an object, ``runs`` times, the segmenters alternating run by run (so
    a change in the machine's load falls on both)."""
    with_object = [c for c in load_cases(PHOTOS) if c.has_object]
    for seg in segmenters:
        evaluate(seg, with_object[:1])  # warm-up (imports, caches)
    out: list[list[list[Score]]] = [[] for _ in segmenters]
    for _ in range(runs):
        for k, seg in enumerate(segmenters):
            out[k].append(evaluate(seg, with_object))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the baseline ('' for none)")
    parser.add_argument("--segmenter", default="", help="module:factory to score instead of the reference")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of every photo (the median is kept)")
    args = parser.parse_args()
    current = load_segmenter(args.segmenter) if args.segmenter else ReferenceSegmenter()
    with tempfile.TemporaryDirectory() as folder:
        baseline = baseline_segmenter(args.baseline, Path(folder)) if args.baseline else None
        segmenters = [current] if baseline is None else [current, baseline]
        runs = measure(segmenters, max(1, args.runs))
        rows = report(args.segmenter or "current reference segmenter", current, runs[0])
        if baseline is None:
            return
        before = report(f"baseline (git {args.baseline})", baseline, runs[1])
    print("\n== change (current - baseline): mean IoU over all photos; CPU ms/MP and its ratio (aim: <= 1.5x)")
    for key, r in rows.items():
        if key in before:
            b = before[key]
            print(f"{key[0]:10} {key[1]:10} IoU {b['all']:.3f} -> {r['all']:.3f}   "
                  f"ms/MP {b['ms']:.1f} -> {r['ms']:.1f} ({r['ms'] / max(b['ms'], 1e-9):.2f}x)")


if __name__ == "__main__":
    main()
