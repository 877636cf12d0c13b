"""The numpy reference segmenter: deterministic masks that behave like the real models' parameters.

Each call analyses the image once on a capped working grid (``regions.Analysis``), picks regions by the
request (salient foreground, every region, prompt terms, clicks) and renders only the masks a caller
keeps, at the input's resolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .colour import bin_weights, colour_score
from .postprocess import refine
from .prompts import Term, parse
from .protocol import Detection, Point, SalientMode, SalientResult, mask_box
from .regions import Analysis, Region

DEFAULT_CAP = 256
_MIN_SCORE = 0.02
_SALIENT_LABEL = "salient object"
# An unknown noun's hash picks only among objects at least this salient relative to the most salient one.
_NOUN_PEERS = 0.5
# On a photo, a click's part wins over the whole when it holds this share of it (two touching objects) ...
_PART_SHARE = 0.5
# ... or when the whole spreads over this share of the frame (a mass of merged things, not one object).
_MASS = 0.3
# Colour scores are relative to the best area's, unless that one is at least this good on its own.
_COLOUR_CONFIDENT = 0.75
# Colour noise of a camera's sensor and compression along the border: below it, an image is synthetic-flat.
_PHOTO_NOISE = 1.0


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def _position_score(word: str, cx: float, cy: float) -> float:
    """How well a centroid (0..1) matches a position word; 0.5 on the dividing line."""
    if word == "left":
        return _sigmoid((0.5 - cx) * 12)
    if word == "right":
        return _sigmoid((cx - 0.5) * 12)
    if word == "top":
        return _sigmoid((0.5 - cy) * 12)
    if word == "bottom":
        return _sigmoid((cy - 0.5) * 12)
    return float(max(0.0, 1.0 - 2.2 * np.hypot(cx - 0.5, cy - 0.5)))


def _size_score(word: str, area: int, areas: list[int]) -> float:
    """Largest/smallest by rank among the candidates (ties share the score)."""
    ordered = sorted(set(areas), reverse=(word == "large"))
    rank = ordered.index(area)
    return 1.0 if rank == 0 else max(0.05, 0.6 * (1.0 - rank / max(1, len(ordered))))


def _backdrop(mask: np.ndarray) -> bool:
    """Whether a working-grid selection is the scene's backdrop: most of the frame, touching all four sides."""
    return (bool(mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any())
            and int(np.count_nonzero(mask)) > mask.size // 2)


def _similar(obj: Region, pick: Region) -> bool:
    """Another instance of what a plural noun names: of a comparable size and not much less salient."""
    ratio = obj.area / max(1, pick.area)
    return 1 / 3 <= ratio <= 3 and obj.salience >= 0.4 * pick.salience


class ReferenceSegmenter:
    """Deterministic, content-aware masks from numpy and Pillow only (see the module docstring)."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap

    # -- salient -------------------------------------------------------------------------------------------
    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> SalientResult:
        """The product cutout: every foreground object, soft-edged; an RGBA input's alpha when asked."""
        arr = np.asarray(image)
        if use_alpha and arr.ndim == 3 and arr.shape[2] == 4 and arr[:, :, 3].min() < 255:
            alpha = np.ascontiguousarray(arr[:, :, 3])
            mask = alpha >= 128
            return SalientResult(alpha, mask, mask_box(mask), 1.0)
        analysis = Analysis(arr, self.cap)
        field = np.where(analysis.fg, np.maximum(analysis.salient_field, 0.5), np.minimum(analysis.salient_field, 0.49))
        alpha = analysis.render(field.astype(np.float32), soft=True)
        mask = alpha >= 128
        score = float(np.clip(0.5 + 0.5 * np.tanh(analysis.contrast - 1.0), 0.0, 1.0)) if mask.any() else 0.0
        return SalientResult(alpha, mask, mask_box(mask), score)

    # -- automatic ------------------------------------------------------------------------------------------
    def everything(self, image: np.ndarray) -> list[Detection]:
        """Every colour region of the foreground, area descending then by position, each with a quality score.

        On a photo the background's regions are proposed too, as SAM 2 does (scored lower), slivers that would
        render empty are left out, and a photo with nothing on it (a wall, a table top) gets its one background
        mask: a photo never comes back without masks. A perfectly flat synthetic image still has none.
        """
        analysis = Analysis(np.asarray(image), self.cap)
        regions = [(r, r.quality) for r in analysis.regions]
        if analysis.busy:
            regions = [(r, q) for r, q in regions if r.has_core]
            regions += [(r, 0.5 * r.quality) for r in analysis.background_regions]
            regions.sort(key=lambda item: (-item[0].area, item[0].box[1], item[0].box[0]))
        if not regions and analysis.noise >= _PHOTO_NOISE:
            return [self._detection(analysis, ~analysis.fg, 0.5, "region 1")]
        return [self._detection(analysis, r.mask, score, f"region {k + 1}") for k, (r, score) in enumerate(regions)]

    # -- text -------------------------------------------------------------------------------------------------
    def text(self, image: np.ndarray, prompt: str, *, negative: str | None = None,
             salient_mode: SalientMode = None) -> list[Detection]:
        """Detections for each prompt term, best first; a negative prompt removes what it names (score ≥ 0.5).

        With ``keepSalientObject`` the salient foreground is kept as well (Photoroom's documented mode).
        """
        analysis = Analysis(np.asarray(image), self.cap)
        found: list[tuple[np.ndarray, float, str]] = []
        for term in parse(prompt):
            found.extend(self._term(analysis, term))
        if salient_mode == "keepSalientObject" and analysis.fg.any():
            found.append((analysis.fg, 1.0, _SALIENT_LABEL))
        removed = np.zeros(analysis.work_size, dtype=bool)
        for term in parse(negative):
            for selection, score, _ in self._term(analysis, term):
                if score >= 0.5:
                    removed |= selection
        out = []
        for selection, score, label in found:
            kept = selection & ~removed
            if kept.any():
                out.append(self._detection(analysis, kept, score, label, removed))
        out.sort(key=lambda d: -d.score)
        return out

    def _term(self, analysis: Analysis, term: Term) -> list[tuple[np.ndarray, float, str]]:
        if term.background:
            return [(~analysis.fg, 0.9, term.text)] if (~analysis.fg).any() else []
        if term.everything and not term.has_attributes:
            return [(analysis.fg, 0.95, term.text)] if analysis.fg.any() else []
        if term.colours and analysis.busy:
            return self._colour_pieces(analysis, term)
        units: list[Region] = analysis.regions if term.colours else analysis.objects
        if not units:
            return []
        if not term.has_attributes:
            return self._noun(units, term)
        areas = [u.area for u in units]
        out = []
        for unit in units:
            score = 1.0
            for colour in term.colours:
                score *= colour_score(colour, unit.lab)
            for word in term.positions:
                score *= _position_score(word, *unit.centroid)
            for word in term.sizes:
                score *= _size_score(word, unit.area, areas)
            score *= 0.4 + 0.6 * unit.quality
            if score >= _MIN_SCORE:
                out.append((unit.mask, float(np.clip(score, 0.0, 1.0)), term.text))
        return out

    @staticmethod
    def _colour_pieces(analysis: Analysis, term: Term) -> list[tuple[np.ndarray, float, str]]:
        """Colour words on a photo: every area whose pixels are mostly of that colour (or a neighbouring name),
        foreground or not, scored by that share, its size and its overlap with the foreground."""
        lut = np.max([bin_weights(c) for c in term.colours], axis=0)
        pieces, weight = analysis.colour_pieces(lut)
        areas = [p.area for p in pieces]
        n_px = analysis.fg.size
        found = []
        for piece in pieces:
            share = float(weight[piece.mask].mean())
            inside = float(analysis.fg[piece.mask].mean())
            size = min(1.0, piece.area / (0.01 * n_px))
            score = share * (0.6 + 0.4 * inside) * (0.6 + 0.4 * size)
            for word in term.positions:
                score *= _position_score(word, *piece.centroid)
            for word in term.sizes:
                score *= _size_score(word, piece.area, areas)
            found.append((piece.mask, score))
        # The backdrop (most of the frame, on all four sides) answers a colour word only when nothing else does.
        things = [(mask, score) for mask, score in found if not _backdrop(mask)]
        if things:
            found = things
        # Shading pulls a whole photo's worth of red towards brown: when no area is clearly of the named colour,
        # the best one still answers, and the others keep their standing relative to it.
        best = max((score for _, score in found), default=0.0)
        scale = 1.0 / max(best, _COLOUR_CONFIDENT)
        return [(mask, float(np.clip(score * scale, 0.0, 1.0)), term.text) for mask, score in found
                if score * scale >= _MIN_SCORE]

    def _noun(self, objects: list[Region], term: Term) -> list[tuple[np.ndarray, float, str]]:
        """An unrecognised noun stands for the most salient object, a plural noun for every similar one.

        The stable hash of the noun only chooses among objects at least half as salient as the first, so a
        clear subject is never passed over; the other objects are returned with low scores.
        """
        ranked = sorted(objects, key=lambda o: (-o.salience, o.box[1], o.box[0]))
        first = ranked[0]
        top = [o for o in ranked[:3] if o.salience >= _NOUN_PEERS * first.salience]
        pick = top[term.noun_pick(len(top))]
        picked = [pick]
        if term.plural:
            picked += [o for o in ranked if o is not pick and _similar(o, pick)]
        out = [(o.mask, float(np.clip(0.6 + 0.35 * o.quality, 0.0, 1.0)), term.text) for o in picked]
        for other in ranked:
            if all(other is not p for p in picked):
                out.append((other.mask, float(np.clip(0.3 * other.salience, _MIN_SCORE, 0.45)), term.text))
        return out

    # -- points -------------------------------------------------------------------------------------------------
    def points(self, image: np.ndarray, positive: Sequence[Point], negative: Sequence[Point] = (), *,
               multimask: bool = True, refinement_steps: int = 0) -> list[Detection]:
        """Masks selected by normalised clicks: three nested candidates (sub-part, part, whole) or the whole.

        A positive click selects the region under it (the backdrop if it lands there, on a synthetic scene; on
        a photo, the like-coloured area around it); a negative click removes the part under it. Refinement
        steps smooth the result (open + close per step).
        """
        analysis = Analysis(np.asarray(image), self.cap)
        h, w = analysis.work_size
        sub = np.zeros((h, w), dtype=bool)
        part = np.zeros((h, w), dtype=bool)
        whole = np.zeros((h, w), dtype=bool)
        for x, y in positive:
            s, p, o = self._under(analysis, x, y)
            sub |= s
            part |= p
            whole |= o
        removed = np.zeros((h, w), dtype=bool)
        for x, y in negative:
            removed |= self._under(analysis, x, y)[1]
        kept = [(m & ~removed) for m in (sub, part, whole)]
        kept = [refine(m, refinement_steps) if refinement_steps else m for m in kept]
        # The whole object is the best guess unless it merges several distinct parts (touching objects). On a
        # photo an object is many colour pieces, so there only a part holding much of the whole counts as one.
        if np.array_equal(kept[1], kept[2]):
            whole_score = 0.93
        elif analysis.busy:
            merged = kept[2].sum() > _MASS * kept[2].size
            whole_score = 0.8 if merged or kept[1].sum() >= _PART_SHARE * kept[2].sum() else 0.93
        else:
            whole_score = 0.8
        scores = (0.72, 0.84, whole_score)
        names = ("sub-part", "part", "whole")
        candidates = [(m, s, n) for m, s, n in zip(kept, scores, names) if m.any()]
        if not multimask:
            candidates = candidates[-1:]
        return [self._detection(analysis, m, s, n, removed) for m, s, n in candidates]

    def _under(self, analysis: Analysis, x: float, y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sub-part, part, whole) under a click on the working grid.

        A click on the background selects the background; on a photo, or where the clicked pixel stands out
        from the background model (the foreground missed what the user points at), it selects the area of
        like colour around it instead.
        """
        h, w = analysis.work_size
        col = min(w - 1, max(0, int(x * w)))
        row = min(h - 1, max(0, int(y * h)))
        if not analysis.fg[row, col]:
            if analysis.busy or analysis.stands_out(row, col):
                flood = analysis.flood(row, col)
                return self._disc(flood, row, col), flood, flood
            background = ~analysis.fg
            return background, background, background
        part, whole = analysis.under(row, col)
        return self._disc(part, row, col), part, whole

    @staticmethod
    def _disc(part: np.ndarray, row: int, col: int) -> np.ndarray:
        """The sub-part: the part within a disc around the click, 0.35 of the part's larger side."""
        h, w = part.shape
        ys, xs = np.nonzero(part)
        radius = 0.35 * max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
        gy = (np.arange(h) - row) ** 2
        gx = (np.arange(w) - col) ** 2
        return part & (gy[:, None] + gx[None, :] <= radius * radius)

    # -- rendering ----------------------------------------------------------------------------------------------
    @staticmethod
    def _detection(analysis: Analysis, selection: np.ndarray, score: float, label: str,
                   removed: np.ndarray | None = None) -> Detection:
        """A detection whose full-size mask is rendered only if a caller reads it."""
        selection = selection.copy()

        def render() -> np.ndarray:
            field = analysis.field_for(selection)
            if removed is not None and removed.any():
                field = np.minimum(field, np.where(removed, 0.0, 1.0).astype(np.float32))
            return analysis.render(field, soft=False)

        return Detection(score=float(score), label=label, render=render)
