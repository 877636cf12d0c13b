"""Where Photoroom's `/v2/edit` puts the subject: output size, target area, scale and offset.

Pure integer maths on exact fractions (`fractions.Fraction`), so a layout never depends on float rounding.
Every pixel count derived from a ratio is rounded **half up** (`floor(x + 1/2)`), except the `maxWidth` /
`maxHeight` reduction, which rounds **down** so a maximum is never exceeded.

Model (from the docs' "Positioning" section and the parameter descriptions):

- The *canvas* is the output image. *Margins* are taken first, as a ratio of the canvas side they lie on
  (left/right of the width, top/bottom of the height); they are never ignored.
- The *document* is the canvas minus margins. *Padding* is a ratio of the matching document side
  ("similar to CSS"). `"<n>px"` values are absolute on both. Per-side values override the general one.
- The *target area* is the document minus padding. The *reference box* (the subject's bounding box, or the
  whole input with `referenceBox=originalImage` or without a cutout) is scaled to fit (default, up or down)
  or fill the target area and aligned in it (centre by default).
- `ignorePaddingAndSnapOnCroppedSides` (default true): a side of the subject touching the input border is
  "cropped"; its padding is dropped and the subject snaps to that side (margins still apply). Both sides of an
  axis cropped means centred on that axis. A custom alignment switches snapping off for its axis only. It
  applies only to a real cutout (`referenceBox=subjectBox` with an alpha), never to a whole-image reference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from ...segmenter.protocol import mask_box

Side = Literal["left", "top", "right", "bottom"]
Align = Literal["start", "center", "end"]

_MAX_RATIO = Fraction(49, 100)
_HALF = Fraction(1, 2)
_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")
_PX_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*px\s*$")
_PCT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_NUM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*$")


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves going up: the one rounding rule of this module."""
    return math.floor(value + _HALF)


@dataclass(frozen=True)
class Length:
    """A padding or margin value: a ratio of some side, or absolute pixels."""

    value: Fraction
    px: bool = False

    def pixels(self, basis: int) -> int:
        """Pixels on a side of `basis` pixels (ratios round half up; px values round half up too)."""
        if self.px:
            return round_half_up(self.value)
        return round_half_up(self.value * max(basis, 0))


ZERO = Length(Fraction(0))


def parse_length(raw: Any) -> Length | None:
    """Parse `0.1`, `"0.1"`, `"10%"` or `"100px"`; None stays None (an unset per-side override).

    Ratios are clamped to [0, 0.49] and pixels to >= 0: the caller validates ranges, the clamp only keeps
    the maths total. Anything else raises ValueError.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(f"not a length: {raw!r}")
    if isinstance(raw, (int, float)):
        return Length(min(max(Fraction(str(raw)), Fraction(0)), _MAX_RATIO))
    text = str(raw)
    if m := _PX_RE.match(text):
        return Length(Fraction(m.group(1)), px=True)
    if m := _PCT_RE.match(text):
        return Length(min(Fraction(m.group(1)) / 100, _MAX_RATIO))
    if m := _NUM_RE.match(text):
        return Length(min(Fraction(m.group(1)), _MAX_RATIO))
    raise ValueError(f"not a length: {raw!r}")


def side_lengths(params: Mapping[str, Any], name: str) -> dict[Side, Length]:
    """`padding`/`margin` for each side: `<name>Left` etc. override `<name>`."""
    general = parse_length(params.get(name)) or ZERO
    out: dict[Side, Length] = {}
    for side in ("left", "top", "right", "bottom"):
        out[side] = parse_length(params.get(name + side.capitalize())) or general
    return out


@dataclass(frozen=True)
class Box:
    """Pixel rectangle, x1/y1 exclusive (PIL crop order)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def subject_box(alpha: np.ndarray | None) -> Box | None:
    """Bounding box of the pixels with alpha > 0; None when there is no alpha or it is empty."""
    if alpha is None:
        return None
    x0, y0, x1, y1 = mask_box(alpha)
    return Box(x0, y0, x1, y1) if x1 > x0 else None


