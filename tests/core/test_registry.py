"""``mockserver.core.registry``: a provider is a spec plus a folder exposing its ``ProviderDef``; anything else is
refused at load, naming what is wrong."""

from __future__ import annotations

import sys
import types

import pytest

import contracts
from mockserver.core import registry
from mockserver.core.provider import ProviderDef


def test_a_provider_is_every_spec_that_has_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert registry.available() == tuple(sorted(contracts.providers()))  # every spec here has its folder
    monkeypatch.setattr(contracts, "providers", lambda: ["photoroom", "spec-only", "tengr"])
    assert registry.available() == ("photoroom", "tengr")  # a spec without a folder serves nothing


def test_an_unknown_provider_is_refused_listing_the_known_ones() -> None:
    listed = ", ".join(registry.available())
    assert "photoroom, " in listed
    with pytest.raises(KeyError, match=f"unknown provider 'photoroon'; available: {listed}"):
        registry.load("photoroon")


def test_a_provider_loads_as_its_own_providerdef() -> None:
    provider = registry.load("tengr")
    assert isinstance(provider, ProviderDef) and provider.name == "tengr"


@pytest.mark.parametrize("exposed", [None, {"name": "fake"}, ProviderDef("other", {}, lambda services: None)],
                         ids=["nothing", "a-dict", "another-providers-def"])
def test_a_folder_that_does_not_expose_its_providerdef_is_refused_naming_the_file(
        monkeypatch: pytest.MonkeyPatch, exposed: object) -> None:
    folder = types.ModuleType("mockserver.providers.fake")
    if exposed is not None:
        folder.PROVIDER = exposed  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, folder.__name__, folder)
    monkeypatch.setattr(registry, "available", lambda: ("fake",))
    with pytest.raises(TypeError, match=r"mockserver/providers/fake/__init__.py must define PROVIDER = "
                                        r"ProviderDef\('fake', \.\.\.\)"):
        registry.load("fake")
