"""The reference segmenter on real photographs (tests/data/photos) beside the synthetic scenes, with a baseline.

Run: python benchmarks/bench_segmenter_photos.py [--baseline REV] [--segmenter module:factory]

Per capability and provider: mean IoU against the rough hand-drawn ground truth (on the tuning split, the
validation split that was not tuned on, and both), empty answers on photos that have an object, whole-frame
answers, clicks answered off the object (background), and the median ms per megapixel. The baseline is the
segmenter package as it was at git revision REV (default: the one before the real-photo work), loaded from
git into a temporary folder and measured in the same run on the same machine.
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


def table(scores: list[Score]) -> dict[tuple[str, str], dict[str, float]]:
    """Aggregates per (capability, provider) over photos that have an object."""
    groups: dict[tuple[str, str], list[Score]] = defaultdict(list)
    for s in scores:
        groups[(s.capability, s.provider)].append(s)
    rows = {}
    for key, group in groups.items():
        def mean(split: str | None, group: list[Score] = group) -> float:
            values = [s.iou for s in group if split is None or s.split == split]
            return float(np.mean(values)) if values else float("nan")

        rows[key] = {
            "tune": mean("tune"), "validation": mean("validation"), "all": mean(None),
            "empty": sum(s.empty for s in group), "whole": sum(s.whole_frame for s in group),
            "off": sum(s.off_target for s in group), "n": len(group),
            "ms": float(np.median([s.ms_per_mp for s in group])),
        }
    return rows


def report(name: str, seg: object) -> dict[tuple[str, str], dict[str, float]]:
    cases = load_cases(PHOTOS)
    with_object = [c for c in cases if c.has_object]
    evaluate(seg, with_object[:1])  # warm-up (imports, caches)
    rows = table(evaluate(seg, with_object))
    print(f"\n== {name}: {len(with_object)} photos with an object "
          f"({sum(c.split == 'tune' for c in with_object)} tune, {sum(c.split == 'validation' for c in with_object)}"
          " validation)")
    print(f"{'capability':10} {'provider':10} {'tune':>6} {'valid':>6} {'all':>6} {'empty':>6} {'whole':>6}"
          f" {'off':>4} {'n':>3} {'ms/MP':>7}")
    for (capability, provider), r in rows.items():
        print(f"{capability:10} {provider:10} {r['tune']:6.3f} {r['validation']:6.3f} {r['all']:6.3f}"
              f" {r['empty']:6d} {r['whole']:6d} {r['off']:4d} {r['n']:3d} {r['ms']:7.1f}")
    for control in (c for c in cases if not c.has_object):
        cut = seg.salient(control.image).mask.mean()
        regions = len(seg.everything(control.image))
        print(f"control {control.name}: cutout covers {cut:.0%} of the frame; SAM 2 masks: {regions}")
    synth = synthetic(seg)
    print("synthetic scenes: " + ", ".join(f"{k} {v:.3f}" for k, v in synth.items()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the baseline ('' for none)")
    parser.add_argument("--segmenter", default="", help="module:factory to score instead of the reference")
    args = parser.parse_args()
    current = load_segmenter(args.segmenter) if args.segmenter else ReferenceSegmenter()
    rows = report(args.segmenter or "current reference segmenter", current)
    if not args.baseline:
        return
    with tempfile.TemporaryDirectory() as folder:
        baseline = baseline_segmenter(args.baseline, Path(folder))
        if baseline is None:
            return
        before = report(f"baseline (git {args.baseline})", baseline)
    print("\n== change (current - baseline): mean IoU over all photos, latency ratio")
    for key, r in rows.items():
        if key in before:
            b = before[key]
            print(f"{key[0]:10} {key[1]:10} IoU {b['all']:.3f} -> {r['all']:.3f}   "
                  f"ms/MP {b['ms']:.1f} -> {r['ms']:.1f} ({r['ms'] / max(b['ms'], 1e-9):.2f}x)")


if __name__ == "__main__":
    main()