def cropped_sides(subject: Box, image_size: tuple[int, int]) -> frozenset[Side]:
    """Sides where the subject touches the input border, i.e. the photo cut it off."""
    width, height = image_size
    sides: set[Side] = set()
    if subject.x0 == 0:
        sides.add("left")
    if subject.y0 == 0:
        sides.add("top")
    if subject.x1 == width:
        sides.add("right")
    if subject.y1 == height:
        sides.add("bottom")
    return frozenset(sides)


@dataclass(frozen=True)
class Layout:
    """Where the reference box of the input (`source`) lands on the output canvas (`dest`, may overflow)."""

    canvas: tuple[int, int]
    target: Box
    source: Box
    dest: Box
    snapped: frozenset[Side]


@dataclass(frozen=True)
class _Axis:
    """One axis of the problem: horizontal and vertical are solved by the same code."""

    margin: tuple[Length, Length]
    padding: tuple[Length, Length]
    align: Align


def _target(total: int, axis: _Axis) -> tuple[int, int]:
    """[t0, t1) of the target area on an axis of `total` pixels; an area with no room is clamped to 1 px."""
    m0, m1 = axis.margin[0].pixels(total), axis.margin[1].pixels(total)
    document = total - m0 - m1
    t0 = m0 + axis.padding[0].pixels(document)
    t1 = total - m1 - axis.padding[1].pixels(document)
    t0 = min(max(t0, 0), max(total - 1, 0))
    return t0, max(t1, t0 + 1)


def _offset(t0: int, t1: int, size: int, align: Align) -> int:
    """Start of a `size`-long span aligned in [t0, t1); centring floors, so an odd slack pixel goes last."""
    if align == "start":
        return t0
    if align == "end":
        return t1 - size
    return t0 + (t1 - t0 - size) // 2


def _native_side(content: int, axis: _Axis) -> int:
    """Smallest canvas side whose target area holds `content` pixels (croppedSubject)."""
    ratio_m = sum((m.value for m in axis.margin if not m.px), Fraction(0))
    ratio_p = sum((p.value for p in axis.padding if not p.px), Fraction(0))
    px_m = sum((m.value for m in axis.margin if m.px), Fraction(0))
    px_p = sum((p.value for p in axis.padding if p.px), Fraction(0))
    estimate = ((content + px_p) / (1 - ratio_p) + px_m) / (1 - ratio_m)
    side = max(1, math.floor(estimate) - 2)
    while True:
        t0, t1 = _target(side, axis)
        if t1 - t0 >= content:
            return side
        side += 1


def _axes(
    params: Mapping[str, Any], subject: Box | None, image_size: tuple[int, int], segmented: bool
) -> tuple[_Axis, _Axis, frozenset[Side]]:
    """Margins, effective paddings and alignment per axis, after snapping on cropped sides."""
    margin = side_lengths(params, "margin")
    padding = side_lengths(params, "padding")
    snapping = (
        bool(params.get("ignorePaddingAndSnapOnCroppedSides", True))
        and segmented
        and subject is not None
        and params.get("referenceBox", "subjectBox") != "originalImage"
    )
    cropped = cropped_sides(subject, image_size) if snapping and subject is not None else frozenset()
    explicit = {
        "h": {"left": "start", "center": "center", "right": "end"}.get(params.get("horizontalAlignment") or ""),
        "v": {"top": "start", "center": "center", "bottom": "end"}.get(params.get("verticalAlignment") or ""),
    }
    snapped: set[Side] = set()
    axes: list[_Axis] = []
    sides: tuple[tuple[str, Side, Side], ...] = (("h", "left", "right"), ("v", "top", "bottom"))
    for key, lo, hi in sides:
        pad = [padding[lo], padding[hi]]
        align: Align = explicit[key] or "center"  # type: ignore[assignment]
        if explicit[key] is None:
            cut = [lo in cropped, hi in cropped]
            for i, side in enumerate((lo, hi)):
                if cut[i]:
                    pad[i] = ZERO
                    snapped.add(side)
            if cut[0] != cut[1]:
                align = "start" if cut[0] else "end"
        axes.append(_Axis((margin[lo], margin[hi]), (pad[0], pad[1]), align))
    return axes[0], axes[1], frozenset(snapped)


