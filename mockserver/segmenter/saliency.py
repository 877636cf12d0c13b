"""Foreground probability for photos whose border is busy (real scenes): saliency, not a background surface.

One smooth colour surface cannot model a background of several zones (wall and floor, sky, lake and trees),
and its noise-based cut-off swallows whole subjects when the border is textured. Here what is walled off from
the frame by contrast is salient (minimum-barrier distance, with a centre prior); a colour is background when
it is common on at least two sides of the frame (an object touching one side does not make its colour
background); and the split is refined GrabCut-style by foreground and background colour histograms.

Colours are quantised to integer bins, every histogram is an integer count and the barrier distance runs on
Lab rounded to whole units, so the decisions rest on exact arithmetic and are the same on every machine.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from .colour import to_lab_planes
from .labels import label
from .resample import blur, working_size

_LEVELS = 16  # per channel: 4096 colour bins
_SHIFT = 4
_ROUNDS = 1  # histogram refinements (a second one measured no better)
_KEEP_SHARE = 0.3  # a foreground piece is kept if at least this salient relative to the best one
_MIX = 0.8  # background colour model: this much the frame's sides, the rest the current background
_MBD_CAP = 48  # longest side of the barrier-distance grid
_SEED_SHARE = 0.2  # a frame pixel seeds barrier paths if its colour is this common relative to the frame's median
_LOW = 0.35  # hysteresis: a kept piece extends over the connected pixels at least this likely foreground


def colour_bins(img: np.ndarray) -> np.ndarray:
    """Bin index (h, w) int64 of float RGB planes (3, h, w) of 0..255, 16 levels per channel."""
    q = np.clip(img, 0.0, 255.0).astype(np.uint8) >> _SHIFT
    return (q[0].astype(np.int64) * _LEVELS + q[1]) * _LEVELS + q[2]


def _smooth(counts: np.ndarray) -> np.ndarray:
    """Integer [1, 2, 1] smoothing of a 16x16x16 histogram along each axis (neighbouring bins share votes)."""
    cube = counts.reshape(_LEVELS, _LEVELS, _LEVELS).astype(np.int64)
    for axis in range(3):
        padded = np.concatenate([np.take(cube, [0], axis), cube, np.take(cube, [-1], axis)], axis=axis)
        n = cube.shape[axis]
        cube = (np.take(padded, range(n), axis) + 2 * np.take(padded, range(1, n + 1), axis)
                + np.take(padded, range(2, n + 2), axis))
    return cube.reshape(-1)


def _histogram(bins: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Smoothed integer histogram of bin indices (integer weights, if given)."""
    return _smooth(np.bincount(bins.reshape(-1), weights=None if weights is None else weights.reshape(-1),
                               minlength=_LEVELS**3).astype(np.int64))


def _frequency(hist: np.ndarray) -> np.ndarray:
    """Counts as shares of their total (exact: one division per bin)."""
    return hist / max(1, int(hist.sum()))


def border_likeness(bins: np.ndarray) -> np.ndarray:
    """Per bin, how common the colour is along the frame: the second-highest frequency over the four sides."""
    h, w = bins.shape
    band = max(2, round(0.04 * min(h, w)))
    sides = [bins[:band], bins[-band:], bins[:, :band], bins[:, -band:]]
    freqs = np.stack([_frequency(_histogram(side)) for side in sides])
    freqs.sort(axis=0)
    return freqs[-2]


@functools.lru_cache(maxsize=8)
def centre_prior(h: int, w: int) -> np.ndarray:
    """1 at the centre falling to about 0.3 at the corners (a subject is usually framed near the middle).

    Cached per grid size (read-only).
    """
    v = (np.arange(h, dtype=np.float32) + 0.5) / h - 0.5
    u = (np.arange(w, dtype=np.float32) + 0.5) / w - 0.5
    prior = 1.0 - 1.4 * (v[:, None] ** 2 + u[None, :] ** 2)
    prior.flags.writeable = False
    return prior


