"""Mean IoU of the reference segmenter per capability over the standard synthetic scenes.

Run: python benchmarks/bench_segmenter_quality.py
"""

from __future__ import annotations

import numpy as np

from contracts.generate import scenes
from mockserver.segmenter import ReferenceSegmenter, combine


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(1, float((a | b).sum()))


def main() -> None:
    seg = ReferenceSegmenter()
    scores: dict[str, list[float]] = {k: [] for k in ("salient", "everything", "colour prompt", "position prompt",
                                                       "points", "negative prompt")}
    for scene in scenes.standard_scenes():
        shape = scene.image.shape[:2]
        scores["salient"].append(iou(seg.salient(scene.image).mask, scene.foreground_mask))
        regions = seg.everything(scene.image)
        for obj in scene.objects:
            scores["everything"].append(max((iou(d.mask, obj.mask) for d in regions), default=0.0))
            found = [d for d in seg.text(scene.image, obj.colour_name) if d.score >= 0.5]
            scores["colour prompt"].append(iou(combine(found, shape), obj.mask))
            best = max(seg.points(scene.image, [obj.centroid]), key=lambda d: d.score)
            scores["points"].append(iou(best.mask, obj.mask))
        if len(scene.objects) >= 2:
            ordered = sorted(scene.objects, key=lambda o: o.centroid[0])
            left = [d for d in seg.text(scene.image, "left") if d.score >= 0.5]
            scores["position prompt"].append(iou(combine(left[:1], shape), ordered[0].mask))
            _keep, drop = scene.objects[0], scene.objects[1]
            rest = [d for d in seg.text(scene.image, "everything", negative=drop.colour_name) if d.score >= 0.5]
            scores["negative prompt"].append(iou(combine(rest, shape), scene.foreground_mask & ~drop.mask))
    print(f"{'capability':18} {'mean IoU':>9} {'min':>6} {'cases':>6}")
    for name, values in scores.items():
        print(f"{name:18} {np.mean(values):9.3f} {np.min(values):6.3f} {len(values):6d}")


if __name__ == "__main__":
    main()
