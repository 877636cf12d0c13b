"""The provider folders the mock serves; each exposes ``PROVIDER`` (a ``ProviderDef``).

Adding a provider: a spec in ``specs/``, a contract module in ``contracts/providers/``, a folder here, and
its name in ``AVAILABLE``.
"""

from __future__ import annotations

import importlib

from ..core.provider import ProviderDef

AVAILABLE = ("photoroom", "tengr", "sellerpic", "prodia")


def load(name: str) -> ProviderDef:
    if name not in AVAILABLE:
        raise KeyError(f"unknown provider {name!r}; available: {', '.join(AVAILABLE)}")
    return importlib.import_module(f"{__name__}.{name}").PROVIDER


def implemented() -> tuple[str, ...]:
    """The providers whose folders exist (all of ``AVAILABLE`` once every provider has landed)."""
    out = []
    for name in AVAILABLE:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        out.append(name)
    return tuple(out)