def _band(h: int, w: int) -> np.ndarray:
    """The border band (4% of the shorter side, at least 2 pixels) that side histograms are taken from."""
    band = max(2, round(0.04 * min(h, w)))
    edge = np.zeros((h, w), dtype=bool)
    edge[:band] = edge[-band:] = True
    edge[:, :band] = edge[:, -band:] = True
    return edge


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1], from a 64-bin integer histogram."""
    counts = np.bincount(np.clip((values * 63.0).astype(np.int64), 0, 63).reshape(-1), minlength=64).astype(np.float64)
    levels = (np.arange(64) + 0.5) / 64.0
    weight = np.cumsum(counts)
    total = weight[-1]
    mass = np.cumsum(counts * levels)
    below = weight[:-1]
    above = total - below
    valid = (below > 0) & (above > 0)
    mean_below = mass[:-1] / np.maximum(below, 1.0)
    mean_above = (mass[-1] - mass[:-1]) / np.maximum(above, 1.0)
    between = np.where(valid, below * above * (mean_below - mean_above) ** 2, -1.0)
    return float((np.argmax(between) + 1) / 64.0)


def _seeds(bins: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Frame pixels of a background colour (common on two sides at least): where barrier paths start.

    A subject touching one side has its own colour there, and seeding it would make it background.
    """
    h, w = bins.shape
    frame = np.zeros((h, w), dtype=bool)
    frame[0] = frame[-1] = frame[:, 0] = frame[:, -1] = True
    like = border[bins]
    level = _SEED_SHARE * float(np.median(like[frame]))
    seeds = frame & (like >= level)
    return seeds if seeds.any() else frame


def saliency_map(img: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Saliency (h, w) in [0, 1]: barrier distance to the frame on a small grid, with a centre prior.

    ``border`` is the per-bin border likeness of the full grid (``border_likeness``).
    """
    _, h, w = img.shape
    small_size = working_size(h, w, _MBD_CAP)
    small = np.stack([_resize(p, small_size, Image.Resampling.BOX) for p in img])
    lab = np.rint(to_lab_planes(small.copy(), overwrite=True))
    dist = barrier_distance(lab, _seeds(colour_bins(small), border))
    top = float(np.sort(dist.reshape(-1))[int(0.98 * (dist.size - 1))])
    norm = np.clip(dist / max(top, 1.0), 0.0, 1.0).astype(np.float32)
    full = np.clip(_resize(norm, (h, w), Image.Resampling.BILINEAR), 0.0, 1.0)
    return full * (0.6 + 0.4 * centre_prior(h, w)).astype(np.float32)


def probability(img: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Foreground probability (h, w) float32 of float RGB planes (3, h, w) and their ``colour_bins``.

    The saliency split at Otsu's level gives first foreground and background colour histograms; the
    posterior of each pixel's colour under them, with the saliency as the spatial prior, is the answer.
    """
    _, h, w = img.shape
    border = border_likeness(bins)
    sal = saliency_map(img, border)
    fg = sal >= _otsu(sal)
    prior = np.clip(sal, np.float32(0.05), np.float32(0.95))
    against = 1.0 - prior
    edge = _band(h, w)
    post = sal
    for _ in range(_ROUNDS):
        if not fg.any() or fg.all():
            break
        pf = _frequency(_histogram(bins[fg])).astype(np.float32)[bins]
        pb = (_MIX * border + (1.0 - _MIX) * _frequency(_histogram(bins[~fg & ~edge]))).astype(np.float32)[bins]
        pf *= prior
        pb *= against
        pb += pf
        np.maximum(pb, np.float32(1e-12), out=pb)
        post = blur(pf / pb, 1.0)
        fg = post >= 0.5
    return post


def select(raw: np.ndarray) -> np.ndarray:
    """Keep the salient pieces of a raw foreground: big, central, and not spread along the frame.

    A piece's boundary connectivity (its pixels on the frame's edge over the square root of its area) is low
    for an object, even one touching a side, and high for a background zone that leaked in.
    """
    labels, n = label(raw, 8)
    if n == 0:
        return raw
    h, w = raw.shape
    flat = labels.reshape(-1).astype(np.intp)
    area = np.bincount(flat, minlength=n + 1).astype(np.float64)
    edge = np.zeros((h, w), dtype=bool)
    edge[0] = edge[-1] = True
    edge[:, 0] = edge[:, -1] = True
    contact = np.bincount(labels[edge], minlength=n + 1).astype(np.float64)
    centre = np.bincount(flat, weights=centre_prior(h, w).reshape(-1), minlength=n + 1)
    mean_centre = centre / np.maximum(area, 1.0)
    connectivity = contact / np.sqrt(np.maximum(area, 1.0))
    score = np.sqrt(area / (h * w)) * np.clip(mean_centre, 0.05, 1.0) / (1.0 + connectivity * connectivity)
    score[0] = 0.0
    keep = score >= _KEEP_SHARE * score.max()
    keep[0] = False
    return keep[labels]


def extend(kept: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, int]:
    """The kept foreground extended, hysteresis-style, over the pixels connected to it above a lower level,
    and the area of its smallest piece (so a speck clean-up can be skipped without labelling it again).

    A subject's shaded side or a fringe of fur is less likely foreground than its lit core but joined to it;
    a background zone at that level stays out unless it touches a kept piece. The kept pixels lie in the
    lower level's pieces, so the result is exactly the pieces they touch.
    """
    loose, n = label(prob >= _LOW, 8)
    hit = np.bincount(loose[kept], minlength=n + 1) > 0
    hit[0] = False
    if not hit.any():
        return kept, 0
    areas = np.bincount(loose.reshape(-1).astype(np.intp), minlength=n + 1)
    return hit[loose], int(areas[hit].min())


def _resize(plane: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """A float32 plane resized to (h, w) by Pillow (C arithmetic in a fixed order: the same on every machine)."""
    h, w = size
    return np.asarray(Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), "F").resize((w, h), resample))


