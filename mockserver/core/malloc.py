"""glibc's ``malloc``, tuned for a process that handles big buffers over and over: the one place that calls it.

A server thread that decodes an image or relays an 8 MB body allocates and frees the same megabytes on every
request. glibc's defaults give each thread its own arena and return large blocks to the kernel each time, so
the next request page-faults them back in, zeroed, while memory freed in one arena is never reused by another.
``segmock serve`` caps the arenas (:func:`limit_arenas`) and hands freed memory back only once idle
(:func:`trim`, called by :mod:`mockserver.core.workgate`); the recording proxy keeps what it frees
(:func:`keep_freed_memory`). Elsewhere than glibc each call is a no-op that says so.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc refuses more on 64-bit systems


def _glibc() -> ctypes.CDLL | None:
    """The C library this process already runs on, if it is glibc. ``CDLL(None)`` looks in the loaded program;
    ``ctypes.util.find_library`` would spawn ``ldconfig`` (twice: about 20 ms of start-up)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") else None  # only glibc has these, with these meanings


_libc = _glibc()
_mallopt: Callable[..., int] | None = getattr(_libc, "mallopt", None)
_malloc_trim: Callable[..., int] | None = getattr(_libc, "malloc_trim", None)


def limit_arenas(count: int = 2) -> bool:
    """Cap this process's arenas (before ``segmock serve`` forks its workers): a thread per request would
    otherwise get its own arena, and image buffers freed in one are kept there."""
    return bool(_mallopt and _mallopt(_M_ARENA_MAX, count))


def keep_freed_memory(keep: int = 256 * 1024 * 1024) -> bool:
    """Raise the mapping and trimming thresholds so freed big blocks stay in the process, up to ``keep`` bytes
    (the recording proxy: a third of its CPU went to faulting relayed bodies back in)."""
    if _mallopt is None:
        return False
    return bool(_mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) & bool(_mallopt(_M_TRIM_THRESHOLD, keep))


def trim() -> bool:
    """Hand the memory freed at the heap's top and in every arena back to the kernel."""
    return bool(_malloc_trim and _malloc_trim(0))


def available() -> bool:
    """Whether this process's ``malloc`` is glibc's (the calls above do something)."""
    return _malloc_trim is not None
