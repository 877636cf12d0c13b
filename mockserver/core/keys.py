"""The one way an API key is kept: as a hash, so no state file holds a key (jobs, quotas, rate limits).

Why a plain SHA-256 and not a keyed hash: the hash must be the same in every worker process and after a
restart on the same state directory (quotas and job ownership outlive the process), so a key for it would have
to be stored beside the hashes, where it protects nothing. API keys are long random tokens, which SHA-256
does not give back.
"""

from __future__ import annotations

import functools
import hashlib


@functools.lru_cache(maxsize=256)
def owner_key(api_key: str) -> str:
    """The id stored for an API key (remembered: a client sends the same key on every call)."""
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
