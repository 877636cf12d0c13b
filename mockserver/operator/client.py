"""Talk to a mock's operator API from Python: the journal as objects, faults and canned answers as one call.

The pytest fixtures expose these methods (``mockserver.operator.api``); ``OperatorClient(url)`` does the same
for any ``segmock serve`` (several workers included, since the journal and faults are shared through the state
directory). Given a ``transport`` (``httpx.WSGITransport(app=app)``) it talks to an app in-process, no socket.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from .admin import PREFIX
from .journal import ExchangeSummary


@dataclass
class JournalEntry(ExchangeSummary):
    """One request the mock answered. ``params`` are the parameters as sent (uploads as
    ``{bytes, sha256, width, height, format}``); ``image`` is the first upload's ``(width, height)``;
    ``status`` is None when a fault broke the connection (``fault`` says which, or ``"answer"``/``"mask"`` for a
    canned answer); ``reason`` says why the mock refused or failed a request (an ``imageUrl`` it could not
    fetch …); ``response_text`` is a JSON or text answer (cut at 2000 characters)."""

    seq: int
    image: tuple[int, int] | None
    image_format: str | None
    outputs: list[str] = field(default_factory=list)
    reason: str | None = None
    response_text: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        image = data.get("image")
        return cls(**{f.name: data[f.name] for f in fields(ExchangeSummary)}, seq=data["seq"],
                   image=(image["width"], image["height"]) if image else None,
                   image_format=image.get("format") if image else None, outputs=list(data.get("outputs", [])),
                   reason=data.get("reason"), response_text=data.get("response_text"))


class OperatorClient:
    """The ``/__segmock/`` API of the mock at ``url``."""

    def __init__(self, url: str, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url + PREFIX, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def requests(self, provider: str | None = None, operation: str | None = None, status: int | None = None,
                 limit: int | None = None) -> list[JournalEntry]:
        """Journaled requests, oldest first, optionally filtered (``limit``: the most recent N)."""
        query = {k: v for k, v in (("provider", provider), ("operation", operation), ("status", status),
                                   ("limit", limit)) if v is not None}
        response = self._http.get("/requests", params=query)
        response.raise_for_status()
        return [JournalEntry.from_json(e) for e in response.json()["requests"]]

    def clear_requests(self) -> None:
        self._http.delete("/requests").raise_for_status()

    def fault(self, provider: str | None = None, operation: str | None = None, *, status: int | None = None,
              kind: str | None = None, error: str | None = None, retry_after: int | None = None,
              delay: float = 0.0, times: int | None = None, probability: float | None = None,
              seed: int = 0) -> int:
        """Add a fault rule; returns its id. ``kind`` defaults to ``status`` when a status or error is given,
        else to ``latency`` when a delay is given (see ``FaultRule`` for every kind)."""
        if kind is None:
            kind = "status" if status is not None or error is not None else "latency" if delay else "status"
        rule = {"provider": provider, "operation": operation, "status": status, "kind": kind, "error": error,
                "retry_after": retry_after, "delay": delay, "times": times, "probability": probability,
                "seed": seed}
        response = self._http.post("/faults", json={k: v for k, v in rule.items() if v is not None})
        if response.status_code == 400:
            raise ValueError(response.json()["message"])
        response.raise_for_status()
        return int(response.json()["id"])

    def answer(self, provider: str, operation: str, *, status: int | None = None, json: Any = None,
               body: bytes | None = None, headers: dict[str, str] | None = None, error: str | None = None,
               mask: Any = None, times: int = 1) -> int:
        """Queue a canned answer for the next ``times`` call(s) of ``operation``; returns its id.

        One of: ``error=KEY`` or ``status=`` alone (the provider's own error body), ``json=`` or ``body=``
        (with ``status``, default 200, and ``headers``), or ``mask=`` (PNG bytes or a 2-D array: the provider
        answers as usual, around this mask). Raises ``ValueError`` naming the problem when the answer would
        break the operation's contract (an undocumented status, a body off the schema, a missing header).
        """
        data: dict[str, Any] = {"provider": provider, "operation": operation, "times": times}
        if status is not None:
            data["status"] = status
        if error is not None:
            data["error"] = error
        if json is not None:
            data["json"] = json
        if body is not None:
            data["body_base64"] = base64.b64encode(body).decode()
        if headers:
            data["headers"] = headers
        if mask is not None:
            from ..core.canned import encode_mask

            data["mask_base64"] = base64.b64encode(encode_mask(mask)).decode()
        response = self._http.post("/answers", json=data)
        if response.status_code == 400:
            raise ValueError(response.json()["message"])
        response.raise_for_status()
        return int(response.json()["id"])

    def answers(self) -> list[dict[str, Any]]:
        """Canned answers still queued (without their bytes), with their counters."""
        response = self._http.get("/answers")
        response.raise_for_status()
        return list(response.json()["answers"])

    def faults(self) -> list[dict[str, Any]]:
        """Every rule with its counters (``seen``, ``fired``, ``remaining``)."""
        response = self._http.get("/faults")
        response.raise_for_status()
        return list(response.json()["faults"])

    def clear_faults(self) -> None:
        self._http.delete("/faults").raise_for_status()

    def health(self) -> dict[str, Any]:
        response = self._http.get("/health")
        response.raise_for_status()
        return dict(response.json())

    def reset(self) -> None:
        self._http.post("/reset").raise_for_status()
