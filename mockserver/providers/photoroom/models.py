"""Photoroom state and rules of the game: accounts, image quota, sandbox allowance, rate limit, masks.

Every number (costs, allowances, limits) is read from ``specs/photoroom.yaml``; counters live in the
shared state store so several worker processes agree on them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import contracts
from contracts import HttpResponse
from contracts.check.providers import error_response

from ...core.imagelimits import Limits, formats_from
from ...core.keys import owner_key
from ...core.services import Services

if TYPE_CHECKING:
    import numpy as np

V1 = ("remove-background",)
# Photoroom exposes no confidence parameter; a detection counts when the segmenter is at least even-odds.
PROMPT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Key:
    """An API key as Photoroom reads it: ``sandbox_<real key>`` is the sandbox twin of ``<real key>``."""

    raw: str
    sandbox: bool

    @property
    def account(self) -> str:
        return self.raw.removeprefix(_spec_value("x-segmock-sandbox", "key_prefix")) if self.sandbox else self.raw


def _spec_value(*path: str) -> Any:
    node: Any = contracts.spec("photoroom").raw
    for key in path:
        node = node[key]
    return node


def parse_key(raw: str) -> Key:
    return Key(raw, raw.startswith(_spec_value("x-segmock-sandbox", "key_prefix")))


class PhotoroomBackend:
    """Quota, sandbox and rate-limit bookkeeping for the mock's Photoroom accounts."""

    def __init__(self, services: Services) -> None:
        self.services = services
        raw = contracts.spec("photoroom").raw
        self.billing = raw["x-segmock-billing"]
        self.sandbox = raw["x-segmock-sandbox"]
        self.account_defaults = raw["x-segmock-account"]

    # -- limits read from the spec -----------------------------------------------------------------------
    @functools.cached_property
    def operations(self) -> dict[str, Any]:
        return contracts.spec("photoroom").operations

    def limits(self, operation: str) -> dict[str, Any]:
        return self.operations[operation].node.get("x-segmock-input-limits", {})

    def image_limits(self, operation: str) -> Limits:
        lim = self.limits(operation)
        return Limits(
            max_bytes=lim.get("max_bytes"),
            formats=formats_from(lim.get("formats", ("png", "jpeg", "webp"))),
            max_side=lim.get("max_side_px"),
        )

    # -- accounts ----------------------------------------------------------------------------------------
    def _scope(self, key: Key) -> str:
        return f"photoroom:{owner_key(key.account)}"

    def available(self, key: Key) -> float:
        return self.services.counters.get(self._scope(key), "available", float(self.account_defaults["images"]))

    def set_available(self, raw_key: str, images: float) -> None:
        """Set a key's remaining images (tests use it to reach the 402 path)."""
        key = parse_key(raw_key)
        self.services.counters.add(self._scope(key), "available", images - self.available(key),
                                   start=float(self.account_defaults["images"]))

    def account(self, raw_key: str) -> dict[str, Any]:
        key = parse_key(raw_key)
        available = self.available(key)
        return {
            "images": {"available": _number(available), "subscription": self.account_defaults["images"]},
            "plan": self.account_defaults["plan"],
        }

    def cost(self, operation: str) -> float:
        return float(self.billing["cost_per_call"][self.account_defaults["plan"]].get(operation, 0))

    def admit(self, raw_key: str, operation: str) -> HttpResponse | None:
        """Refuse a call the account cannot afford or the rate limit forbids (nothing is consumed)."""
        key = parse_key(raw_key)
        counters = self.services.counters
        counted = self.services.rate_hit("photoroom", key.account, operation)
        if counted is not None and not counted[1].allowed:
            rule, decision = counted
            return error_response("photoroom", "rate_limited", operation, headers=rule.on_refusal(decision))
        if key.sandbox and operation in self.sandbox["operations"]:
            today = dt.datetime.now(dt.UTC)
            scope = f"photoroom-sandbox:{owner_key(key.account)}"
            if (counters.get(scope, f"day:{today:%Y-%m-%d}") >= self.sandbox["daily_calls"]
                    or counters.get(scope, f"month:{today:%Y-%m}") >= self.sandbox["monthly_calls"]):
                return error_response("photoroom", "sandbox_quota_exhausted", operation)
            return None
        if self.available(key) < self.cost(operation) - 1e-9:
            return error_response("photoroom", "credits_exhausted", operation)
        return None

    def charge(self, raw_key: str, operation: str) -> None:
        """Consume the images of one successful call (failed calls are free, as Photoroom documents)."""
        key = parse_key(raw_key)
        counters = self.services.counters
        if key.sandbox and operation in self.sandbox["operations"]:
            today = dt.datetime.now(dt.UTC)
            scope = f"photoroom-sandbox:{owner_key(key.account)}"
            counters.add(scope, f"day:{today:%Y-%m-%d}", 1)
            counters.add(scope, f"month:{today:%Y-%m}", 1)
            return
        cost = self.cost(operation)
        if cost:
            counters.add(self._scope(key), "available", -cost, start=float(self.account_defaults["images"]))

    def reset(self) -> None:
        """Counters are cleared by the services; nothing else is held here."""


