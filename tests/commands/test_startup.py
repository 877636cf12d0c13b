"""A serving command starts with the garbage collector paused and serves with it back on; any other command, or
a server refused before it serves, leaves the collector as it found it, nothing frozen."""

from __future__ import annotations

import contextlib
import gc
import io
from collections.abc import Iterator
from typing import Any

import pytest

import mockserver.serving
from mockserver.cli import main
from mockserver.commands.startup import built, collector_paused


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test freezes is handed back to the collector afterwards (this is the test process)."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def _quiet_main(*args: str) -> int:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return main(list(args))
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 2


def test_serve_hands_its_built_app_to_the_server_with_the_collector_on_and_the_app_frozen(
        collector: None, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(app: Any, *_: Any, **__: Any) -> None:
        seen.update(enabled=gc.isenabled(), app_frozen=gc.get_freeze_count() > 0, app=app)

    monkeypatch.setattr(mockserver.serving, "serve", fake_serve)
    gc.unfreeze()
    assert _quiet_main("serve", "--port", "0", "--provider", "photoroom") == 0
    assert seen["enabled"] and seen["app_frozen"]
    assert gc.isenabled()


def test_a_serve_refused_before_serving_leaves_the_collector_on_and_nothing_frozen(collector: None) -> None:
    gc.unfreeze()
    assert _quiet_main("serve", "--port", "0", "--provider", "nobody") == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("words", [["verify", "--help"], ["specs"], []])
def test_commands_that_do_not_serve_run_with_the_collector_as_it_was(words: list[str], collector: None) -> None:
    gc.unfreeze()
    with collector_paused(words):
        assert gc.isenabled()
        built()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_turned_off_by_the_caller_stays_off(collector: None) -> None:
    gc.disable()
    with collector_paused(["serve"]):
        assert not gc.isenabled()
    assert not gc.isenabled()
