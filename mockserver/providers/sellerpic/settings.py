"""Every SellerPic number and word the mock needs, read from ``specs/sellerpic.yaml`` (never restated)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import contracts

from ...core.imagelimits import Limits, formats_from

PROVIDER = "sellerpic"


@dataclass(frozen=True)
class Settings:
    """The spec's mock-only facts (``x-segmock-*``), gathered once per process."""

    raw: Mapping[str, Any]

    @property
    def spec(self) -> Any:
        return contracts.spec(PROVIDER)

    def node(self, operation: str) -> Mapping[str, Any]:
        return self.spec.operations[operation].node

    def path(self, operation: str, **params: str) -> str:
        """The spec's path of ``operation`` with its template filled in (URLs the mock hands out)."""
        path = self.spec.operations[operation].path
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        return path

    # -- images ------------------------------------------------------------------------------------------
    def input_limits(self, operation: str) -> Limits:
        lim = self.node(operation)["x-segmock-input-limits"]
        return Limits(max_bytes=lim.get("max_bytes"), formats=formats_from(lim["formats"]),
                      max_side=lim.get("max_side_px"), allow_animated=lim.get("animated", True))

    def task_type(self, operation: str) -> str:
        return str(self.node(operation)["x-segmock-task-type"])

    def sample_keys(self) -> tuple[str, ...]:
        return tuple(self.raw["x-segmock-sample-keys"]["keys"])

    def segment_types(self) -> Mapping[str, Mapping[str, Any]]:
        return self.spec.raw["components"]["schemas"]["SegmentType"]["x-segmock-mask-recipes"]

    def segment_type(self, kind: str) -> Mapping[str, Any]:
        """The mask recipe of a ``type``: a known category in any case, else a text prompt of the word itself
        (the enum is undocumented, so no value is refused)."""
        known = {name.upper(): recipe for name, recipe in self.segment_types().items()}
        return known.get(kind.strip().upper()) or {"source": "prompt", "prompt": kind.strip().lower()}

    # -- accounts, credits, concurrency --------------------------------------------------------------------
    @property
    def account(self) -> Mapping[str, Any]:
        return self.raw["x-segmock-account"]

    def credits(self, task_type: str) -> int:
        return int(self.raw["x-segmock-credits"]["per_task"][task_type])

    def concurrency_limit(self, task_type: str) -> int:
        limits = self.raw["x-segmock-concurrency"]["limits_per_task_type"]
        return int(limits.get(task_type, limits["other"]))

    # -- tasks -------------------------------------------------------------------------------------------
    @property
    def lifecycle(self) -> Mapping[str, Any]:
        return self.raw["x-segmock-task-lifecycle"]

    def status_of(self, engine_state: str) -> str:
        """SellerPic's word for a job-engine state (``queued`` → ``CREATED`` …)."""
        return str(self.lifecycle["engine_states"][engine_state])

    @property
    def failed_item(self) -> Mapping[str, Any]:
        return self.lifecycle["failed_item"]

    # -- storage URLs ------------------------------------------------------------------------------------
    @property
    def upload_url_ttl(self) -> float:
        return float(self.raw["x-segmock-storage"]["upload_url_ttl_seconds"])

    @property
    def download_url_ttl(self) -> float:
        return float(self.raw["x-segmock-storage"]["download_url_ttl_seconds"])

    def download_formats(self) -> tuple[str, ...]:
        return tuple(self.node("get-download-url")["x-segmock-download-formats"]["image"])

    def uhd_max_side(self) -> int:
        for param in self.node("get-download-url")["parameters"]:
            if param["name"] == "uhd":
                return int(param["x-segmock-uhd-max-side-px"])
        raise KeyError("uhd")


def settings() -> Settings:
    """The settings of the loaded spec (the spec itself is cached by ``contracts``)."""
    return Settings(contracts.spec(PROVIDER).raw)