def max_body(operation: str) -> int | None:
    """Whole-request cap checked from Content-Length: every image field at its limit, plus form overhead."""
    node = contracts.spec("photoroom").operations[operation].node
    per_image = node.get("x-segmock-input-limits", {}).get("max_bytes")
    return None if per_image is None else per_image * max(1, _binary_fields(operation)) + 1_000_000


@functools.cache  # specs are read once per process; this walk was ~90 ref lookups on every request
def _binary_fields(operation: str) -> int:
    spec = contracts.spec("photoroom")
    body = spec.resolve(spec.operations[operation].node.get("requestBody", {}))
    count = 0
    for media in body.get("content", {}).values():
        for prop in spec.resolve(media.get("schema", {})).get("properties", {}).values():
            count += spec.resolve(prop).get("format") == "binary"
    return count


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def uncertainty(score: float) -> str:
    """``x-uncertainty-score``: 0 is a confident cutout (the segmenter's confidence turned around)."""
    return f"{max(0.0, min(1.0, 1.0 - score)):.4f}"


def subject_alpha(segmenter: Any, pixels: np.ndarray, params: dict[str, Any]) -> tuple[np.ndarray | None, str | None]:
    """The subject's alpha for ``/v2/edit`` and its uncertainty: existing transparency, a text-guided mask, or
    the salient object.

    ``removeBackground=false`` keeps every pixel (None). ``keepExistingAlphaChannel=auto`` uses the
    input's own alpha when it has transparency. ``segmentation.prompt`` keeps what the prompt names, minus
    ``negativePrompt``, plus the salient object with ``mode=keepSalientObject`` (the segmenter applies the
    documented combination).
    """
    import numpy as np  # with the first image: account and quota calls start without numpy

    if params.get("removeBackground") is False:
        return None, None
    if params.get("keepExistingAlphaChannel") == "auto" and pixels.ndim == 3 and pixels.shape[2] == 4:
        alpha = pixels[:, :, 3]
        if alpha.min() < 255:
            return np.ascontiguousarray(alpha), uncertainty(1.0)
    prompt = params.get("segmentation.prompt")
    if prompt:
        from ...segmenter import combine

        detections = segmenter.text(pixels, prompt, negative=params.get("segmentation.negativePrompt"),
                                    salient_mode=params.get("segmentation.mode"))
        kept = [d for d in detections if d.score >= PROMPT_THRESHOLD]
        mask = combine(kept, pixels.shape[:2])
        return np.where(mask, 255, 0).astype(np.uint8), uncertainty(max((d.score for d in kept), default=0.0))
    result = segmenter.salient(pixels)
    return result.alpha, uncertainty(result.score)
