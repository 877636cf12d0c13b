"""What the mock needs to know about Prodia, read once from ``specs/prodia.yaml`` (never restated in Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import contracts

from ...core.imagelimits import Limits, formats_from


@dataclass(frozen=True)
class JobType:
    """One canonical job type of ``x-segmock-job-types``: its input limits, outputs, timing, price, permits."""

    name: str
    prompted: bool
    async_permitted: bool
    outputs: str
    output_format: str
    elapsed: float
    price: dict[str, Any]
    config_defaults: dict[str, Any]
    limits: Limits | None
    input_node: dict[str, Any] = field(default_factory=dict)

    @property
    def segments(self) -> bool:
        return self.outputs == "masks"


@dataclass(frozen=True)
class Facts:
    """The spec's mock facts for Prodia, as typed values."""

    types: dict[str, JobType]
    aliases: dict[str, str]
    expiry_seconds: float
    foreground: int
    background: int
    mask_format: str
    filename_template: str

    def job_type(self, sent_type: str) -> JobType | None:
        return self.types.get(self.aliases.get(sent_type, sent_type))

    def output_name(self, index: int, ext: str) -> str:
        return self.filename_template.format(index=index, ext=ext)


def load() -> Facts:
    """Build the facts from the spec (a ``ValueError`` names a spec node the mock cannot honour)."""
    spec = contracts.spec("prodia")
    raw = spec.raw
    masks = raw["x-segmock-mask"]
    types = {name: _job_type(spec, name, node, masks["format"]) for name, node in raw["x-segmock-job-types"].items()}
    return Facts(types, dict(raw["x-segmock-job-type-aliases"]), float(raw["x-segmock-job-expiry"]["seconds"]),
                 int(masks["foreground"]), int(masks["background"]), masks["format"],
                 raw["x-segmock-output-filename"]["template"])


def _job_type(spec: Any, name: str, node: dict[str, Any], mask_format: str) -> JobType:
    request = spec.resolve({"$ref": node["request_schema"]})
    config = spec.resolve(request.get("properties", {}).get("config", {}))
    defaults = {key: spec.resolve(prop)["default"] for key, prop in config.get("properties", {}).items()
                if "default" in spec.resolve(prop)}
    return JobType(name=name, prompted=bool(node.get("prompted")), async_permitted=bool(node.get("async_permitted")),
                   outputs=node.get("outputs", "masks"), output_format=node.get("output_format", mask_format),
                   elapsed=float(node["metrics_elapsed"]), price=plain(node["price"]), config_defaults=defaults,
                   limits=_limits(name, node.get("input")), input_node=dict(node.get("input") or {}))


def _limits(name: str, node: dict[str, Any] | None) -> Limits | None:
    if node is None:
        return None
    if node["min_width"] != node["min_height"]:
        raise ValueError(f"{name}: the mock checks one minimum side; min_width and min_height must agree")
    return Limits(max_bytes=node["max_bytes"], formats=formats_from(node["formats"]), max_width=node["max_width"],
                  max_height=node["max_height"], min_side=node["min_width"])


def plain(node: dict[str, Any]) -> dict[str, Any]:
    """A spec node without its ``x-segmock-*`` annotations."""
    return {k: v for k, v in node.items() if not k.startswith("x-")}
