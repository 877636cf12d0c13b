"""The background model: a robust quadratic colour surface fitted to the border band, and the distance of
every pixel from it that the foreground probability is built on.

The surface is kept as its coefficients and rebuilt one channel (or a set of pixels) at a time, which is
cheap because it is separable; no full-grid design matrix, BLAS or LAPACK is involved, so results are
the same on every machine.
"""

from __future__ import annotations

import functools

import numpy as np

_SHADOW_DEPTH = 0.35
_SHADOW_WEIGHT = 0.2
# The reweighting round after which a fit may stop early (see ``fit``).
_EARLY_STOP = 2
# A fit whose coefficients moved less than this in a round (in 0..255 colour levels) has converged.
_CONVERGED = 0.01

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
        pivot, pivot_rhs = m[k], rhs[k]
        for i in range(k + 1, n):
            row = m[i]
            f = row[k] / pivot[k]
            for j in range(k, n):
                row[j] -= f * pivot[j]
            rhs[i] = [ri - f * rk for ri, rk in zip(rhs[i], pivot_rhs)]
    x = [[0.0] * len(rhs[0]) for _ in range(n)]
    for k in range(n - 1, -1, -1):
        for c in range(len(rhs[0])):
            acc = rhs[k][c]
            for j in range(k + 1, n):  # explicit loop: builtin sum() rounds differently from Python 3.12
                acc -= m[k][j] * x[j][c]
            x[k][c] = acc / m[k][k]
    return np.array(x)


