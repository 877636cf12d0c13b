"""Image analysis on the working grid: background model, foreground probability, objects and colour regions.

Everything a prompt or a click needs is computed once per image here; the capabilities then only pick
selections of regions and ask this module to turn a selection into a soft field and a full-size mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .colour import to_lab
from .labels import fill_holes, label, remove_specks
from .resample import as_rgb, blur, downscale, upsample, working_size

_SHADOW_DEPTH = 0.35
_SHADOW_WEIGHT = 0.2
_MIN_THRESHOLD = 28.0
_SPECK_FRACTION = 0.001
_REGION_FRACTION = 0.0008
_MERGE_DELTA_E = 12.0


@dataclass(frozen=True)
class Region:
    """A connected area of one colour (or one object) on the working grid, with what prompts score on."""

    index: int
    mask: np.ndarray
    area: int
    lab: np.ndarray
    centroid: tuple[float, float]
    box: tuple[int, int, int, int]
    solidity: float
    distinct: float
    obj: int

    @property
    def quality(self) -> float:
        """How confidently an automatic segmenter would propose this region, in [0, 1]."""
        size = min(1.0, self.area / (0.01 * self.mask.size))
        return float(np.clip(0.2 + 0.8 * (0.5 * self.distinct + 0.25 * self.solidity + 0.25 * size), 0.0, 1.0))

    @property
    def salience(self) -> float:
        """Big, central, contrasting regions are what a product cutout keeps first."""
        cx, cy = self.centroid
        central = 1.0 - min(1.0, 2.0 * float(np.hypot(cx - 0.5, cy - 0.5)))
        size = float(np.sqrt(self.area / self.mask.size))
        return size * (0.5 + 0.5 * central) * (0.5 + 0.5 * self.distinct)


def _design(ys: np.ndarray, xs: np.ndarray, h: int, w: int, degree: int) -> np.ndarray:
    u = (xs + 0.5) / w - 0.5
    v = (ys + 0.5) / h - 0.5
    cols = [np.ones_like(u)]
    if degree >= 1:
        cols += [u, v]
    if degree >= 2:
        cols += [u * u, v * v, u * v]
    return np.stack(cols, axis=1)


def _background_model(img: np.ndarray) -> tuple[np.ndarray, float]:
    """Predict the background colour everywhere from the border band; return it and the border noise level.

    A quadratic surface follows gradients and vignetting; Tukey reweighting ignores objects that touch the
    border, starting from the per-channel median so they cannot drag the first fit.
    """
    h, w, _ = img.shape
    band = max(1, round(0.03 * min(h, w)))
    ring = np.zeros((h, w), dtype=bool)
    ring[:band] = ring[-band:] = True
    ring[:, :band] = ring[:, -band:] = True
    ys, xs = np.nonzero(ring)
    colours = img[ys, xs].astype(np.float64)
    degree = 2 if ys.size >= 60 else 0
    design = _design(ys.astype(np.float64), xs.astype(np.float64), h, w, degree)
    pred = np.broadcast_to(np.median(colours, axis=0), colours.shape)
    coef = np.zeros((design.shape[1], 3))
    coef[0] = np.median(colours, axis=0)
    for _ in range(5):
        resid = np.linalg.norm(colours - pred, axis=1)
        scale = max(1.4826 * float(np.median(resid)), 1.0)
        t = resid / (4.685 * scale)
        weights = np.where(t < 1.0, (1.0 - t * t) ** 2, 0.0)
        if weights.sum() < design.shape[1]:
            break
        weighted = design * weights[:, None]
        coef = np.linalg.solve(weighted.T @ design + 1e-6 * np.eye(design.shape[1]), weighted.T @ colours)
        pred = design @ coef
    resid = np.linalg.norm(colours - pred, axis=1)
    inliers = resid <= max(3.0 * float(np.median(resid)), 1e-6)
    noise = float(np.median(resid[inliers])) if inliers.any() else 0.0
    gy, gx = np.mgrid[0:h, 0:w]
    full = _design(gy.reshape(-1).astype(np.float64), gx.reshape(-1).astype(np.float64), h, w, degree) @ coef
    return full.reshape(h, w, 3).astype(np.float32), noise


def _distance(img: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Colour distance from the background model that forgives soft shadows.

    A shadow darkens the background without changing its hue, so darkening up to `_SHADOW_DEPTH` counts
    only at `_SHADOW_WEIGHT`; hue changes and brightening count fully.
    """
    base = bg + 8.0
    norm = np.sqrt(np.sum(base * base, axis=2))
    ratio = np.sum((img + 8.0) * base, axis=2) / (norm * norm)
    chroma = np.sqrt(np.sum((img + 8.0 - ratio[..., None] * base) ** 2, axis=2))
    dark = np.maximum(0.0, 1.0 - ratio)
    dark_eff = (_SHADOW_WEIGHT * np.minimum(dark, _SHADOW_DEPTH) + np.maximum(0.0, dark - _SHADOW_DEPTH)) * norm
    bright = np.maximum(0.0, ratio - 1.0) * norm
    return np.sqrt(chroma * chroma + dark_eff * dark_eff + bright * bright)


