"""Let a process keep freed memory for the next big body instead of handing it back to the kernel.

Relaying an 8 MB body allocates and frees the same few megabytes on every request. glibc's defaults
return them to the kernel each time (large blocks are mapped and unmapped, the heap top is trimmed), so
the next request page-faults them back in, zeroed: a third of the proxy's CPU went to that. Raising the
mapping and trimming thresholds keeps the memory in the process, bounded by ``keep``.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc refuses more on 64-bit systems


def keep_freed_memory(keep: int = 256 * 1024 * 1024) -> bool:
    """Tune glibc's ``malloc`` in this process; False (and no change) where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # another libc's mallopt takes other parameters
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) & bool(mallopt(_M_TRIM_THRESHOLD, keep))