def _weighted_sums(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum of each row times `weights` (each row summed alone, pairwise, as ``np.sum`` does)."""
    return np.add.reduce(rows * weights, axis=1)


def _median(values: np.ndarray) -> np.ndarray:
    """``np.median`` along the last axis of finite values, without its generic machinery: the same numbers (the
    middle value, or the two middle values' sum halved)."""
    n = values.shape[-1]
    half = n // 2
    if n % 2:
        return np.partition(values, half, axis=-1)[..., half]
    part = np.partition(values, (half - 1, half), axis=-1)
    return (part[..., half - 1] + part[..., half]) / 2


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
    rows, cols = np.nonzero(ring)
    return rows, cols


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


def _plane(coef: np.ndarray, channel: int, across: np.ndarray, down: np.ndarray, vu: np.ndarray) -> np.ndarray:
    """One channel of the fitted background on the whole grid (h, w) float32, from ``_axes`` and the grid of
    v * u, which are the same for every channel."""
    k5 = np.float32(coef[5, channel]) if coef.shape[0] > 5 else np.float32(0.0)
    out = vu * k5
    out += across[channel][None, :]
    out += down[channel][:, None]
    return out


def surface_at(coef: np.ndarray, ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> np.ndarray:
    """The fitted background at some pixels, (3, m) float32, with the same arithmetic as `_plane`."""
    across, down, u, v = _axes(coef, h, w)
    k5 = (coef[5] if coef.shape[0] > 5 else np.zeros(3)).astype(np.float32)
    out = (v[ys] * u[xs])[None, :] * k5[:, None]
    out += across[:, xs]
    out += down[:, ys]
    return out


@functools.lru_cache(maxsize=8)
def _design(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The border band's pixels and the surface's monomials there, per grid size (cached, read-only).

    Every product of two terms is a monomial; summing the weighted monomials once per iteration gives the
    whole normal matrix (15 sums instead of 36 for the quadratic). Returns the band's flat pixel indices, the
    monomials
    (m, n), the surface's own terms (k, n), where each normal-matrix entry's monomial is, and the rows of the
    surface's own terms among the monomials.
    """
    ys, xs = _ring(h, w)
    terms = _TERMS[2 if ys.size >= 60 else 0]
    u = (xs + 0.5) / w - 0.5
    v = (ys + 0.5) / h - 0.5
    products = sorted({(a1 + a2, b1 + b2) for a1, b1 in terms for a2, b2 in terms})
    monomials = np.empty((len(products), ys.size))
    # Powers by repeated products: exact IEEE multiplications on every machine (numpy's pow for exponents
    # above 2 may be a vectorised library routine that rounds differently per CPU), and far cheaper.
    top = max(max(p) for p in products)
    us, vs = [np.ones_like(u)], [np.ones_like(v)]
    for _ in range(top):
        us.append(us[-1] * u)
        vs.append(vs[-1] * v)
    for row, (a, b) in zip(monomials, products):
        np.multiply(us[a], vs[b], out=row)
    where = np.array([[products.index((a1 + a2, b1 + b2)) for a2, b2 in terms] for a1, b1 in terms])
    design = [products.index(t) for t in terms]
    ring = ys * w + xs
    own = np.ascontiguousarray(monomials[design])
    for array in (ring, monomials, own, where):
        array.flags.writeable = False
    return ring, monomials, own, where, design


def fit(img: np.ndarray, busy: float = np.inf) -> tuple[np.ndarray, float]:
    """Fit the background colour from the border band; return the surface's coefficients (k, 3) and the noise.

    A quadratic surface follows gradients and vignetting; Tukey reweighting ignores objects that touch the
    border, starting from the per-channel median so they cannot drag the first fit. Once the noise is at
    least ``busy`` after two reweighting rounds (a photo's textured border, far past any flat backdrop's),
    the fit stops there: nothing downstream reads that surface's fine shape. A round that moves no coefficient by
    ``_CONVERGED`` ends it too: the surface then changes by less than a hundredth of a level.
    """
    _, h, w = img.shape
    ring, monomials, terms, where, design = _design(h, w)
    colours = img.reshape(3, -1).take(ring, axis=1).astype(np.float64)  # take: the same gather, a quarter of the time
    k = len(design)
    coef = np.zeros((k, 3))
    coef[0] = _median(colours)
    pred = np.broadcast_to(coef[0][:, None], colours.shape)
    ridge = 1e-6 * np.eye(k)
    for step in range(5):
        resid = _residuals(colours, pred)
        middle = float(_median(resid))
        if step == _EARLY_STOP and _inlier_noise(resid, middle) >= busy:
            break
        scale = max(1.4826 * middle, 1.0)
        t = resid / (4.685 * scale)
        weights = np.where(t < 1.0, (1.0 - t * t) ** 2, 0.0)
        if weights.sum() < k:
            break
        normal = _weighted_sums(monomials, weights)[where] + ridge
        weighted = weights * colours
        rhs = np.stack([_weighted_sums(terms, weighted[c]) for c in range(3)], axis=1)
        previous, coef = coef, _solve(normal, rhs)
        pred = _predict(coef, monomials, design)
        if float(np.abs(coef - previous).max()) < _CONVERGED:
            break
    return coef, _noise(colours, pred)


def _noise(colours: np.ndarray, pred: np.ndarray) -> float:
    """The border's colour noise around a fit: the median residual of its inliers."""
    resid = _residuals(colours, pred)
    return _inlier_noise(resid, float(_median(resid)))


def _inlier_noise(resid: np.ndarray, middle: float) -> float:
    """The median of the residuals within three times their median (``middle``)."""
    inliers = resid <= max(3.0 * middle, 1e-6)
    return float(_median(resid[inliers])) if inliers.any() else 0.0


def _residuals(colours: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Colour distance (n,) of each fitted pixel from the surface, channel squares added in order."""
    diff = colours - pred
    diff *= diff
    resid = diff[0] + diff[1]
    resid += diff[2]
    return np.sqrt(resid, out=resid)


def distance(img: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Colour distance from the background model that forgives soft shadows (planes in, one plane out).

    A shadow darkens the background without changing its hue, so darkening up to `_SHADOW_DEPTH` counts
    only at `_SHADOW_WEIGHT`; hue changes and brightening count fully. Each channel's background is built once
    and kept for the residual (six working-grid planes: the grid is capped, so they are small).
    """
    _, h, w = img.shape
    eight = np.float32(8.0)
    pixels, bases = [], []
    norm2 = np.zeros((h, w), dtype=np.float32)
    dot = np.zeros((h, w), dtype=np.float32)
    across, down, u, v = _axes(coef, h, w)  # the surface's parts, built once for the three channels
    vu = v[:, None] * u[None, :]
    for c in range(3):
        base = _plane(coef, c, across, down, vu)
        base += eight
        pix = img[c] + eight
        dot += pix * base
        norm2 += base * base
        pixels.append(pix)
        bases.append(base)
    ratio = dot / norm2
    chroma2 = dot
    chroma2.fill(0.0)
    for pix, base in zip(pixels, bases):
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
