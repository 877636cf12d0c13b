"""Image analysis on the working grid: background model, foreground probability, objects and colour regions.

Everything a prompt or a click needs is computed once per image here; the capabilities then only pick
selections of regions and ask this module to turn a selection into a soft field and a full-size mask.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import saliency
from .background import distance, fit, surface_at
from .colour import to_lab_planes
from .labels import fill_holes, label, remove_specks
from .resample import blur, downscale, upsample, validate, working_size

_MIN_THRESHOLD = 28.0
# Above this cut-off (5x the border's colour noise) the border is textured or has several zones: a real scene,
# where the colour surface no longer models the background and saliency (saliency.py) takes over. It also caps
# the cut-off: a photo's noise (94-328 measured) would otherwise swallow whole subjects.
_BUSY_EDGE = 30.0
# A border this many times noisier than the busy level after two fitting rounds stays busy: the fit stops.
_EARLY_BUSY = 3.0
# A click's flood fill: Lab tolerances tried in turn until the area covers at most this share of the frame.
_FLOOD_TOLERANCES = (20.0, 14.0, 10.0, 7.0, 5.0)
_FLOOD_SHARE = 0.35
# On a photo a click's colour region is split on a grid this many times coarser (broad areas, large objects).
_CLICK_STEP = 3
# Colour areas: smallest piece (share of the grid), and the smoothed per-pixel weight an area needs (just
# under a neighbouring name's 0.5) or, to split an area off a huge one, its own names' level.
_PIECE_FRACTION = 0.002
_PIECE_LEVEL = 0.45
_EXACT_LEVEL = 0.75
# "Most of the frame".
_MOST = 0.5
# Background regions SAM 2 proposes on a photo: at least this share of the grid.
_BACKGROUND_REGION = 0.005
_SPECK_FRACTION = 0.001
_REGION_FRACTION = 0.0008
_MERGE_DELTA_E = 12.0
# Past the reach of a selection's soft field (one dilation step and a 0.7-sigma blur of radius 3), doubled.
_FIELD_MARGIN = 8
# A background area holding most of the frame's central fifth is the subject filling the frame when it covers
# at least this share of the grid and (almost) misses one side of the frame: at most this share of that side.
_FILLER_SHARE = 0.25
_FILLER_SIDE = 0.05
# The frame's sides (top, bottom, left, right) as indices: a side's opposite is its index ^ 1.
_SIDES = (np.s_[0], np.s_[-1], np.s_[:, 0], np.s_[:, -1])


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
    core: bool

    @property
    def quality(self) -> float:
        """How confidently an automatic segmenter would propose this region, in [0, 1]."""
        size = min(1.0, self.area / (0.01 * self.mask.size))
        return float(np.clip(0.2 + 0.8 * (0.5 * self.distinct + 0.25 * self.solidity + 0.25 * size), 0.0, 1.0))

    @property
    def has_core(self) -> bool:
        """Whether a 3x3 block fits inside: a sliver without one vanishes when rendered at full resolution."""
        return self.core

    @property
    def salience(self) -> float:
        """Big, central, contrasting regions are what a product cutout keeps first."""
        cx, cy = self.centroid
        central = 1.0 - min(1.0, 2.0 * float(np.hypot(cx - 0.5, cy - 0.5)))
        size = float(np.sqrt(self.area / self.mask.size))
        return size * (0.5 + 0.5 * central) * (0.5 + 0.5 * self.distinct)


def _length(vector: np.ndarray) -> float:
    """Euclidean length of a short vector without BLAS (np.linalg.norm of a 1-D array calls ddot)."""
    return float(np.sqrt(np.sum(vector * vector)))


def _adjacent_pairs(labels: np.ndarray) -> np.ndarray:
    """Unique (a, b) pairs, a < b, of different non-zero labels touching horizontally or vertically."""
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        sel = (a != b) & (a > 0) & (b > 0)
        pairs.append(np.stack([np.minimum(a[sel], b[sel]), np.maximum(a[sel], b[sel])], axis=1))
    allp = np.concatenate(pairs)
    if not allp.size:
        return allp.reshape(0, 2)
    # Sorted unique rows through one integer key per pair (the order np.unique(axis=0) gives, far cheaper).
    span = int(allp.max()) + 1
    keys = np.unique(allp[:, 0].astype(np.int64) * span + allp[:, 1])
    return np.stack([keys // span, keys % span], axis=1).astype(allp.dtype)


def _label_means(flat: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """Mean (n + 1, 3) of `values` (3, m) per label in `flat` (m,); 0 where a label has no pixel."""
    # bincount converts labels to intp on every call, and with weights that is several times its own cost.
    flat = flat.astype(np.intp, copy=False)
    counts = np.maximum(np.bincount(flat, minlength=n + 1), 1).astype(np.float64)
    return np.stack([np.bincount(flat, values[c], minlength=n + 1) / counts for c in range(3)], 1)


def _mean_lab(labels: np.ndarray, n: int, lab: np.ndarray) -> np.ndarray:
    """Mean Lab colour per label of a labelled grid, from Lab planes (3, h, w)."""
    return _label_means(labels.reshape(-1), n, lab.reshape(3, -1))


def _grow(labels: np.ndarray, allowed: np.ndarray, lab: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Give unlabelled allowed pixels the neighbouring label whose mean colour is closest, until stable.

    Only the pixels still to grow are visited (flat indices into a zero-padded copy), so each step costs the
    width of the edge bands, not the grid.
    """
    h, w = labels.shape
    padded = np.zeros((h + 2, w + 2), dtype=labels.dtype)
    padded[1:-1, 1:-1] = labels
    flat = padded.reshape(-1)
    ys, xs = np.nonzero(allowed & (labels == 0))
    todo = (ys + 1) * (w + 2) + xs + 1
    colours = lab[:, ys, xs]
    table = np.ascontiguousarray(means.T, dtype=np.float32)
    offsets = (-(w + 2), w + 2, -1, 1)
    for _ in range(h + w):
        if not todo.size:
            break
        # Only the frontier (pixels with a labelled neighbour) can be labelled this step: the distances are
        # computed for it alone, which is most of the cost on a photo's wide edge bands.
        near = np.zeros(todo.size, dtype=bool)
        for offset in offsets:
            near |= flat[todo + offset] > 0
        if not near.any():
            break
        front, front_colours = todo[near], colours[:, near]
        best = np.zeros(front.size, dtype=labels.dtype)
        best_d = np.full(front.size, np.inf, dtype=np.float32)
        for offset in offsets:
            cand = flat[front + offset]
            diff = front_colours - table[:, cand]
            diff *= diff
            d = diff[0] + diff[1]
            d += diff[2]
            np.sqrt(d, out=d)
            better = (cand > 0) & (d < best_d)
            np.copyto(best, cand, where=better)
            np.copyto(best_d, d, where=better)
        flat[front] = best
        far = ~near
        todo, colours = todo[far], colours[:, far]
    return padded[1:-1, 1:-1].copy()


