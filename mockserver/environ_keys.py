"""WSGI environ keys that ``segmock serve``'s worker offers the app (kept apart so neither imports the other)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AFTER_RESPONSE = "segmock.after_response"
"""A list: callables the app appends run once its answer has left, before the thread serves anything else."""

Later = Callable[[Callable[[], None]], None]


def after_response(environ: dict[str, Any]) -> Later | None:
    """Where to leave work the answer need not wait for; None where the server keeps no such list (in-process
    transports, test clients): do it before answering then."""
    later = environ.get(AFTER_RESPONSE)
    return None if later is None else later.append
