"""Colour science for prompts: sRGB to CIELAB and the table of colour names a prompt may use.

Names compete through a softmax over Lab distances, so a region's score for "red" is high only when red is
its best name; names that overlap in everyday speech (gray/silver, yellow/gold...) accept each other.
"""

from __future__ import annotations

import functools

import numpy as np

_PROTOTYPES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "red": ((220, 30, 30), (180, 20, 20), (255, 0, 0), (140, 15, 20), (200, 40, 50)),
    "orange": ((255, 140, 0), (240, 120, 30), (230, 100, 20)),
    "yellow": ((250, 220, 30), (255, 255, 0), (240, 230, 80)),
    "green": ((40, 160, 60), (0, 128, 0), (100, 200, 80), (20, 90, 30), (60, 180, 110)),
    "blue": ((30, 80, 220), (0, 0, 255), (60, 120, 200), (40, 60, 170)),
    "purple": ((128, 0, 128), (120, 60, 180), (150, 80, 200), (90, 40, 130)),
    "pink": ((255, 150, 190), (240, 100, 160), (255, 192, 203)),
    "brown": ((120, 70, 30), (150, 90, 50), (90, 55, 30), (110, 80, 60)),
    "black": ((15, 15, 15), (40, 40, 40)),
    "white": ((250, 250, 250), (235, 235, 235)),
    "gray": ((128, 128, 128), (90, 90, 90), (170, 170, 170)),
    "cyan": ((0, 200, 220), (0, 255, 255), (80, 210, 230)),
    "magenta": ((230, 0, 200), (255, 0, 255), (200, 30, 160)),
    "beige": ((225, 205, 165), (245, 235, 210), (210, 190, 150)),
    "navy": ((20, 30, 100), (0, 0, 128), (30, 40, 80)),
    "teal": ((0, 128, 128), (30, 140, 140), (20, 100, 100)),
    "gold": ((212, 175, 55), (200, 160, 40), (230, 190, 70)),
    "silver": ((192, 192, 192), (170, 170, 175), (205, 205, 210)),
}

ALIASES: dict[str, str] = {"grey": "gray", "violet": "purple", "turquoise": "teal", "aqua": "cyan", "tan": "beige"}

_ACCEPTS: dict[str, frozenset[str]] = {
    "gray": frozenset({"gray", "silver"}),
    "silver": frozenset({"silver", "gray", "white"}),
    "yellow": frozenset({"yellow", "gold"}),
    "gold": frozenset({"gold", "yellow"}),
    "blue": frozenset({"blue", "navy"}),
    "navy": frozenset({"navy", "blue"}),
    "cyan": frozenset({"cyan", "teal"}),
    "teal": frozenset({"teal", "cyan"}),
    "pink": frozenset({"pink", "magenta"}),
    "magenta": frozenset({"magenta", "pink", "purple"}),
    "purple": frozenset({"purple", "magenta"}),
    "beige": frozenset({"beige", "white"}),
}

NAMES: tuple[str, ...] = tuple(_PROTOTYPES)
_TEMPERATURE = 9.0


_RGB_TO_XYZ = (
    (0.4124 / 0.95047, 0.3576 / 0.95047, 0.1805 / 0.95047),
    (0.2126, 0.7152, 0.0722),
    (0.0193 / 1.08883, 0.1192 / 1.08883, 0.9505 / 1.08883),
)


def _linear(c: np.ndarray) -> np.ndarray:
    """sRGB transfer function undone on one channel (0..1, overwritten); x ** 2.4 as exp(2.4 log x), which
    vectorises."""
    low = c <= np.float32(0.04045)
    gamma = np.maximum(c, np.float32(0.04045))
    gamma += np.float32(0.055)
    gamma /= np.float32(1.055)
    np.log(gamma, out=gamma)
    gamma *= np.float32(2.4)
    np.exp(gamma, out=gamma)
    c /= np.float32(12.92)
    np.copyto(gamma, c, where=low)
    return gamma


def _lab_f(t: np.ndarray) -> np.ndarray:
    """CIELAB's compressive function (on `t`, overwritten); the cube root as exp(log(t) / 3), several times
    faster than cbrt."""
    low = t <= np.float32(0.008856)
    root = np.maximum(t, np.float32(0.008856))
    np.log(root, out=root)
    root /= np.float32(3.0)
    np.exp(root, out=root)
    t *= np.float32(7.787)
    t += np.float32(16.0 / 116.0)
    np.copyto(root, t, where=low)
    return root


def _mix(lin: np.ndarray, row: tuple[float, float, float]) -> np.ndarray:
    out = lin[0] * np.float32(row[0])
    out += lin[1] * np.float32(row[1])
    out += lin[2] * np.float32(row[2])
    return out


