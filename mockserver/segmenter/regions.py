"""Image analysis on the working grid: background model, foreground probability, objects and colour regions.

Everything a prompt or a click needs is computed once per image here; the capabilities then only pick
selections of regions and ask this module to turn a selection into a soft field and a full-size mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .colour import to_lab_planes
from .labels import fill_holes, label, remove_specks
from .resample import blur, downscale, upsample, validate, working_size

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


# Exponents (a, b) of the background surface's terms u^a v^b, by degree.
_TERMS = {0: ((0, 0),), 2: ((0, 0), (1, 0), (0, 1), (2, 0), (0, 2), (1, 1))}


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a small symmetric positive-definite system by Gaussian elimination in Python floats.

    Not LAPACK, so the result does not depend on which CPU kernels the BLAS build dispatches to (masks
    must be byte-identical across machines); at 6 x 6 plain Python is also faster than numpy calls.
    """
    m = a.astype(np.float64).tolist()
    rhs = b.astype(np.float64).tolist()
    n = len(m)
    for k in range(n):
        for i in range(k + 1, n):
            f = m[i][k] / m[k][k]
            m[i] = [m[i][j] - f * m[k][j] if j >= k else m[i][j] for j in range(n)]
            rhs[i] = [ri - f * rk for ri, rk in zip(rhs[i], rhs[k])]
    x = [[0.0] * len(rhs[0]) for _ in range(n)]
    for k in range(n - 1, -1, -1):
        for c in range(len(rhs[0])):
            acc = rhs[k][c]
            for j in range(k + 1, n):  # explicit loop: builtin sum() rounds differently from Python 3.12
                acc -= m[k][j] * x[j][c]
            x[k][c] = acc / m[k][k]
    return np.array(x)


def _weighted_sums(rows: np.ndarray, select: list[int], weights: np.ndarray) -> np.ndarray:
    """Sum of each selected row times `weights`, a few rows at a time so the products stay small."""
    return np.concatenate([np.sum(rows[select[i : i + 4]] * weights, axis=1) for i in range(0, len(select), 4)])


def _predict(coef: np.ndarray, rows: np.ndarray, select: list[int]) -> np.ndarray:
    """Surface colours (3, n) at the fitted pixels, one term (a selected row) at a time."""
    pred = coef[0][:, None] * rows[select[0]]
    for k in range(1, len(select)):
        pred += coef[k][:, None] * rows[select[k]]
    return pred