def _merge_similar(labels: np.ndarray, n: int, lab: np.ndarray) -> np.ndarray:
    """Union touching regions whose mean colours are within `_MERGE_DELTA_E` (one object split by an edge)."""
    means = _mean_lab(labels, n, lab)
    pairs = _adjacent_pairs(labels)
    # Every pair's colour distance at once (the same sums, in the same order, as ``_length`` of each).
    diff = means[pairs[:, 0]] - means[pairs[:, 1]]
    diff *= diff
    close = np.sqrt(diff[:, 0] + diff[:, 1] + diff[:, 2]) < _MERGE_DELTA_E
    parent = list(range(n + 1))
    for a, b in pairs[close].tolist():
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        parent[max(a, b)] = min(a, b)
    for i in range(n + 1):
        parent[i] = parent[parent[i]]
    return np.array(parent, dtype=np.int32)[labels]


class Analysis:
    """Everything the capabilities need about one image, computed once on the working grid.

    Colour images live as planes (3, h, w) so per-channel arithmetic runs on contiguous memory.
    """

    def __init__(self, image: np.ndarray, cap: int) -> None:
        pixels = validate(image)
        self.full_size: tuple[int, int] = (pixels.shape[0], pixels.shape[1])
        self.work_size = working_size(*self.full_size, cap)
        img = blur(downscale(pixels, self.work_size), 0.7)
        coef, noise = fit(img, _EARLY_BUSY * _BUSY_EDGE / 5.0)
        self.noise = noise
        self.threshold = max(5.0 * noise, _MIN_THRESHOLD)
        self.busy = self.threshold > _BUSY_EDGE
        dist: np.ndarray | None = None
        if not self.busy:
            dist = distance(img, coef)
            steep = np.float32(-1.0 / (0.25 * self.threshold))
            prob = blur(1.0 / (1.0 + np.exp((dist - np.float32(self.threshold)) * steep)), 1.0)
            # A "background" that leaves most of the frame to the foreground is a misread photo (a lit panel
            # inside a dark frame, a dark surround around a bright scene), not a product on a backdrop.
            self.busy = int(np.count_nonzero(prob >= 0.5)) > _MOST * prob.size
        # Colour bins (saliency histograms, colour words by pixel) serve the photo path only.
        self.bins: np.ndarray | None = None
        if self.busy:
            self.bins = saliency.colour_bins(img)
            prob = saliency.probability(img, self.bins)
            self.threshold = _BUSY_EDGE
        speck = max(4, round(_SPECK_FRACTION * prob.size))
        raw = prob >= 0.5
        smallest = 0
        if self.busy:
            raw, smallest = saliency.extend(saliency.select(raw), prob)
        filled, background = _with_frame_filler(raw)
        if background is not None and smallest >= speck:
            # No speck to remove and the filler left the pieces alone: its labelling of the background gives
            # the holes (what fill_holes would find, without labelling it again).
            fg = raw | _holes(background)
        else:
            raw = filled
            kept = remove_specks(raw, speck)
            # Without a speck to drop, the filler's labelling of the unchanged background gives the holes.
            fg = raw | _holes(background) if background is not None and np.array_equal(kept, raw) else fill_holes(kept)
            if not fg.any() and int(raw.sum()) >= speck:
                # Only small pieces stand out, together as much as a piece (the pips of white playing cards
                # drawn on white): they are what the image shows, not noise, and an empty cutout is no answer.
                fg = fill_holes(raw)
        self.fg = fg
        self._raw, self._prob = raw, prob
        if not fg.any():
            self.contrast = 0.0
        elif self.busy or dist is None:
            # A photo's cutout is as confident as its foreground stands apart in probability.
            self.contrast = 1.0 + float(prob[fg].mean() - (prob[~fg].mean() if not fg.all() else 0.0))
        else:
            self.contrast = float(np.median(dist[fg]) / self.threshold)
        self._img, self._bg_coef, self._dist = img, coef, dist

    @cached_property
    def salient_field(self) -> np.ndarray:
        """The foreground probability, softened where clean-up changed the foreground (read when rendering)."""
        raw, prob = self._raw, self._prob
        changed = raw != self.fg
        return np.where(changed, blur(self.fg.astype(np.float32), 1.0), prob) if changed.any() else prob

    # Colour and region analysis is only needed by prompts, clicks and automatic mode, not by the plain
    # cutout, so it is computed on first use.
    @cached_property
    def lab(self) -> np.ndarray:
        """Lab planes (3, h, w); the RGB planes are converted in place, except on a photo, where the coarse
        grid of clicks (``_coarse``) is built from them (a grid's worth of memory, bounded by the cap)."""
        if self.busy:
            return to_lab_planes(self._img)
        lab = to_lab_planes(self._img, overwrite=True)
        del self._img
        return lab

    @cached_property
    def _coarse(self) -> tuple[np.ndarray, np.ndarray]:
        """(Lab planes, edge-free foreground) on a grid ``_CLICK_STEP`` times coarser.

        Colour is averaged over each block of the RGB grid and then converted, a block is foreground if any of
        its pixels is, and the edge level is the coarse background's, as ``_edge_free`` sets it on the grid.
        """
        lab = to_lab_planes(_block_mean(self._img))
        return lab, _edge_free_foreground(_gradient(lab), _block_any(self.fg))

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

    @cached_property
    def background_regions(self) -> list[Region]:
        """Colour regions of the background of a photo (what SAM 2 also proposes), the small ones dropped and
        the slivers too (no 3x3 block inside: nothing would be left of them at full resolution)."""
        labels, n = self._colour_regions(~self.fg)
        found = self._regions(labels, n)
        return [r for r in found if r.area >= _BACKGROUND_REGION * labels.size and r.has_core]

    @cached_property
    def _gradient(self) -> np.ndarray:
        """Lab gradient magnitude per pixel (colour edges), shared by every region split of the image."""
        return _gradient(self.lab)

    def _edge_free(self, area: np.ndarray | None = None) -> np.ndarray:
        """Pixels of ``area`` (the foreground by default) whose Lab gradient is below the edge level: set by the
        background's texture for the foreground, by the whole image's for the background."""
        grad = self._gradient
        if area is not None:
            return area & (grad < max(6.0, 4.0 * float(np.median(grad))))
        return _edge_free_foreground(grad, self.fg)

    def _colour_regions(self, area: np.ndarray | None = None, within: np.ndarray | None = None) -> tuple[
            np.ndarray, int]:
        """Split the foreground (or ``area``) at colour edges, grow regions back over the edges, merge
        look-alikes.

        ``within`` (one object of the foreground) limits the work to it and its bounding box: regions never
        cross from one object to another, so its regions are the same as in the whole split. Intermediate
        label grids are released as soon as the next one exists (peak memory).
        """
        lab = self.lab
        fg = self.fg if area is None else area
        free = self._edge_free(area)
        min_size = max(6, round(_REGION_FRACTION * fg.size))
        if within is not None:
            rows = np.flatnonzero(within.any(axis=1))
            cols = np.flatnonzero(within.any(axis=0))
            window = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
            inside = within[window]
            labels, n = self._split(fg[window] & inside, free[window] & inside,
                                    np.ascontiguousarray(lab[(slice(None), *window)]), min_size)
            out = np.zeros(fg.shape, dtype=labels.dtype)
            out[window] = labels
            return out, n
        return self._split(fg, free, lab, min_size)

    @staticmethod
    def _split(fg: np.ndarray, free: np.ndarray, lab: np.ndarray, min_size: int) -> tuple[np.ndarray, int]:
        """``_colour_regions`` on a grid (or window): edge-free interiors of at least ``min_size`` pixels,
        grown over ``fg``, orphans labelled, look-alikes merged."""
        interior, n = label(free, 4)
        if n:
            areas = np.bincount(interior.reshape(-1), minlength=n + 1)
            small = areas < min_size
            small[0] = True
            interior[small[interior]] = 0
        grown = _grow(interior, fg, lab, _mean_lab(interior, n, lab))
        del interior
        orphans, n_orphans = label(fg & (grown == 0), 4)
        lone = orphans > 0
        grown[lone] = orphans[lone] + n
        del orphans, lone
        return label_compact(_merge_similar(grown, n + n_orphans, lab))

    def _regions(self, labels: np.ndarray, n: int) -> list[Region]:
        """Describe labelled areas, ordered by area descending then top-left position (a stable order)."""
        h, w = labels.shape
        flat = labels.reshape(-1)
        areas = np.bincount(flat, minlength=n + 1)
        means = _mean_lab(labels, n, self.lab)
        inside = np.flatnonzero(flat)
        bg_lab = to_lab_planes(surface_at(self._bg_coef, inside // w, inside % w, h, w))
        bg_means = _label_means(flat[inside], n, bg_lab)
        cores = _cores(labels, n)
        # Every label's pixels in raster order (as np.nonzero of its mask gives them) from one stable sort.
        by_label = inside[np.argsort(flat[inside], kind="stable")]
        ends = np.cumsum(areas[1:])
        found = []
        for i in range(1, n + 1):
            if areas[i] == 0:
                continue
            pixels = by_label[ends[i - 1] - areas[i] : ends[i - 1]]
            ys, xs = pixels // w, pixels % w
            mask = labels == i
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
                    distinct=float(min(1.0, _length(means[i] - bg_means[i]) / 60.0)),
                    obj=int(self.object_labels[ys[0], xs[0]]),
                    core=bool(cores[i]),
                )
            )
        found.sort(key=lambda r: (-r.area, r.box[1], r.box[0]))
        return [
            Region(r.index + k, r.mask, r.area, r.lab, r.centroid, r.box, r.solidity, r.distinct, r.obj, r.core)
            for k, r in enumerate(found)
        ]

    def under(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """(colour region, object) of the foreground under a foreground pixel.

        Only the clicked object is split into colour regions (the same regions as ``regions`` holds, without
        describing every region of the image): a click costs the object under it, not the whole scene.
        """
        whole = self.object_labels == self.object_labels[row, col]
        if self.busy:
            return self._coarse_part(row, col, whole), whole
        labels, _ = self._colour_regions(within=whole)
        return labels == labels[row, col], whole

    def _coarse_part(self, row: int, col: int, whole: np.ndarray) -> np.ndarray:
        """The colour region under a click on a photo, split on the coarse grid (``_coarse``) and brought back.

        A photo's colour areas are broad and its objects large, so the split costs a ninth of the grid's and
        the part still follows the object's outline (it is cut from ``whole``) at full grid resolution.
        """
        lab, free = self._coarse
        inside = _block_any(whole)
        rows = np.flatnonzero(inside.any(axis=1))
        cols = np.flatnonzero(inside.any(axis=0))
        window = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
        box = inside[window]
        min_size = max(6, round(_REGION_FRACTION * inside.size))
        labels, _ = self._split(box, free[window] & box, np.ascontiguousarray(lab[(slice(None), *window)]),
                                min_size)
        h, w = self.work_size
        full = _expand(labels)
        y0, x0 = int(rows[0]) * _CLICK_STEP, int(cols[0]) * _CLICK_STEP
        part = np.zeros((h, w), dtype=bool)
        crop = full[: h - y0, : w - x0]
        part[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop == full[row - y0, col - x0]
        return part & whole

    def colour_pieces(self, lut: np.ndarray) -> tuple[list[Region], np.ndarray]:
        """Connected areas of the whole image whose pixels answer a colour word, and each pixel's weight.

        ``lut`` weighs every colour bin (1 the word's own names, 0.5 neighbouring ones); the pixels are named
        one by one, so a shaded apple is still red where a region's average colour would be brown. A backdrop
        (an area over most of the frame, on all four sides) is split where the word's own names are (a white
        ball is not one piece with the grey table it stands on).
        """
        assert self.bins is not None, "colour pieces are for photos (busy borders)"
        weight = lut[self.bins].astype(np.float32)
        smooth = blur(weight, 1.0)
        min_area = max(4, round(_PIECE_FRACTION * weight.size))
        loose, n = label(fill_holes(remove_specks(smooth >= _PIECE_LEVEL, min_area)), 8)
        areas = np.bincount(loose.reshape(-1), minlength=n + 1)
        sides = [np.unique(side) for side in (loose[0], loose[-1], loose[:, 0], loose[:, -1])]
        on_all = functools.reduce(np.intersect1d, sides)
        huge = np.array([k for k in on_all.tolist() if k > 0 and areas[k] > _MOST * loose.size], dtype=np.int64)
        if huge.size:
            spread = np.isin(loose, huge)
            exact = spread & (smooth >= _EXACT_LEVEL)
            loose[spread] = 0
            offset = n
            for part in (remove_specks(exact, min_area), spread & ~exact):
                sub, k = label(part, 8)
                loose[sub > 0] = sub[sub > 0] + offset
                offset += k
            loose, n = label_compact(loose)
        return self._regions(loose, n), weight

    def stands_out(self, row: int, col: int) -> bool:
        """Whether a pixel classed as background is still far from the background model (half the cut-off)."""
        return self._dist is not None and bool(self._dist[row, col] >= 0.5 * self.threshold)

    def flood(self, row: int, col: int) -> np.ndarray:
        """The area of like colour around a pixel (4-connected), as large as it can be without spreading over
        a big share of the frame: the tolerance shrinks until the area fits. On a photo it is found on the
        coarse grid (``_coarse``) and brought back."""
        step = _CLICK_STEP if self.busy else 1
        smooth = self._coarse_smooth if self.busy else self.smooth_lab
        row, col = row // step, col // step
        seed = smooth[:, row, col]
        diff = smooth - seed[:, None, None]
        dist = np.sqrt(np.sum(diff * diff, axis=0))
        found = np.zeros(dist.shape, dtype=bool)
        found[row, col] = True
        for tolerance in _FLOOD_TOLERANCES:
            labels, _ = label(dist < tolerance, 4)
            area = labels == labels[row, col]
            if area.mean() <= _FLOOD_SHARE:
                found = fill_holes(area)
                break
        if step > 1:
            found = _expand(found)[: self.work_size[0], : self.work_size[1]]
        return found

    @cached_property
    def smooth_lab(self) -> np.ndarray:
        """Lab planes blurred once more, so texture does not stop a flood fill."""
        return blur(self.lab, 1.5)

    @cached_property
    def _coarse_smooth(self) -> np.ndarray:
        """The coarse grid's Lab planes blurred as ``smooth_lab`` (the same reach in working-grid pixels)."""
        return blur(self._coarse[0], 1.5 / _CLICK_STEP)

    @property
    def scale(self) -> float:
        return max(self.full_size[0] / self.work_size[0], self.full_size[1] / self.work_size[1])

    def field_for(self, selection: np.ndarray) -> np.ndarray:
        """Soft field (0.5 = edge) of a working-grid selection.

        Where the selection meets the background its edge follows the sub-pixel foreground probability;
        where it meets other regions, the label boundary.
        """
        out = np.zeros(self.work_size, dtype=np.float32)
        rows = np.flatnonzero(selection.any(axis=1))
        if not rows.size:
            return out
        cols = np.flatnonzero(selection.any(axis=0))
        # The field is 0 beyond a few pixels of the selection (dilation and blur reach 4): only a window with
        # a margin past that reach is computed; every value in it is the same as on the whole grid.
        h, w = self.work_size
        window = (slice(max(0, int(rows[0]) - _FIELD_MARGIN), min(h, int(rows[-1]) + 1 + _FIELD_MARGIN)),
                  slice(max(0, int(cols[0]) - _FIELD_MARGIN), min(w, int(cols[-1]) + 1 + _FIELD_MARGIN)))
        out[window] = self._field_in(selection[window], self.fg[window], self.salient_field[window])
        return out

    @staticmethod
    def _field_in(selection: np.ndarray, fg: np.ndarray, salient: np.ndarray) -> np.ndarray:
        """``field_for`` on a window of the grid."""
        out: np.ndarray | None = None
        for part, inside, sal in ((selection & fg, fg, salient), (selection & ~fg, ~fg, None)):
            if not part.any():
                continue
            f = blur(_dilate4(part).astype(np.float32), 0.7)
            edge = blur((inside & ~part).astype(np.float32), 0.7)
            np.subtract(np.float32(1.0), edge, out=edge)
            np.minimum(f, edge, out=f)
            if sal is None:
                np.subtract(np.float32(1.0), salient, out=edge)
                np.minimum(f, edge, out=f)
            else:
                np.minimum(f, sal, out=f)
            del edge
            np.maximum(f, np.float32(0.5), out=f, where=part)
            out = f if out is None else np.maximum(out, f, out=out)
        return out if out is not None else np.zeros(selection.shape, dtype=np.float32)

    def render(self, field: np.ndarray, soft: bool = False) -> np.ndarray:
        """Full-resolution mask (bool) or alpha (uint8, when `soft`) of a working-grid field."""
        return upsample(field, self.full_size, soft)


def _holes(background: np.ndarray) -> np.ndarray:
    """Pixels of 4-connected background pieces (labelled) that do not reach the frame."""
    outside = np.zeros(int(background.max()) + 1, dtype=bool)
    for side in _SIDES:
        outside[background[side]] = True
    return ~outside.take(background)  # take: the same lookup as indexing, in about half the time


def _with_frame_filler(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The foreground plus the subject that fills the frame, if the background model took it for background.

    A product shot close up (a notebook, a box) covers the centre and three sides of the frame, so the
    border's colour is the subject's own. The real backdrop reaches every side; an area read as background
    that holds most of the frame's central fifth (a speck found there does not hide it), is large and (almost)
    misses one side is the subject instead. Returns the foreground and, when it is unchanged, the labelled
    background (4-connected pieces of ``~raw``).
    """
    h, w = raw.shape
    background, n = label(~raw, 4)
    middle = background[2 * h // 5 : h - 2 * h // 5, 2 * w // 5 : w - 2 * w // 5]
    counts = np.bincount(middle.reshape(-1), minlength=n + 1)
    counts[0] = 0
    centre = int(np.argmax(counts))
    if counts[centre] * 2 < middle.size:
        return raw, background
    area = background == centre
    reach = [float(area[side].mean()) for side in _SIDES]
    missed = int(np.argmin(reach))
    if reach[missed] > _FILLER_SIDE or area.mean() < _FILLER_SHARE:
        return raw, background
    # What the background model found along the missed side, short of the opposite one, is the real
    # backdrop (the odd colour out on the frame), not part of the subject.
    pieces, _ = label(raw, 8)
    opposite = missed ^ 1
    backdrop = np.setdiff1d(pieces[_SIDES[missed]], pieces[_SIDES[opposite]])
    return (raw & ~np.isin(pieces, backdrop[backdrop > 0])) | area, None


def _edge_free_foreground(grad: np.ndarray, fg: np.ndarray) -> np.ndarray:
    """Foreground pixels whose gradient is below the edge level the background's texture sets."""
    bg_grad = grad[~fg]
    edge = max(6.0, 4.0 * float(np.median(bg_grad))) if bg_grad.size else 6.0
    return fg & (grad < edge)


def _expand(blocks: np.ndarray) -> np.ndarray:
    """Each cell of a coarse grid repeated over its ``_CLICK_STEP`` x ``_CLICK_STEP`` block (callers crop)."""
    return np.repeat(np.repeat(blocks, _CLICK_STEP, axis=0), _CLICK_STEP, axis=1)


def _gradient(lab: np.ndarray) -> np.ndarray:
    """Lab gradient magnitude (h, w) of Lab planes (3, h, w)."""
    grad = np.zeros(lab.shape[1:], dtype=np.float32)
    if min(lab.shape[1:]) > 1:
        for plane in lab:
            gy, gx = np.gradient(plane)
            gx *= gx
            gy *= gy
            gx += gy
            grad += gx
    return np.sqrt(grad, out=grad)


def _blocks(shape: tuple[int, ...]) -> tuple[int, int]:
    """Size (h, w) of the coarse grid: the last two axes over ``_CLICK_STEP``, rounded up."""
    return -(-shape[-2] // _CLICK_STEP), -(-shape[-1] // _CLICK_STEP)


def _padded(a: np.ndarray) -> np.ndarray:
    """The last two axes edge-padded to whole blocks."""
    h, w = _blocks(a.shape)
    pad = [(0, 0)] * (a.ndim - 2) + [(0, h * _CLICK_STEP - a.shape[-2]), (0, w * _CLICK_STEP - a.shape[-1])]
    return np.pad(a, pad, mode="edge")


def _block_mean(planes: np.ndarray) -> np.ndarray:
    """Mean of each block of float planes (3, h, w), summed in a fixed order (the same on every CPU)."""
    p = _padded(planes)
    k = _CLICK_STEP
    out = p[:, 0::k, 0::k].copy()
    for dy in range(k):
        for dx in range(k):
            if dy or dx:
                out += p[:, dy::k, dx::k]
    out *= np.float32(1.0 / (k * k))
    return out


def _block_any(mask: np.ndarray) -> np.ndarray:
    """Per block, whether any pixel of a mask is set."""
    p = _padded(mask)
    k = _CLICK_STEP
    out = p[0::k, 0::k].copy()
    for dy in range(k):
        for dx in range(k):
            out |= p[dy::k, dx::k]
    return out


def _cores(labels: np.ndarray, n: int) -> np.ndarray:
    """Per label 0..n, whether a whole 3x3 block of its pixels fits inside (every label at once)."""
    h, w = labels.shape
    out = np.zeros(n + 1, dtype=bool)
    if h < 3 or w < 3:
        return out
    centre = labels[1:-1, 1:-1]
    same = centre > 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                same &= labels[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] == centre
    out[centre[same]] = True
    return out


def _dilate4(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def label_compact(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber arbitrary non-negative labels to 1..n in order of first appearance, 0 kept.

    A label first appears where the raster scan changes value, so only those positions are sorted.
    """
    flat = labels.reshape(-1)
    if flat.size == 0:
        return labels.astype(np.int32), 0
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    positions = np.concatenate([[0], starts])
    ids, first = np.unique(flat[positions], return_index=True)
    keep = ids > 0
    order = np.argsort(first[keep], kind="stable")
    lut = np.zeros(int(ids.max()) + 1, dtype=np.int32)
    lut[ids[keep][order]] = np.arange(1, order.size + 1, dtype=np.int32)
    return lut[labels], int(order.size)
