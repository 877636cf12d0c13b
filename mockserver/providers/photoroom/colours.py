"""Colour strings as the two Photoroom APIs take them.

`/v2/edit` `background.color` and `outline.color`: hex (`FF0000`, `FF0000EE`, short `F00`/`F00E`; the docs say
without `#`, their own examples show `#FF0000`, so both are read) or a CSS name;
`transparent` (the documented default) means no colour. `/v1/segment` `bg_color`: `#FF00FF` or an HTML name;
a bare hex is accepted there too (lenient: the mock should not fail a client the real API may accept).
"""

from __future__ import annotations

import re

from PIL import ImageColor

_HEX = re.compile(r"^[0-9a-fA-F]{3,4}$|^[0-9a-fA-F]{6}$|^[0-9a-fA-F]{8}$")

RGBA = tuple[int, int, int, int]


def parse_colour(text: str | None) -> RGBA | None:
    """RGBA for a colour string, None for unset/`transparent`; ValueError for anything unreadable."""
    if text is None:
        return None
    value = str(text).strip()
    if not value or value.lower() == "transparent":
        return None
    if _HEX.match(value):
        value = "#" + value
    try:
        rgb = ImageColor.getrgb(value)
    except ValueError as exc:
        raise ValueError(f"invalid colour: {text!r}") from exc
    return (rgb[0], rgb[1], rgb[2], rgb[3] if len(rgb) == 4 else 255)
