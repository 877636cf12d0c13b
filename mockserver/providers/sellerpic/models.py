"""SellerPic state and rules: assets, tasks on the shared job engine, credits, concurrency, URL lifetimes.

Every number (credits, limits, lifetimes) comes from ``specs/sellerpic.yaml`` through :mod:`.settings`;
state lives in the state directory (job store, counters, :class:`.storage.Storage`) so several workers agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...core.services import Services
from ...jobs import Job, JobState, owner_key
from .settings import PROVIDER, Settings, settings
from .storage import Storage

MASK_FILE = "mask.png"
SAMPLE_OWNER = ""  # no API key hashes to this, so no account can claim a sample key as its upload
_ID_FLOOR = 10**18  # ids are 19 decimal digits, like the docs' snowflake-style examples


class Refused(Exception):
    """A business rule refused the request; ``key`` names the ``x-segmock-errors`` entry to answer with."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Item:
    """One ``resultList`` item as a poll sees it (``fileUrl`` is added by the HTTP layer)."""

    id: str
    task_id: str
    status: str
    error_code: int | None
    error_msg: str | None

    @property
    def succeeded(self) -> bool:
        return self.error_code is None and self.status == settings().status_of(JobState.SUCCEEDED.value)


def result_id_of(task_id: str) -> str:
    """A task's (only) result item id: the next number. Task ids are even, result ids odd, so the download
    endpoint can tell a task id from a result id without a table."""
    return str(int(task_id) + 1)


def task_id_of(result_id: str) -> str | None:
    """The task a result id belongs to, or None when ``result_id`` cannot be one (not an odd number)."""
    if not result_id.isdigit() or int(result_id) % 2 == 0:
        return None
    return str(int(result_id) - 1)