def barrier_distance(lab: np.ndarray, seeds: np.ndarray | None = None, passes: int = 2) -> np.ndarray:
    """Minimum-barrier distance (h, w) of every pixel to the frame, summed over Lab channels.

    A path's barrier is the spread (max - min) of the values it crosses; the frame is at 0, so a region with
    any smooth or uniform path to the edge is near 0, and an object walled off by a contrasting outline is
    high, whatever its own colour. Raster passes down, up, right and left, each vectorised along the
    other axis, approximate the exact distance (Zhang et al., FastMBD).
    """
    _, h, w = lab.shape
    if seeds is None:
        seeds = np.zeros((h, w), dtype=bool)
        seeds[0] = seeds[-1] = seeds[:, 0] = seeds[:, -1] = True
    dist = np.full(lab.shape, np.inf, dtype=np.float32)
    dist[:, seeds] = 0.0
    # Layout (rows, 3, columns): every raster step reads and writes one contiguous line of all channels; the
    # column passes run on the transposed layout (columns, 3, rows) with the same code.
    state = [np.ascontiguousarray(np.moveaxis(a, 1, 0)) for a in (lab, lab.copy(), lab.copy(), dist)]
    for _ in range(passes):
        for _axis in range(2):
            value, high, low, best = state
            n = value.shape[0]
            # One set of line buffers for the whole sweep (the steps are many and short: allocation counts).
            up, down, spread = (np.empty(value.shape[1:], dtype=np.float32) for _ in range(3))
            better = np.empty(value.shape[1:], dtype=bool)
            for order in (range(1, n), range(n - 2, -1, -1)):
                step = 1 if order.step > 0 else -1
                for i in order:
                    np.maximum(high[i - step], value[i], out=up)
                    np.minimum(low[i - step], value[i], out=down)
                    np.subtract(up, down, out=spread)
                    np.less(spread, best[i], out=better)
                    np.copyto(best[i], spread, where=better)
                    np.copyto(high[i], up, where=better)
                    np.copyto(low[i], down, where=better)
            state = [np.ascontiguousarray(a.transpose(2, 1, 0)) for a in state]
    return state[3].sum(axis=1)
