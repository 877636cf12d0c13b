"""segmock cassettes: one readable YAML file per recording, binary bodies as files beside it.

```yaml
segmock-cassette: 1
provider: photoroom
interactions:
- request: {method: POST, url: https://sdk.photoroom.com/v1/segment, headers: {...},
            body: {multipart: {boundary: ..., parts: [{name: image_file, filename: cat.png, asset: ...}]}}}
  response: {status: 200, headers: {...}, body: {asset: cat.assets/3f2a....png, size: 48213}}
```

``load`` also reads VCR.py / pytest-recording cassettes as they are, so every command takes either.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from werkzeug.datastructures import Headers

from contracts.cassettes import bodies
from contracts.wire.exchange import HttpRequest, HttpResponse

FORMAT_KEY = "segmock-cassette"
FORMAT_VERSION = 1


@dataclass
class Interaction:
    """One recorded exchange, as it went over the wire (after redaction)."""

    request: HttpRequest
    response: HttpResponse
    recorded_at: str | None = None
    duration_ms: float | None = None


@dataclass
class Cassette:
    path: Path | None
    interactions: list[Interaction] = field(default_factory=list)
    provider: str | None = None
    format: str = "segmock"
    redaction: dict[str, Any] | None = None


def assets_dir(path: Path) -> Path:
    return path.with_name(path.stem + ".assets")


def headers_node(headers: Headers) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in headers.items():
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def headers_from(node: Any) -> Headers:
    out = Headers()
    for name, value in (node or {}).items():
        for v in value if isinstance(value, list) else [value]:
            out.add(str(name), str(v))
    return out


class _Assets:
    """Saves and loads a cassette's asset files by path relative to the cassette."""

    def __init__(self, path: Path) -> None:
        self.base = path.parent
        self.folder = assets_dir(path)

    def save(self, data: bytes, ext: str | None) -> str:
        return bodies.write_asset(self.folder, data, ext).relative_to(self.base).as_posix()

    def load(self, ref: str) -> bytes:
        return (self.base / ref).read_bytes()


def interaction_node(interaction: Interaction, assets: _Assets) -> dict[str, Any]:
    req, resp = interaction.request, interaction.response
    lower_req = {k.lower(): v for k, v in req.headers.items()}
    lower_resp = {k.lower(): v for k, v in resp.headers.items()}
    node: dict[str, Any] = {}
    if interaction.recorded_at:
        node["recorded_at"] = interaction.recorded_at
    if interaction.duration_ms is not None:
        node["duration_ms"] = round(interaction.duration_ms, 1)
    node["request"] = {"method": req.method, "url": req.url, "headers": headers_node(req.headers),
                       "body": bodies.describe(req.body, req.content_type, assets.save, lower_req)}
    node["response"] = {"status": resp.status, "headers": headers_node(resp.headers),
                        "body": bodies.describe(resp.body, resp.content_type, assets.save, lower_resp)}
    return node


def interaction_from(node: dict[str, Any], assets: _Assets) -> Interaction:
    req, resp = node["request"], node["response"]
    return Interaction(
        HttpRequest(req["method"], req["url"], headers_from(req.get("headers")),
                    bodies.rebuild(req.get("body"), assets.load)),
        HttpResponse(int(resp["status"]), headers_from(resp.get("headers")),
                     bodies.rebuild(resp.get("body"), assets.load)),
        node.get("recorded_at"),
        node.get("duration_ms"),
    )


def _dump_yaml(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks so text bodies read like the text they are."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def save(cassette: Cassette, path: Path | str) -> Path:
    """Write ``cassette`` in segmock's format (assets beside it)."""
    path = Path(path)
    assets = _Assets(path)
    document = _document(cassette.provider, cassette.redaction,
                         [interaction_node(i, assets) for i in cassette.interactions])
    _write_atomic(path, _dump_yaml(document))
    return path


def _document(provider: str | None, redaction: dict[str, Any] | None, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION}
    if provider:
        document["provider"] = provider
    if redaction:
        document["redaction"] = redaction
    document["interactions"] = nodes
    return document


def load(path: Path | str) -> Cassette:
    """Read a segmock or VCR.py cassette (YAML or JSON)."""
    from contracts.cassettes import vcr

    path = Path(path)
    with path.open("rb") as fh:
        document = yaml.safe_load(fh)
    if not isinstance(document, dict) or not isinstance(document.get("interactions", 0), (list, type(None))):
        raise ValueError(f"{path}: not a cassette (no 'interactions' list)")
    document["interactions"] = document["interactions"] or []
    if FORMAT_KEY not in document:
        return Cassette(path, vcr.interactions_from(document), None, "vcr")
    assets = _Assets(path)
    return Cassette(path, [interaction_from(n, assets) for n in document["interactions"]],
                    document.get("provider"), "segmock", document.get("redaction"))


class CassetteWriter:
    """Appends interactions to a cassette file as they happen, without rewriting what is there.

    The interactions list is the document's last key, so each new interaction is appended as one more
    ``- ...`` item: recording stays O(1) per exchange however long the session, a crash loses at most the
    exchange being written, and a restarted proxy worker continues the same file.
    """

    def __init__(self, path: Path | str, provider: str | None, redaction: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._assets = _Assets(self.path)
        self._lock = threading.Lock()
        if self.path.exists():
            with self.path.open("rb") as fh:
                self._count = len((yaml.safe_load(fh) or {}).get("interactions") or [])
        else:
            header = _dump_yaml({k: v for k, v in _document(provider, redaction, []).items() if k != "interactions"})
            _write_atomic(self.path, header + "interactions:\n")
            self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, interaction: Interaction) -> int:
        """Add one interaction; returns its 1-based index in the cassette."""
        text = _dump_yaml([interaction_node(interaction, self._assets)])
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)
            self._count += 1
            return self._count