def _adjacent_pairs(labels: np.ndarray) -> np.ndarray:
    """Unique (a, b) pairs, a < b, of different non-zero labels touching horizontally or vertically."""
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        sel = (a != b) & (a > 0) & (b > 0)
        pairs.append(np.stack([np.minimum(a[sel], b[sel]), np.maximum(a[sel], b[sel])], axis=1))
    allp = np.concatenate(pairs)
    return np.unique(allp, axis=0) if allp.size else allp.reshape(0, 2)


def _mean_lab(labels: np.ndarray, n: int, lab: np.ndarray) -> np.ndarray:
    flat = labels.reshape(-1)
    counts = np.maximum(np.bincount(flat, minlength=n + 1), 1).astype(np.float64)
    return np.stack([np.bincount(flat, lab[..., c].reshape(-1), minlength=n + 1) / counts for c in range(3)], 1)


def _grow(labels: np.ndarray, allowed: np.ndarray, lab: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Give unlabelled allowed pixels the neighbouring label whose mean colour is closest, until stable."""
    labels = labels.copy()
    h, w = labels.shape
    for _ in range(h + w):
        todo = allowed & (labels == 0)
        if not todo.any():
            break
        best = np.zeros_like(labels)
        best_d = np.full(labels.shape, np.inf, dtype=np.float32)
        padded = np.pad(labels, 1)
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            cand = padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
            d = np.linalg.norm(lab - means[cand].astype(np.float32), axis=2)
            better = todo & (cand > 0) & (d < best_d)
            best = np.where(better, cand, best)
            best_d = np.where(better, d, best_d)
        if not (best > 0).any():
            break
        labels = np.where(best > 0, best, labels)
    return labels


def _merge_similar(labels: np.ndarray, n: int, lab: np.ndarray) -> np.ndarray:
    """Union touching regions whose mean colours are within `_MERGE_DELTA_E` (one object split by an edge)."""
    means = _mean_lab(labels, n, lab)
    parent = np.arange(n + 1)
    for a, b in _adjacent_pairs(labels).tolist():
        if np.linalg.norm(means[a] - means[b]) < _MERGE_DELTA_E:
            ra, rb = a, b
            while parent[ra] != ra:
                ra = parent[ra]
            while parent[rb] != rb:
                rb = parent[rb]
            parent[max(ra, rb)] = min(ra, rb)
    for i in range(n + 1):
        r = i
        while parent[r] != r:
            r = parent[r]
        parent[i] = r
    return parent[labels]


class Analysis:
    """Everything the capabilities need about one image, computed once on the working grid."""

    def __init__(self, image: np.ndarray, cap: int) -> None:
        rgb = as_rgb(image)
        self.full_size: tuple[int, int] = (rgb.shape[0], rgb.shape[1])
        self.work_size = working_size(*self.full_size, cap)
        small = downscale(rgb, self.work_size)
        img = np.stack([blur(small[..., c], 0.7) for c in range(3)], axis=2)
        bg, noise = _background_model(img)
        dist = _distance(img, bg)
        self.threshold = max(5.0 * noise, _MIN_THRESHOLD)
        prob = blur(1.0 / (1.0 + np.exp(-(dist - self.threshold) / (0.25 * self.threshold))), 1.0)
        n_px = prob.size
        raw = prob >= 0.5
        fg = fill_holes(remove_specks(raw, max(4, round(_SPECK_FRACTION * n_px))))
        self.fg = fg
        self.salient_field = np.where(raw == fg, prob, blur(fg.astype(np.float32), 1.0)).astype(np.float32)
        self.contrast = float(np.median(dist[fg]) / self.threshold) if fg.any() else 0.0
        self._img, self._bg = img, bg

    # Colour and region analysis is only needed by prompts, clicks and automatic mode, not by the plain
    # cutout, so it is computed on first use.
    @cached_property
    def lab(self) -> np.ndarray:
        return to_lab(self._img)

    @cached_property
    def bg_lab(self) -> np.ndarray:
        return to_lab(self._bg)

    @cached_property
    def object_labels(self) -> np.ndarray:
        return label(self.fg, 8)[0]

    @cached_property
    def objects(self) -> list[Region]:
        labels = self.object_labels
        return self._regions(labels, int(labels.max()))

    @cached_property
    def regions(self) -> list[Region]:
        return self._regions(*self._colour_regions())

    def _colour_regions(self) -> tuple[np.ndarray, int]:
        """Split the foreground at colour edges, grow regions back over the edges, merge look-alikes."""
        lab, fg = self.lab, self.fg
        gy, gx = np.gradient(lab, axis=(0, 1)) if min(lab.shape[:2]) > 1 else (lab * 0, lab * 0)
        grad = np.sqrt(np.sum(gx * gx + gy * gy, axis=2))
        bg_grad = grad[~fg]
        edge = max(6.0, 4.0 * float(np.median(bg_grad))) if bg_grad.size else 6.0
        interior, n = label(fg & (grad < edge), 4)
        if n:
            areas = np.bincount(interior.reshape(-1), minlength=n + 1)
            small = areas < max(6, round(_REGION_FRACTION * fg.size))
            small[0] = True
            interior = np.where(small[interior], 0, interior)
        grown = _grow(interior, fg, lab, _mean_lab(interior, n, lab))
        orphans, n_orphans = label(fg & (grown == 0), 4)
        grown = np.where(orphans > 0, orphans + n, grown)
        merged = _merge_similar(grown, n + n_orphans, lab)
        return label_compact(merged)

    def _regions(self, labels: np.ndarray, n: int) -> list[Region]:
        """Describe labelled areas, ordered by area descending then top-left position (a stable order)."""
        h, w = labels.shape
        flat = labels.reshape(-1)
        areas = np.bincount(flat, minlength=n + 1)
        means = _mean_lab(labels, n, self.lab)
        bg_means = _mean_lab(labels, n, self.bg_lab)
        found = []
        for i in range(1, n + 1):
            mask = labels == i
            ys, xs = np.nonzero(mask)
            if ys.size == 0:
                continue
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            box_area = (box[2] - box[0]) * (box[3] - box[1])
            found.append(
                Region(
                    index=0,
                    mask=mask,
                    area=int(areas[i]),
                    lab=means[i],
                    centroid=(float((xs.mean() + 0.5) / w), float((ys.mean() + 0.5) / h)),
                    box=box,
                    solidity=float(areas[i] / box_area),
                    distinct=float(min(1.0, np.linalg.norm(means[i] - bg_means[i]) / 60.0)),
                    obj=int(self.object_labels[ys[0], xs[0]]),
                )
            )
        found.sort(key=lambda r: (-r.area, r.box[1], r.box[0]))
        return [
            Region(r.index + k, r.mask, r.area, r.lab, r.centroid, r.box, r.solidity, r.distinct, r.obj)
            for k, r in enumerate(found)
        ]

    @property
    def scale(self) -> float:
        return max(self.full_size[0] / self.work_size[0], self.full_size[1] / self.work_size[1])

    def field_for(self, selection: np.ndarray) -> np.ndarray:
        """Soft field (0.5 = edge) of a working-grid selection.

        Where the selection meets the background its edge follows the sub-pixel foreground probability;
        where it meets other regions, the label boundary.
        """
        fg = self.fg
        fields = []
        for part, inside, sal in ((selection & fg, fg, self.salient_field), (selection & ~fg, ~fg, None)):
            if not part.any():
                continue
            grown = _dilate4(part)
            edge = 1.0 - blur((inside & ~part).astype(np.float32), 0.7)
            f = np.minimum(blur(grown.astype(np.float32), 0.7), edge)
            f = np.minimum(f, sal if sal is not None else 1.0 - self.salient_field)
            fields.append(np.where(part, np.maximum(f, 0.5), f))
        if not fields:
            return np.zeros(self.work_size, dtype=np.float32)
        return np.maximum.reduce(fields).astype(np.float32)

    def render(self, field: np.ndarray, soft: bool = False) -> np.ndarray:
        """Full-resolution mask (bool) or alpha (uint8, when `soft`) of a working-grid field."""
        return upsample(field, self.full_size, soft)


def _dilate4(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def label_compact(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber arbitrary non-negative labels to 1..n in order of first appearance, 0 kept."""
    flat = labels.reshape(-1)
    ids, first = np.unique(flat, return_index=True)
    keep = ids > 0
    order = np.argsort(first[keep], kind="stable")
    lut = np.zeros(int(ids.max()) + 1 if ids.size else 1, dtype=np.int32)
    lut[ids[keep][order]] = np.arange(1, order.size + 1, dtype=np.int32)
    return lut[labels], int(order.size)
