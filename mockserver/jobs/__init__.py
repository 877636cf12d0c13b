"""The async-job engine shared by every provider with asynchronous jobs (tengr, SellerPic, Prodia).

Jobs move through neutral states (queued → running → succeeded | failed | canceled); each provider maps them
to its own words. Outcomes are computed by the caller at creation and revealed by a :class:`Progression`;
state is shared by all server processes through SQLite in a state directory. See :class:`JobStore`.
"""

from __future__ import annotations

from ..core.keys import owner_key
from .clock import Clock
from .forced import Match
from .model import Job, JobState, WebhookSpec
from .progression import Progression
from .store import DEFAULT_PROGRESSION, DEFAULT_WEBHOOK_DELAY, JobStore, PayloadBuilder
from .webhooks import ATTEMPT_HEADER, DELIVERY_HEADER, DeliveryAttempt, DeliveryPolicy, sign

__all__ = [
    "ATTEMPT_HEADER",
    "DEFAULT_PROGRESSION",
    "DEFAULT_WEBHOOK_DELAY",
    "DELIVERY_HEADER",
    "Clock",
    "DeliveryAttempt",
    "DeliveryPolicy",
    "Job",
    "JobState",
    "JobStore",
    "Match",
    "PayloadBuilder",
    "Progression",
    "WebhookSpec",
    "owner_key",
    "sign",
]
