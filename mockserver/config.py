"""Configuration of a mock server: one object, passed to ``create_app``; no module-level settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class MockConfig:
    """How the mock behaves. Defaults suit a developer's machine; the pytest fixtures adjust a few.

    ``api_keys`` empty means any non-empty key is accepted (as a real key would be); otherwise only these.
    ``job_progression`` is ``immediate``, ``polls:N`` or ``seconds:S`` (per provider via ``{"tengr": ...}``).
    ``fetch_allow_hosts`` empty allows fetching ``imageUrl`` from public, loopback and private hosts; link-local,
    cloud-metadata, unspecified and multicast addresses are always refused, in any spelling
    (``core.outbound``); non-empty restricts fetching to those hosts (shared deployments).
    ``rate_limits`` maps a provider to keys overriding its spec's ``x-segmock-rate-limit`` (e.g.
    ``{"tengr": {"limit": 3}}``), so a test reaches 429 without sending the documented volume.
    ``work_memory_bytes`` bounds the memory of image work in flight across the whole server, split evenly
    between its ``workers`` processes (``segmock serve --workers N`` sets it); requests beyond it wait.
    ``webhook_signature_header`` and ``webhook_signature_format`` (with ``{hexdigest}`` where the HMAC-SHA256 goes)
    replace segmock's invented tengr webhook signature (``X-Tengr-Signature: sha256={hexdigest}``; tengr documents
    none), so a client can be tested against the scheme it really receives.
    ``clock`` is ``real`` (default) or ``frozen:<ISO 8601 UTC>``: the time stamped on jobs whose JSON shows it
    (Prodia's ``created_at``/``updated_at``/``expires_at``), frozen for byte-identical answers.
    ``webhook_delivery`` overrides the documented webhook retry policy (``attempts``, ``base_delay``,
    ``timeout`` in seconds), so tests need not wait real backoff delays.

    The config is checked when it is made, not on the first request: ``state_dir`` may be any path-like
    (a ``str`` too), and an unknown provider, rate-limit key or a journal smaller than 1 raises ``ValueError``.
    """

    providers: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()
    state_dir: Path | None = None  # a str or any os.PathLike is accepted and made a Path
    job_progression: str | dict[str, str] = "polls:2"
    segmenter: str | None = None
    allow_private_webhooks: bool = False
    webhook_secret: str = "segmock-webhook-secret"
    webhook_signature_header: str | None = None
    webhook_signature_format: str | None = None
    clock: str = "real"
    fetch_allow_hosts: tuple[str, ...] = ()
    fetch_timeout: float = 10.0
    fetch_max_redirects: int = 3
    max_image_pixels: int = 100_000_000
    work_memory_bytes: int = 2 * 2**30
    workers: int = 1
    journal_size: int = 1000
    journal_thumbnails: bool = True
    log_format: str | None = None
    rate_limits: dict[str, Any] = field(default_factory=dict)
    webhook_delivery: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state_dir is not None:
            self.state_dir = Path(os.fspath(self.state_dir))
        if isinstance(self.providers, str):
            self.providers = (self.providers,)
        self.providers = tuple(self.providers)
        self.api_keys = (self.api_keys,) if isinstance(self.api_keys, str) else tuple(self.api_keys)
        self.fetch_allow_hosts = tuple(self.fetch_allow_hosts)
        self.validate()

    def validate(self, *, load_segmenter: bool = False) -> None:
        """Raise ``ValueError`` with one clear sentence for a setting every affected request would trip on
        (so ``segmock serve`` refuses to start instead of answering 500s): unknown providers or rate-limit keys,
        a progression that does not parse, a journal smaller than 1. ``load_segmenter`` also imports and builds
        ``segmenter`` (the CLI does; the app builds it lazily on the first segmentation)."""
        from .core.ratelimit import checked_overrides
        from .core.registry import available
        from .jobs.progression import Progression

        names = available()
        unknown = [p for p in self.providers if p not in names]
        if unknown:
            raise ValueError(f"unknown provider(s): {', '.join(unknown)}; available: {', '.join(names)}")
        progressions = self.job_progression if isinstance(self.job_progression, dict) else {"": self.job_progression}
        for provider, text in progressions.items():
            try:
                Progression.parse(text)
            except ValueError as exc:
                raise ValueError(f"job_progression{f' of {provider}' if provider else ''}: {exc}") from None
        if self.webhook_signature_format is not None and "{hexdigest}" not in self.webhook_signature_format:
            raise ValueError("webhook_signature_format must contain {hexdigest}, e.g. 'sha256={hexdigest}'")
        if self.webhook_signature_header is not None and not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+",
                                                                           self.webhook_signature_header):
            raise ValueError(f"webhook_signature_header {self.webhook_signature_header!r} is not a header name")
        parse_clock(self.clock)
        if self.journal_size < 1:
            raise ValueError(f"journal_size must be at least 1, not {self.journal_size}")
        checked_overrides(self.rate_limits)
        if self.segmenter and load_segmenter:
            from .segmenter import load_segmenter as load

            try:
                load(self.segmenter)
            except Exception as exc:  # an import error, a missing factory, a factory that fails: all the user's
                raise ValueError(f"segmenter {self.segmenter!r} cannot be loaded: {type(exc).__name__}: {exc}"
                                 ) from None

    def resolved_state_dir(self) -> Path:
        """The state directory, created on first use (a fresh temp dir when none was configured)."""
        if self.state_dir is None:
            self.state_dir = Path(tempfile.mkdtemp(prefix="segmock-state-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    def replace(self, **changes: Any) -> MockConfig:
        return dataclasses.replace(self, **changes)


def parse_clock(text: str) -> float | None:
    """``real`` → None (the machine's clock); ``frozen:2025-01-01T00:00:00Z`` → that instant (epoch seconds)."""
    if text == "real":
        return None
    kind, _, when = text.partition(":")
    if kind != "frozen" or not when:
        raise ValueError(f"clock must be 'real' or 'frozen:<ISO 8601 time>', not {text!r}")
    try:
        instant = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"clock {text!r}: {when!r} is not an ISO 8601 time (e.g. 2025-01-01T00:00:00Z)") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.timestamp()