def _ring(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every pixel in the border band used to fit the background."""
    band = max(1, round(0.03 * min(h, w)))
    ring = np.zeros((h, w), dtype=bool)
    ring[:band] = ring[-band:] = True
    ring[:, :band] = ring[:, -band:] = True
    return np.nonzero(ring)


def _axes(coef: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-column and per-row parts of the background surface (3, w), (3, h) and u, v, all float32.

    The surface is across(x) + down(y) + k5 * v(y) * u(x), so the whole grid (or any pixels of it) is
    built from these vectors without a design matrix.
    """
    u = (np.arange(w, dtype=np.float64) + 0.5) / w - 0.5
    v = (np.arange(h, dtype=np.float64) + 0.5) / h - 0.5
    k = np.zeros((6, 3))
    k[: coef.shape[0]] = coef
    across = k[0][:, None] + k[1][:, None] * u + k[3][:, None] * u * u
    down = k[2][:, None] * v + k[4][:, None] * v * v
    return across.astype(np.float32), down.astype(np.float32), u.astype(np.float32), v.astype(np.float32)


def _surface_plane(coef: np.ndarray, channel: int, h: int, w: int) -> np.ndarray:
    """One channel of the fitted background on the whole grid (h, w) float32."""
    across, down, u, v = _axes(coef, h, w)
    k5 = np.float32(coef[5, channel]) if coef.shape[0] > 5 else np.float32(0.0)
    out = v[:, None] * u[None, :]
    out *= k5
    out += across[channel][None, :]
    out += down[channel][:, None]
    return out


def _surface_at(coef: np.ndarray, ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> np.ndarray:
    """The fitted background at some pixels, (3, m) float32, with the same arithmetic as `_surface_plane`."""
    across, down, u, v = _axes(coef, h, w)
    k5 = (coef[5] if coef.shape[0] > 5 else np.zeros(3)).astype(np.float32)
    out = (v[ys] * u[xs])[None, :] * k5[:, None]
    out += across[:, xs]
    out += down[:, ys]
    return out


def _background_model(img: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit the background colour from the border band; return the surface's coefficients (k, 3) and the noise.

    A quadratic surface follows gradients and vignetting; Tukey reweighting ignores objects that touch the
    border, starting from the per-channel median so they cannot drag the first fit.
    """
    _, h, w = img.shape
    ys, xs = _ring(h, w)
    colours = img[:, ys, xs].astype(np.float64)
    terms = _TERMS[2 if ys.size >= 60 else 0]
    k, n = len(terms), ys.size
    # Every product of two terms is a monomial; summing the weighted monomials once per iteration gives the
    # whole normal matrix (15 sums instead of 36 for the quadratic).
    u = (xs + 0.5) / w - 0.5
    v = (ys + 0.5) / h - 0.5
    products = sorted({(a1 + a2, b1 + b2) for a1, b1 in terms for a2, b2 in terms})
    monomials = np.empty((len(products), n))
    for row, (a, b) in zip(monomials, products):
        np.multiply(u**a, v**b, out=row)
    where = np.array([[products.index((a1 + a2, b1 + b2)) for a2, b2 in terms] for a1, b1 in terms])
    design = [products.index(t) for t in terms]
    coef = np.zeros((k, 3))
    coef[0] = np.median(colours, axis=1)
    pred = np.broadcast_to(coef[0][:, None], colours.shape)
    for _ in range(5):
        resid = np.sqrt(np.sum((colours - pred) ** 2, axis=0))
        scale = max(1.4826 * float(np.median(resid)), 1.0)
        t = resid / (4.685 * scale)
        weights = np.where(t < 1.0, (1.0 - t * t) ** 2, 0.0)
        if weights.sum() < k:
            break
        normal = _weighted_sums(monomials, list(range(len(products))), weights)[where] + 1e-6 * np.eye(k)
        rhs = np.stack([_weighted_sums(monomials, design, weights * colours[c]) for c in range(3)], axis=1)
        coef = _solve(normal, rhs)
        pred = _predict(coef, monomials, design)
    resid = np.sqrt(np.sum((colours - pred) ** 2, axis=0))
    inliers = resid <= max(3.0 * float(np.median(resid)), 1e-6)
    noise = float(np.median(resid[inliers])) if inliers.any() else 0.0
    return coef, noise


def _distance(img: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Colour distance from the background model that forgives soft shadows (planes in, one plane out).

    A shadow darkens the background without changing its hue, so darkening up to `_SHADOW_DEPTH` counts
    only at `_SHADOW_WEIGHT`; hue changes and brightening count fully. The background is rebuilt one
    channel at a time (twice: projection, then residual) so no 3-plane temporaries are held.
    """
    _, h, w = img.shape
    eight = np.float32(8.0)

    def channel(c: int) -> tuple[np.ndarray, np.ndarray]:
        base = _surface_plane(coef, c, h, w)
        base += eight
        return img[c] + eight, base

    norm2 = np.zeros((h, w), dtype=np.float32)
    dot = np.zeros((h, w), dtype=np.float32)
    for c in range(3):
        pix, base = channel(c)
        dot += pix * base
        base *= base
        norm2 += base
    ratio = dot / norm2
    chroma2 = dot
    chroma2.fill(0.0)
    for c in range(3):
        pix, base = channel(c)
        base *= ratio
        pix -= base
        pix *= pix
        chroma2 += pix
    dark = np.subtract(np.float32(1.0), ratio, out=ratio)
    along = np.minimum(dark, np.float32(_SHADOW_DEPTH))
    along *= np.float32(_SHADOW_WEIGHT)
    excess = np.subtract(dark, np.float32(_SHADOW_DEPTH))
    np.maximum(excess, np.float32(0.0), out=excess)
    along += excess
    np.negative(dark, out=excess)
    np.copyto(along, excess, where=dark <= 0)
    along *= along
    along *= norm2
    along += chroma2
    return np.sqrt(along, out=along)


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
    return np.unique(allp, axis=0) if allp.size else allp.reshape(0, 2)


def _label_means(flat: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """Mean (n + 1, 3) of `values` (3, m) per label in `flat` (m,); 0 where a label has no pixel."""
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
    colours = lab[:, ys, xs].T
    table = means.astype(np.float32)
    for _ in range(h + w):
        if not todo.size:
            break
        best = np.zeros(todo.size, dtype=labels.dtype)
        best_d = np.full(todo.size, np.inf, dtype=np.float32)
        for offset in (-(w + 2), w + 2, -1, 1):
            cand = flat[todo + offset]
            diff = colours - table[cand]
            d = np.sqrt(np.sum(diff * diff, axis=1))
            better = (cand > 0) & (d < best_d)
            best = np.where(better, cand, best)
            best_d = np.where(better, d, best_d)
        got = best > 0
        if not got.any():
            break
        flat[todo[got]] = best[got]
        todo, colours = todo[~got], colours[~got]
    return padded[1:-1, 1:-1].copy()


def _merge_similar(labels: np.ndarray, n: int, lab: np.ndarray) -> np.ndarray:
    """Union touching regions whose mean colours are within `_MERGE_DELTA_E` (one object split by an edge)."""
    means = _mean_lab(labels, n, lab)
    parent = np.arange(n + 1)
    for a, b in _adjacent_pairs(labels).tolist():
        if _length(means[a] - means[b]) < _MERGE_DELTA_E:
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
    return parent.astype(np.int32)[labels]


class Analysis:
    """Everything the capabilities need about one image, computed once on the working grid.

    Colour images live as planes (3, h, w) so per-channel arithmetic runs on contiguous memory.
    """

    def __init__(self, image: np.ndarray, cap: int) -> None:
        pixels = validate(image)
        self.full_size: tuple[int, int] = (pixels.shape[0], pixels.shape[1])
        self.work_size = working_size(*self.full_size, cap)
        img = blur(downscale(pixels, self.work_size), 0.7)
        coef, noise = _background_model(img)
        dist = _distance(img, coef)
        self.threshold = max(5.0 * noise, _MIN_THRESHOLD)
        steep = np.float32(-1.0 / (0.25 * self.threshold))
        prob = blur(1.0 / (1.0 + np.exp((dist - np.float32(self.threshold)) * steep)), 1.0)
        n_px = prob.size
        raw = prob >= 0.5
        fg = fill_holes(remove_specks(raw, max(4, round(_SPECK_FRACTION * n_px))))
        self.fg = fg
        changed = raw != fg
        self.salient_field = np.where(changed, blur(fg.astype(np.float32), 1.0), prob) if changed.any() else prob
        self.contrast = float(np.median(dist[fg]) / self.threshold) if fg.any() else 0.0
        self._img, self._bg_coef = img, coef

    # Colour and region analysis is only needed by prompts, clicks and automatic mode, not by the plain
    # cutout, so it is computed on first use.
    @cached_property
    def lab(self) -> np.ndarray:
        """Lab planes (3, h, w); the RGB planes are dropped once converted (nothing else reads them)."""
        lab = to_lab_planes(self._img, overwrite=True)
        del self._img
        return lab

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

    def _edge_free(self) -> np.ndarray:
        """Foreground pixels whose Lab gradient is below the edge level set by the background's texture."""
        lab, fg = self.lab, self.fg
        grad = np.zeros(fg.shape, dtype=np.float32)
        if min(fg.shape) > 1:
            for plane in lab:
                gy, gx = np.gradient(plane)
                gx *= gx
                gy *= gy
                gx += gy
                grad += gx
        grad = np.sqrt(grad, out=grad)
        bg_grad = grad[~fg]
        edge = max(6.0, 4.0 * float(np.median(bg_grad))) if bg_grad.size else 6.0
        return fg & (grad < edge)

    def _colour_regions(self) -> tuple[np.ndarray, int]:
        """Split the foreground at colour edges, grow regions back over the edges, merge look-alikes.

        Intermediate label grids are released as soon as the next one exists (peak memory).
        """
        lab, fg = self.lab, self.fg
        interior, n = label(self._edge_free(), 4)
        if n:
            areas = np.bincount(interior.reshape(-1), minlength=n + 1)
            small = areas < max(6, round(_REGION_FRACTION * fg.size))
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
        bg_lab = to_lab_planes(_surface_at(self._bg_coef, inside // w, inside % w, h, w))
        bg_means = _label_means(flat[inside], n, bg_lab)
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
                    distinct=float(min(1.0, _length(means[i] - bg_means[i]) / 60.0)),
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
        out: np.ndarray | None = None
        for part, inside, sal in ((selection & fg, fg, self.salient_field), (selection & ~fg, ~fg, None)):
            if not part.any():
                continue
            f = blur(_dilate4(part).astype(np.float32), 0.7)
            edge = blur((inside & ~part).astype(np.float32), 0.7)
            np.subtract(np.float32(1.0), edge, out=edge)
            np.minimum(f, edge, out=f)
            if sal is None:
                np.subtract(np.float32(1.0), self.salient_field, out=edge)
                np.minimum(f, edge, out=f)
            else:
                np.minimum(f, sal, out=f)
            del edge
            np.maximum(f, np.float32(0.5), out=f, where=part)
            out = f if out is None else np.maximum(out, f, out=out)
        return out if out is not None else np.zeros(self.work_size, dtype=np.float32)

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
