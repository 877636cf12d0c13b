"""``mockserver.core.keys``: the id that stands for an API key in every state file."""

from __future__ import annotations

import hashlib

from mockserver.core.keys import owner_key


def test_the_id_is_the_same_in_every_process_and_after_a_restart() -> None:
    """Quotas and job ownership outlive the process: the id must not depend on a per-process secret or seed."""
    assert owner_key("sk_live_abc") == hashlib.sha256(b"sk_live_abc").hexdigest()[:32]
    assert owner_key("sk_live_abc") == owner_key("sk_live_" + "abc")


def test_the_id_does_not_contain_the_key_and_tells_keys_apart() -> None:
    keys = ["sk_live_abc", "sk_live_abd", "sk_live_abc ", "SK_LIVE_ABC", "é-key"]
    ids = [owner_key(key) for key in keys]
    assert len(set(ids)) == len(keys)
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)
    assert not any(key.strip() in i for key in keys for i in ids)


def test_a_key_that_is_not_valid_unicode_still_has_an_id() -> None:
    """Header bytes decoded as latin-1 or with surrogates must not turn a request into a 500."""
    assert len(owner_key("\udcff-key")) == 32
    assert owner_key("\udcff-key") != owner_key("\udcfe-key")
