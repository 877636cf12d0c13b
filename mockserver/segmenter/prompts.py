"""Reading a text prompt the way the reference segmenter understands it.

A prompt is comma-separated terms ("laptop, hand, arm"); each term is words. Colour words, position words
(left, right, top, bottom, center) and size words (largest, small) score regions; "background" and
"everything" name special masks; any other word is a noun the reference cannot recognise, so it falls back
to the most salient object (a stable hash of the noun, never Python's salted ``hash``, picks among objects
about as salient as the first), or to every similar object for a plural noun.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from .colour import canonical

POSITIONS = {
    "left": "left", "leftmost": "left", "right": "right", "rightmost": "right",
    "top": "top", "upper": "top", "above": "top", "bottom": "bottom", "lower": "bottom", "below": "bottom",
    "center": "center", "centre": "center", "middle": "center", "central": "center",
}
SIZES = {
    "largest": "large", "biggest": "large", "big": "large", "large": "large", "main": "large",
    "smallest": "small", "small": "small", "tiny": "small", "little": "small",
}
EVERYTHING = frozenset({"everything", "all", "objects", "object", "thing", "things", "foreground", "subject",
                        "product", "item"})
BACKGROUND = frozenset({"background", "backdrop", "bg"})
STOPWORDS = frozenset({"the", "a", "an", "of", "on", "in", "at", "with", "and", "one", "side", "part", "colored",
                       "coloured", "color", "colour"})


@dataclass(frozen=True)
class Term:
    """One comma-separated part of a prompt, broken into what the reference can act on."""

    text: str
    colours: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()
    everything: bool = False
    background: bool = False
    plural: bool = False

    @property
    def has_attributes(self) -> bool:
        return bool(self.colours or self.positions or self.sizes)

    def noun_pick(self, count: int) -> int:
        """Which of ``count`` salient objects an unknown noun stands for: a stable hash of the noun."""
        key = " ".join(self.nouns) or self.text
        return zlib.crc32(key.encode("utf-8")) % max(1, count)


def parse(prompt: str | None) -> list[Term]:
    """The terms of a prompt (empty terms dropped, case and punctuation ignored, plurals singularised)."""
    if not prompt:
        return []
    terms = []
    for raw in prompt.split(","):
        words = [w for w in re.findall(r"[a-z0-9]+", raw.lower().replace("-", " ")) if w not in STOPWORDS]
        if not words:
            continue
        colours, positions, sizes, nouns = [], [], [], []
        everything = background = plural = False
        for word in words:
            if (colour := canonical(word)) is not None:
                colours.append(colour)
            elif word in POSITIONS:
                positions.append(POSITIONS[word])
            elif word in SIZES:
                sizes.append(SIZES[word])
            elif word in BACKGROUND:
                background = True
            elif word in EVERYTHING:
                everything = True
            else:
                singular = _singular(word)
                plural = plural or singular != word
                nouns.append(singular)
        terms.append(Term(raw.strip(), tuple(colours), tuple(positions), tuple(sizes), tuple(nouns),
                          everything, background, plural))
    return terms


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
