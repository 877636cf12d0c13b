"""The start of a serving command, with Python's cyclic garbage collector paused.

Starting ``segmock serve`` imports Flask, openapi-core and the mock and builds the app: over 100,000 objects,
all kept for the life of the server. The collector walks them again and again while they are made and frees
none of them. Turned off until the app is built, and then told to leave what was built alone for good
(``gc.freeze``), start-up costs about a sixth less CPU (``benchmarks/bench_startup.py``). Turning it back on
without the freeze saves nothing: its first full collections walk the same objects.

This is the pattern ``gc.freeze``'s documentation gives for a server that forks workers: a worker's
collections never touch its parent's objects, so their pages stay shared instead of being copied. Only the
commands that serve (``SERVING``) do it, and only once they are about to serve; any other command, and a
serving command that stops early (a refused option), gets the collector back as it was, nothing frozen.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

SERVING = frozenset({"serve", "record", "replay"})


@contextmanager
def collector_paused(words: Sequence[str]) -> Iterator[None]:
    """Around one command line (``words``): a serving command runs with the collector off until it calls
    :func:`built`; the collector is as it was afterwards, whatever happened."""
    enabled = gc.isenabled()
    if words and words[0] in SERVING:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def built() -> None:
    """Called by a serving command once everything it keeps is built, right before it serves (and forks):
    what exists now is frozen out of the collector's way, and the collector is back on."""
    if not gc.isenabled():  # paused by collector_paused: a server started from the command line
        gc.freeze()
        gc.enable()
