"""tengr's mock behaviour as ``specs/tengr.yaml`` records it: every number here is read from the spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import contracts

from ...core.imagelimits import Limits, formats_from
from ...jobs import DeliveryPolicy

PROVIDER = "tengr"
DAY = 86_400.0


def raw() -> dict[str, Any]:
    return contracts.spec(PROVIDER).raw


def _webhook_post() -> dict[str, Any]:
    return raw()["webhooks"]["artworkCompleted"]["post"]


def retention_seconds() -> float:
    """How long an artwork and its files live after creation (documented: 8 days)."""
    return float(raw()["x-segmock-retention-days"]) * DAY


def delivery_policy() -> DeliveryPolicy:
    """The spec's retry policy in the engine's terms; the engine backs off by doubling, so must the spec."""
    node = _webhook_post()["x-segmock-delivery"]
    backoff = [float(s) for s in node["backoffSeconds"]]
    base = backoff[0] if backoff else 0.0
    if backoff != [base * 2**i for i in range(len(backoff))] or len(backoff) != int(node["maxAttempts"]) - 1:
        raise ValueError("tengr x-segmock-delivery: backoffSeconds must double and hold maxAttempts - 1 delays")
    return DeliveryPolicy(attempts=int(node["maxAttempts"]), base_delay=base, timeout=float(node["timeoutSeconds"]))


@dataclass(frozen=True)
class Signature:
    """Where and how a webhook delivery carries its HMAC."""

    header: str
    format: str


def signature(config: Any = None) -> Signature:
    """segmock's webhook signature scheme (tengr documents none): the spec's default, or the header and format
    ``MockConfig.webhook_signature_header`` / ``webhook_signature_format`` choose."""
    node = _webhook_post()["x-segmock-signature"]
    header = getattr(config, "webhook_signature_header", None) or node["header"]
    template = getattr(config, "webhook_signature_format", None) or node["format"]
    return Signature(header, template.replace("{hexdigest}", "{}"))


def input_limits() -> Limits:
    node = raw()["x-segmock-input-limits"]
    return Limits(max_bytes=int(node["max_bytes"]), formats=formats_from(node["formats"]),
                  max_pixels=int(node["max_pixels"]))


@dataclass(frozen=True)
class ResultFormat:
    media_type: str
    extension: str
    lossless: bool


def result_format(output_format: str) -> ResultFormat:
    node = raw()["x-segmock-result-formats"][output_format]
    return ResultFormat(node["mediaType"], node["extension"], bool(node["lossless"]))


def media_type_of(extension: str) -> str | None:
    """The media type a result file with this extension is served as."""
    formats = raw()["x-segmock-result-formats"]
    return next((node["mediaType"] for node in formats.values()
                 if isinstance(node, dict) and node["extension"] == extension), None)


def mask_values() -> tuple[str, int, int]:
    """(PIL mode, foreground value, background value) of a result mask."""
    node = raw()["x-segmock-mask"]
    return node["mode"], int(node["foreground"]), int(node["background"])


def failure_header() -> str:
    return str(raw()["x-segmock-failure-reason-header"])


def forbidden_prefix() -> str:
    return str(raw()["x-segmock-forbidden-keys"]["prefix"])


def catalog_message(key: str) -> str | None:
    entry = contracts.spec(PROVIDER).errors.get(key)
    return str(entry["message"]) if isinstance(entry, dict) and "message" in entry else None
