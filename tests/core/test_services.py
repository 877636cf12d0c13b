"""``mockserver.core.services``: the state an app keeps between requests, and ``reset`` forgetting all of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockserver.config import MockConfig
from mockserver.core.services import Counters, Services, rate_scope

EDIT = "edit-image-get"


def services(tmp_path: Path, **config: Any) -> Services:
    return Services(MockConfig(state_dir=tmp_path, **config))


def admitted(svc: Services, key: str, operation: str = EDIT) -> bool:
    hit = svc.rate_hit("photoroom", key, operation)
    assert hit is not None, f"{operation} is not rate limited"
    return hit[1].allowed


def test_reset_forgets_quotas_rate_windows_and_every_backends_state(tmp_path: Path) -> None:
    svc = services(tmp_path, rate_limits={"photoroom": {"limit": 1}})
    forgotten: list[str] = []

    class Backend:
        def reset(self) -> None:
            forgotten.append("backend")

    svc.backends["photoroom"] = Backend()
    svc.backends["stateless"] = object()  # a backend without state has nothing to reset
    svc.resetters.append(lambda: forgotten.append("journal"))
    svc.counters.add("photoroom:account", "available", -3, start=10)
    assert admitted(svc, "key") and not admitted(svc, "key")

    svc.reset()
    assert svc.counters.get("photoroom:account", "available", default=10) == 10
    assert admitted(svc, "key")
    assert forgotten == ["backend", "journal"]


def test_rate_windows_are_per_key_and_follow_the_config_between_requests(tmp_path: Path) -> None:
    svc = services(tmp_path, rate_limits={"photoroom": {"limit": 1}})
    assert admitted(svc, "a") and not admitted(svc, "a")
    assert admitted(svc, "b")
    assert svc.rate_hit("photoroom", "a", "account-details-v2") is None  # not an operation the limit counts
    svc.config.rate_limits = {"photoroom": {"limit": 2}}  # a test raises the limit mid-run
    assert admitted(svc, "a")
    assert "sk_live_secret" not in rate_scope("photoroom", "sk_live_secret")  # the window is kept by the key's hash


def test_a_counter_never_goes_below_its_floor_and_every_worker_sees_it(tmp_path: Path) -> None:
    counters = Counters(tmp_path / "counters.sqlite")
    assert counters.add("acct", "credits", -4, start=5, floor=0) == 1
    assert counters.add("acct", "credits", -2, floor=0) is None  # refused: nothing written
    assert counters.get("acct", "credits") == 1
    assert Counters(tmp_path / "counters.sqlite").get("acct", "credits") == 1