def _max_factor(size: tuple[int, int], params: Mapping[str, Any]) -> Fraction:
    """Scale-down factor from `maxWidth`/`maxHeight` (1 when unset or already small enough)."""
    factor = Fraction(1)
    for limit, side in ((params.get("maxWidth"), size[0]), (params.get("maxHeight"), size[1])):
        if limit is not None:
            factor = min(factor, Fraction(str(limit)) / side)
    return max(factor, Fraction(0))


def plan(
    params: Mapping[str, Any], image_size: tuple[int, int], subject: Box | None, *, segmented: bool
) -> Layout:
    """Full layout for `/v2/edit`.

    `subject` is the alpha bounding box (None when there is no cutout or it is empty); `segmented` says an
    alpha was given at all. Output size per `outputSize`:

    - `WxH`: exactly that (`maxWidth`/`maxHeight` ignored: the API only accepts them with the two forms below).
    - `auto` / `originalImage`: the input size.
    - `croppedSubject`: the smallest canvas whose target area holds the subject box at its native size, so
      padding and margin *add* pixels around it and the subject is never resampled; an empty or absent
      subject uses the whole input. The subject is then placed at scale 1 (times the `maxWidth` factor),
      for fit and fill alike; with `referenceBox=originalImage` the whole input is fitted/filled into that
      subject-sized canvas instead.
    - `maxWidth`/`maxHeight` then scale the canvas down (never up), keeping the aspect ratio, each side
      rounded down and at least 1 px.

    Scale: fit = min(target/reference) per axis, fill = max; both may enlarge. Scaled sizes round half up.
    """
    width, height = image_size
    whole = Box(0, 0, width, height)
    use_subject = subject is not None and params.get("referenceBox", "subjectBox") != "originalImage"
    reference = subject if use_subject and subject is not None else whole
    h_axis, v_axis, snapped = _axes(params, subject, image_size, segmented)
    spec = str(params.get("outputSize") or "auto")
    native = spec == "croppedSubject"
    factor = Fraction(1)
    if m := _SIZE_RE.match(spec):
        canvas = (int(m.group(1)), int(m.group(2)))
    else:
        if native:
            base = subject or whole
            canvas = (_native_side(base.width, h_axis), _native_side(base.height, v_axis))
        else:
            canvas = image_size
        factor = _max_factor(canvas, params)
        canvas = (max(1, math.floor(canvas[0] * factor)), max(1, math.floor(canvas[1] * factor)))
    tx0, tx1 = _target(canvas[0], h_axis)
    ty0, ty1 = _target(canvas[1], v_axis)
    fit = min(Fraction(tx1 - tx0, reference.width), Fraction(ty1 - ty0, reference.height))
    if native and use_subject:
        scale = min(fit, factor)
    elif params.get("scaling", "fit") == "fill":
        scale = max(Fraction(tx1 - tx0, reference.width), Fraction(ty1 - ty0, reference.height))
    else:
        scale = fit
    sw = max(1, round_half_up(reference.width * scale))
    sh = max(1, round_half_up(reference.height * scale))
    x = _offset(tx0, tx1, sw, h_axis.align)
    y = _offset(ty0, ty1, sh, v_axis.align)
    return Layout(canvas, Box(tx0, ty0, tx1, ty1), reference, Box(x, y, x + sw, y + sh), snapped)


def budget_size(size: tuple[int, int], budget: int) -> tuple[int, int]:
    """`/v1/segment` `size` preset: scale down (never up), keeping the aspect ratio, until W*H <= budget.

    Width = floor(sqrt(budget * W / H)), height = floor(H * width / W), both >= 1: integer square root, so
    `1250x800` under the 250 000 px preview budget gives exactly the FAQ's `625x400`.
    """
    width, height = size
    if width * height <= budget:
        return size
    new_width = max(1, math.isqrt(budget * width // height))
    return new_width, max(1, height * new_width // width)