def to_lab_planes(planes: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """sRGB planes (3, ...) of 0..255 to CIELAB planes (3, ...) under D65.

    With `overwrite` the input's float32 buffer is reused for the result (no extra colour image held). The
    3x3 colour matrix is applied as elementwise sums, not a BLAS product, so results do not depend on the
    machine's BLAS kernels.
    """
    arr = np.asarray(planes, dtype=np.float32)
    lin = np.multiply(arr, np.float32(1.0 / 255.0), out=arr if overwrite and arr is planes else None)
    for k in range(3):
        lin[k] = _linear(lin[k])
    x, y, z = (_mix(lin, row) for row in _RGB_TO_XYZ)
    lab = lin
    fy = _lab_f(y)
    fx = _lab_f(x)
    fx -= fy
    fx *= np.float32(500.0)
    lab[1] = fx
    fz = _lab_f(z)
    np.subtract(fy, fz, out=fz)
    fz *= np.float32(200.0)
    lab[2] = fz
    fy *= np.float32(116.0)
    fy -= np.float32(16.0)
    lab[0] = fy
    return lab


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0..255, any leading shape, last axis 3) to CIELAB under D65."""
    return np.moveaxis(to_lab_planes(np.moveaxis(np.asarray(rgb), -1, 0)), 0, -1)


_PROTO_LAB = {name: to_lab(np.array(rgbs, dtype=np.float32)) for name, rgbs in _PROTOTYPES.items()}


def canonical(word: str) -> str | None:
    """The table name a word stands for, or None if it is not a colour."""
    word = ALIASES.get(word, word)
    return word if word in _PROTOTYPES else None


def name_scores(lab: np.ndarray) -> dict[str, float]:
    """Probability of each colour name for one Lab colour (softmax over nearest-prototype distances)."""
    dists = np.array([np.min(np.linalg.norm(_PROTO_LAB[n] - lab, axis=1)) for n in NAMES], dtype=np.float64)
    logits = -((dists - dists.min()) / _TEMPERATURE) ** 2
    probs = np.exp(logits)
    probs /= probs.sum()
    return dict(zip(NAMES, probs.tolist()))


def colour_score(name: str, lab: np.ndarray) -> float:
    """Confidence in [0, 1] that a region of colour `lab` is what a user calls `name`."""
    probs = name_scores(lab)
    accepted = _ACCEPTS.get(name, frozenset({name}))
    return float(min(1.0, sum(probs[n] for n in accepted)))


# Names a shaded or tinted surface drifts to: accepted for a colour word at half weight.
_NEIGHBOURS: dict[str, frozenset[str]] = {
    "white": frozenset({"gray", "silver", "beige"}),
    "gray": frozenset({"white", "silver", "black"}),
    "silver": frozenset({"white", "gray"}),
    "black": frozenset({"gray", "navy", "brown"}),
    "red": frozenset({"orange", "brown", "magenta", "pink"}),
    "orange": frozenset({"red", "brown", "yellow", "gold"}),
    "brown": frozenset({"red", "orange", "black", "beige"}),
    "yellow": frozenset({"gold", "beige", "orange"}),
    "gold": frozenset({"yellow", "orange", "brown", "beige"}),
    "beige": frozenset({"white", "brown", "gold"}),
    "green": frozenset({"teal"}),
    "teal": frozenset({"green", "cyan", "blue"}),
    "cyan": frozenset({"teal", "blue"}),
    "blue": frozenset({"navy", "cyan", "purple"}),
    "navy": frozenset({"blue", "black"}),
    "purple": frozenset({"magenta", "blue", "navy"}),
    "magenta": frozenset({"pink", "purple", "red"}),
    "pink": frozenset({"magenta", "red"}),
}

_BIN_LEVELS = 16


@functools.cache
def _bin_names() -> np.ndarray:
    """Index into NAMES of the nearest prototype for every 16-level RGB bin's centre (computed once)."""
    levels = np.arange(_BIN_LEVELS, dtype=np.float32) * (256 // _BIN_LEVELS) + (128 // _BIN_LEVELS)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    lab = to_lab(np.stack([r, g, b], axis=-1).reshape(-1, 3)).astype(np.float64)
    protos = np.concatenate([_PROTO_LAB[n] for n in NAMES]).astype(np.float64)
    owner = np.concatenate([np.full(len(_PROTO_LAB[n]), i) for i, n in enumerate(NAMES)])
    best = np.full(lab.shape[0], np.inf)
    index = np.zeros(lab.shape[0], dtype=np.int64)
    for proto, name in zip(protos, owner):
        diff = lab - proto
        d = diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1] + diff[:, 2] * diff[:, 2]
        closer = d < best
        best = np.where(closer, d, best)
        index = np.where(closer, name, index)
    return index


def bin_weights(name: str) -> np.ndarray:
    """Per colour bin (see ``saliency.colour_bins``), how well a pixel of that colour answers a colour word:
    1 for the word's own names, 0.5 for neighbouring names (shading, tint), else 0."""
    accepted = _ACCEPTS.get(name, frozenset({name}))
    near = _NEIGHBOURS.get(name, frozenset()) - accepted
    per_name = np.array([1.0 if n in accepted else 0.5 if n in near else 0.0 for n in NAMES])
    return per_name[_bin_names()]
