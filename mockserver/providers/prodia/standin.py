"""The guide's image-generation step, answered with a synthetic scene so its SAM 2 example runs offline.

The scene is a pure function of the prompt and size: the same job gives the same image, and a test can rebuild
it (``scene``) to score the masks segmented from it against the objects' ground truth.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts.generate.scenes import Scene, Shape

_SHAPES: tuple[Shape, ...] = ("ellipse", "rect", "rounded")
_COLOURS = ("red", "blue", "green", "orange", "purple", "yellow", "magenta", "teal")
_CENTRES = ((0.2, 0.45), (0.5, 0.55), (0.8, 0.45))
_SIZE = (0.2, 0.34)


def parse_resolution(resolution: str) -> tuple[int, int]:
    width, _, height = resolution.partition("x")
    return int(width), int(height)


def scene(prompt: str, resolution: str) -> Scene:
    """Three objects of distinct colours picked by the prompt's digest, on a plain light background."""
    from contracts.generate.scenes import ObjectSpec, make_scene

    width, height = parse_resolution(resolution)
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    colours: list[str] = []
    for byte in digest:
        colour = _COLOURS[byte % len(_COLOURS)]
        if colour not in colours:
            colours.append(colour)
        if len(colours) == len(_CENTRES):
            break
    objects = [ObjectSpec(_SHAPES[i % len(_SHAPES)], colour, centre, _SIZE)
               for i, (colour, centre) in enumerate(zip(colours, _CENTRES))]
    return make_scene("plain", width, height, objects, name="prodia-guide-stand-in")
