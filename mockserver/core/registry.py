"""The registry of provider folders: ``mockserver/providers/<name>/`` beside ``specs/<name>.yaml``.

It lives in the core, which imports a provider only by name when asked for it, so the core never depends on
any provider (import-linter holds that).

A provider is found, not listed: every sub-package of ``mockserver/providers`` whose spec exists is a provider, and its
``PROVIDER`` must be a :class:`~mockserver.core.provider.ProviderDef` named after the folder (a folder that
exposes anything else is refused at load, with its name). Folders are imported on first use, so serving one
provider never imports the others. ``segmock scaffold-provider NAME`` creates a new spec and folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import contracts

from .provider import ProviderDef

PACKAGE = "mockserver.providers"
_FOLDERS = Path(__file__).resolve().parents[1] / "providers"


def available() -> tuple[str, ...]:
    """Every provider with both a spec and a folder, sorted by name."""
    folders = {m.name for m in pkgutil.iter_modules([str(_FOLDERS)]) if m.ispkg}
    return tuple(name for name in contracts.providers() if name in folders)


def load(name: str) -> ProviderDef:
    """The ``ProviderDef`` of provider ``name`` (``KeyError`` for an unknown name, listing the known ones)."""
    names = available()
    if name not in names:
        raise KeyError(f"unknown provider {name!r}; available: {', '.join(names)}")
    provider = getattr(importlib.import_module(f"{PACKAGE}.{name}"), "PROVIDER", None)
    if not isinstance(provider, ProviderDef) or provider.name != name:
        raise TypeError(f"mockserver/providers/{name}/__init__.py must define PROVIDER = ProviderDef({name!r}, ...)")
    return provider
