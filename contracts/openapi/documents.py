"""Find, load and index the bundled provider specs.

The specs ship inside the wheel as ``contracts/specs/*.yaml``; in a checkout they live in the top-level
``specs/`` folder. Both are found the same way, so code never cares which it runs from.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from . import extensions
from .security import Credential, credential

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# libyaml parses the specs ten times faster than the pure-Python loader (start-up time).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_dir() -> Path:
    """Return the folder holding the provider specs (installed wheel first, then checkout)."""
    packaged = resources.files("contracts") / "specs"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "specs"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("segmock specs not found: neither contracts/specs nor ./specs exists")


def providers() -> list[str]:
    """Names of the providers segmock knows, one per bundled spec."""
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, indexed for matching requests by method and path."""

    provider: str
    operation_id: str
    method: str
    path: str
    servers: tuple[str, ...]
    node: dict[str, Any] = field(repr=False, compare=False)
    regex: re.Pattern[str] = field(repr=False, compare=False)

    @property
    def base_url(self) -> str:
        return self.servers[0] if self.servers else ""

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.lower() != self.method:
            return None
        m = self.regex.fullmatch(path)
        return m.groupdict() if m else None


def default_url(server: dict[str, Any]) -> str:
    """A ``servers`` entry's URL with its variables at their defaults."""
    url = server["url"]
    for var, spec_ in server.get("variables", {}).items():
        url = url.replace("{" + var + "}", str(spec_.get("default", "")))
    return url


def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    out = []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            group = re.sub(r"\W", "_", part[1:-1])
            out.append(f"(?P<{group}>[^/]+)")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