class SellerpicBackend:
    """The mock's SellerPic accounts, assets and tasks."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings: Settings = settings()
        self.storage = Storage(services.state_dir / PROVIDER)

    @property
    def jobs(self) -> Any:
        return self.services.jobs

    def now(self) -> float:
        """The shared clock of the job store: URL lifetimes move when a test moves it."""
        return float(self.jobs.clock.now())

    @staticmethod
    def owner(api_key: str) -> str:
        return owner_key(api_key)

    # -- assets ------------------------------------------------------------------------------------------
    def upload(self, owner: str, data: bytes, ext: str) -> str:
        """Store an uploaded image; the same bytes from the same account give the same fileKey that day."""
        key = self._file_key(hashlib.sha256(owner.encode() + b"\x00" + data).hexdigest()[:32], ext)
        self.storage.put_asset(owner, key, data)
        return key

    def presign(self, owner: str, ext: str) -> tuple[str, str]:
        """A fresh (fileKey, upload token) pair for the legacy presigned flow."""
        token = secrets.token_hex(16)
        key = self._file_key(token, ext)
        self.storage.presign(owner, key, token, self.now())
        return key, token

    def put_presigned(self, token: str, data: bytes) -> bool:
        """Store the bytes PUT to an upload URL; False when the URL is unknown or expired."""
        key = self.storage.presigned(token, self.now(), self.settings.upload_url_ttl)
        if key is None:
            return False
        self.storage.store_presigned(key, data)
        return True

    def image(self, owner: str, image_key: str) -> bytes | None:
        """The bytes behind an ``imageKey``: a sample key, or one of ``owner``'s uploads."""
        if image_key in self.settings.sample_keys():
            return self.storage.asset(SAMPLE_OWNER, image_key) or self._store_sample(image_key)
        return self.storage.asset(owner, image_key)

    def _store_sample(self, image_key: str) -> bytes:
        """Generate a sample image once per state directory (every worker then reads the same bytes)."""
        data = sample_image()
        self.storage.put_asset(SAMPLE_OWNER, image_key, data)
        return data

    def _file_key(self, hex32: str, ext: str) -> str:
        day = dt.datetime.fromtimestamp(self.now(), dt.UTC)
        return f"UPLOAD/{self.settings.account['user_id']}/{day:%Y/%m/%d}/{hex32}.{ext}"

    # -- tasks -------------------------------------------------------------------------------------------
    def create_task(self, owner: str, operation: str, params: Mapping[str, Any], mask_png: bytes) -> str:
        """File a task whose mask is already computed, if the account's concurrency and credits allow."""
        task_type = self.settings.task_type(operation)
        cost = self.cost(task_type)
        with self.storage.exclusive():
            if self._active(owner, task_type) >= self.settings.concurrency_limit(task_type):
                raise Refused(self.settings.raw["x-segmock-concurrency"]["error"])
            if cost > self.remaining(owner):
                raise Refused("insufficient_credits")
            task_id = str(_ID_FLOOR + 2 * secrets.randbelow((9 * _ID_FLOOR - _ID_FLOOR) // 2))
            self.jobs.create(PROVIDER, owner=owner, kind=task_type, params=dict(params), job_id=task_id,
                             result={"resultId": result_id_of(task_id)}, files={MASK_FILE: mask_png})
            if cost:
                self._counters.add(self._scope(owner), "usage", cost, start=self.settings.account["credits_usage"])
                self._counters.add(f"{PROVIDER}:charged", task_id, cost)
        return task_id

    def poll(self, owner: str, task_id: str, *, count: bool = True) -> list[Item] | None:
        """The task's result items as this read sees them (a counted poll unless ``count`` is False)."""
        job = self.jobs.get(PROVIDER, task_id, owner=owner, count_poll=count)
        if job is None:
            return None
        self._refund_if_failed(job)
        return [self._item(job)]

    def result(self, owner: str, result_id: str) -> Item | None:
        """A result item by its own id (not counted as a poll); None when unknown or not a result id."""
        task_id = task_id_of(result_id)
        items = self.poll(owner, task_id, count=False) if task_id is not None else None
        return next((item for item in items or () if item.id == result_id), None)

    def is_task(self, owner: str, task_id: str) -> bool:
        return task_id.isdigit() and self.jobs.peek(PROVIDER, task_id, owner=owner) is not None

    def mask(self, result_id: str) -> bytes | None:
        task_id = task_id_of(result_id)
        return None if task_id is None else self.jobs.file(task_id, MASK_FILE)

    def _item(self, job: Job) -> Item:
        status = self.settings.status_of(job.state.value)
        if job.state in (JobState.FAILED, JobState.CANCELED):
            error = job.error if isinstance(job.error, Mapping) else {}
            failed = self.settings.failed_item
            return Item(result_id_of(job.id), job.id, status, int(error.get("errorCode", failed["errorCode"])),
                        str(error.get("errorMsg", failed["errorMsg"])))
        return Item(result_id_of(job.id), job.id, status, None, None)

    def _active(self, owner: str, task_type: str) -> int:
        """The owner's unfinished tasks of ``task_type`` (failed ones are refunded on the way)."""
        counted = set(self.settings.raw["x-segmock-concurrency"]["counts_statuses"])
        return sum(1 for job in self.settle(owner)
                   if job.kind == task_type and self.settings.status_of(job.state.value) in counted)

    # -- credits -----------------------------------------------------------------------------------------
    @property
    def _counters(self) -> Any:
        return self.services.counters

    def _scope(self, owner: str) -> str:
        return f"{PROVIDER}:{owner}"

    def cost(self, task_type: str) -> int:
        """The credits a task type costs: the spec's table, unless a test priced it with :meth:`set_cost`."""
        return int(self._counters.get(f"{PROVIDER}:cost", task_type, self.settings.credits(task_type)))

    def set_cost(self, task_type: str, credits: int) -> None:
        """Price a task type (tests: the documented segmentation tasks are free, so refunds are invisible)."""
        self._counters.add(f"{PROVIDER}:cost", task_type, credits - self.cost(task_type),
                           start=self.settings.credits(task_type))

    def usage(self, owner: str) -> dict[str, int]:
        self.settle(owner)
        total = int(self.settings.account["credits_total"])
        used = int(self._counters.get(self._scope(owner), "usage", self.settings.account["credits_usage"]))
        return {"remaining": total - used, "total": total, "usage": used}

    def remaining(self, owner: str) -> int:
        return self.usage(owner)["remaining"]

    def settle(self, owner: str) -> list[Job]:
        """Refund every failed task of ``owner`` not refunded yet (failures show on any read, polled or not);
        returns the owner's tasks as they stand."""
        jobs: list[Job] = self.jobs.list(PROVIDER, owner=owner)
        for job in jobs:
            self._refund_if_failed(job)
        return jobs

    def _refund_if_failed(self, job: Job) -> None:
        if job.state not in (JobState.FAILED, JobState.CANCELED):
            return
        charged = self._counters.get(f"{PROVIDER}:charged", job.id)
        if charged and self._counters.add(f"{PROVIDER}:refunded", job.id, 1) == 1:
            self._counters.add(self._scope(job.owner), "usage", -charged, start=self.settings.account["credits_usage"])

    # -- download URLs -----------------------------------------------------------------------------------
    def download_token(self, result_id: str, fmt: str, uhd: bool) -> str:
        """The live URL token for these exact parameters; a new one once the previous has expired."""
        return self.storage.download_url(result_id, fmt, uhd, self.now(), self.settings.download_url_ttl,
                                         secrets.token_hex(16))

    def download(self, token: str) -> Any:
        return self.storage.download(token, self.now(), self.settings.download_url_ttl)

    def reset(self) -> None:
        """Assets and URLs go; jobs, counters and the clock are reset by the services."""
        self.storage.reset()


def sample_image() -> bytes:
    """The generated packshot behind the docs' sample key (a green bottle on a light background)."""
    from contracts.generate.scenes import ObjectSpec, make_scene

    scene = make_scene("packshot", 400, 300, [ObjectSpec("bottle", "green", (0.5, 0.5), (0.22, 0.7))],
                       name="sellerpic-sample")
    return scene.encode("png")