class Spec:
    """A provider's OpenAPI document, with a few lookups the rest of segmock needs."""

    def __init__(self, name: str, raw: dict[str, Any], path: Path | None = None) -> None:
        self.name = name
        self.raw = raw
        self.path = path
        self.operations: dict[str, Operation] = {}
        top_servers = tuple(s["url"] for s in raw.get("servers", []))
        for tpl, item in raw.get("paths", {}).items():
            path_servers = tuple(s["url"] for s in item.get("servers", [])) or top_servers
            for method in HTTP_METHODS:
                node = item.get(method)
                if node is None:
                    continue
                servers = tuple(s["url"] for s in node.get("servers", [])) or path_servers
                op = Operation(name, node["operationId"], method, tpl, servers, node, _path_regex(tpl))
                self.operations[op.operation_id] = op
        # Literal paths win over templated ones (``/v2/artworks/x`` vs ``/v2/artworks/{id}``).
        self._ordered = sorted(self.operations.values(), key=lambda o: (o.path.count("{"), -len(o.path)))
        self._parameters: dict[str, list[dict[str, Any]]] = {}

    def __repr__(self) -> str:
        return f"Spec({self.name!r}, {len(self.operations)} operations)"

    @functools.cached_property
    def credential(self) -> Credential | None:
        """Where the provider's key travels and how to read it (its ``securitySchemes``); None: no auth."""
        return credential(self.raw)

    def requires_key(self, op: Operation) -> bool:
        """Whether the operation needs a key (its own ``security``, else the document's)."""
        return bool(op.node.get("security", self.raw.get("security"))) and self.credential is not None

    @functools.cached_property  # asked on every request; operations are fixed once the document is read
    def unmocked(self) -> frozenset[str]:
        """Operations the provider documents and segmock deliberately does not mock (``x-segmock-unmocked``):
        the mock answers them with the catalog's ``not_mocked`` error (501), never a 404 or 405."""
        return frozenset(op_id for op_id, op in self.operations.items() if op.node.get("x-segmock-unmocked"))

    @property
    def errors(self) -> dict[str, Any]:
        """The provider's error catalog (``x-segmock-errors``)."""
        return self.raw.get("x-segmock-errors", {})

    @property
    def base_urls(self) -> list[str]:
        seen: list[str] = []
        for op in self.operations.values():
            for url in op.servers:
                if url not in seen:
                    seen.append(url)
        return seen

    @property
    def hosts(self) -> list[str]:
        """The real hosts (``netloc``) of the provider, with server variables at their defaults."""
        servers = [*self.raw.get("servers", []),
                   *(s for item in self.raw.get("paths", {}).values() for s in item.get("servers", [])),
                   *(s for op in self.operations.values() for s in op.node.get("servers", []))]
        out: list[str] = []
        for server in servers:
            host = default_url(server).split("://", 1)[-1].split("/", 1)[0]
            if host and host not in out:
                out.append(host)
        return out

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation serving ``method path`` (host ignored), with its path parameters."""
        for op in self._ordered:
            params = op.match(method, path)
            if params is not None:
                return op, params
        return None

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        """The operation's parameters (path-level ones merged in, ``$ref`` resolved), worked out once."""
        found = self._parameters.get(op.operation_id)
        if found is None:
            merged: dict[tuple[str, str], dict[str, Any]] = {}
            for p in [*self.raw["paths"][op.path].get("parameters", []), *op.node.get("parameters", [])]:
                p = self.resolve(p)
                merged[(p["name"], p["in"])] = p
            found = self._parameters[op.operation_id] = list(merged.values())
        return found

    def path_known(self, path: str) -> bool:
        return any(op.regex.fullmatch(path) for op in self._ordered)

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref`` chains inside this document; keywords beside a ``$ref`` (3.1) win over the target's."""
        return resolve_in(self.raw, node)

    def iter_assumptions(self) -> Iterator[tuple[str, str]]:
        """Every ``x-segmock-assumption`` in the document, as (JSON pointer, text)."""

        def walk(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    child = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
                    if key == "x-segmock-assumption":
                        for text in value if isinstance(value, list) else [value]:
                            yield pointer, str(text)
                    else:
                        yield from walk(value, child)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    yield from walk(value, f"{pointer}/{i}")

        yield from walk(self.raw, "")


def resolve_in(document: dict[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` chain inside ``document`` followed; keywords beside a ``$ref`` (3.1) win over
    the target's. Any OpenAPI document, ours or a provider's published one."""
    siblings: dict[str, Any] = {}
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local refs are supported: {ref}")
        siblings = {**{k: v for k, v in node.items() if k != "$ref"}, **siblings}
        target: Any = document
        for key in ref[2:].split("/"):  # a URI fragment: percent-decoded first (RFC 6901, section 6)
            target = target[unquote(key).replace("~1", "/").replace("~0", "~")]
        node = target
    return {**node, **siblings} if siblings and isinstance(node, dict) else node


@functools.cache
def spec(name: str) -> Spec:
    """The loaded spec of provider ``name`` (cached: specs are read once per process)."""
    path = spec_dir() / f"{name}.yaml"
    if not path.is_file():
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(providers())}")
    return Spec(name, load_document(path), path)


def cache_dir() -> Path:
    """Where parsed specs are kept: ``$SEGMOCK_CACHE_DIR``, else the user's cache folder."""
    chosen = os.environ.get("SEGMOCK_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "segmock"


def load_document(path: Path) -> dict[str, Any]:
    """A spec file parsed and its ``x-segmock-*`` keys checked (``SpecError`` otherwise), through a JSON copy
    named by the file's and the extension schema's digests (parsing the YAML is a tenth of ``segmock serve``'s
    start-up; reading JSON costs nothing). The YAML stays the one source: an edited spec has a new digest, and
    a document JSON would not carry faithfully is never cached."""
    data = path.read_bytes()
    digest = f"{hashlib.sha256(data).hexdigest()[:32]}-{extensions.schema_digest()}"
    cached = cache_dir() / f"{path.stem}-{digest}.json"
    try:
        found: dict[str, Any] = json.loads(cached.read_bytes())
        return found
    except (OSError, ValueError):
        pass
    raw: dict[str, Any] = yaml.load(data, Loader=_LOADER)
    extensions.check(raw, path.name)  # once per spec edit: a checked document is what gets cached
    try:
        text = json.dumps(raw, ensure_ascii=False)
        if json.loads(text) == raw:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, cached)
    except (OSError, TypeError, ValueError):
        pass  # an unwritable cache only costs the next start the YAML parse
    return raw
