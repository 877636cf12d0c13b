"""Webhooks: signed delivery, retries, giving up, exactly one delivery per job, lease takeover."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from jobs_support import LOCAL_RECEIVERS, receiver

from mockserver.jobs import DeliveryPolicy, JobState, JobStore, WebhookSpec
from mockserver.jobs.db import Database
from mockserver.jobs.webhooks import Outbox

FAST = DeliveryPolicy(attempts=3, base_delay=0.01, timeout=1.0, lease=2.0)
SECRET = "a" * 64


def artwork(job) -> dict:
    return {"id": job.id, "status": job.state.value, "results": list(job.files), "error": job.error}


@pytest.fixture
def store(tmp_path) -> Iterator[JobStore]:
    with JobStore(
        tmp_path, progression="immediate", delivery=FAST, payloads={"tengr": artwork}, dispatch_interval=0.01,
        addresses=LOCAL_RECEIVERS,
    ) as job_store:
        yield job_store


def hook(url: str) -> WebhookSpec:
    return WebhookSpec(url, SECRET, header="X-Tengr-Signature")


def make(store: JobStore, url: str, **kwargs):
    kwargs.setdefault("result", {"ok": True})
    return store.create("tengr", owner="k1", kind="segmentation", params={"textPrompt": "cat"}, webhook=hook(url),
                        **kwargs)


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


def test_final_job_is_posted_once_signed_over_the_exact_body(store: JobStore) -> None:
    with receiver() as hooks:
        job = make(store, hooks.url, files={"mask-0.png": b"m"})
        assert store.drain()
    [delivery] = hooks.received
    expected = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-tengr-signature"] == f"sha256={expected}"
    assert delivery.headers["content-type"] == "application/json"
    assert json.loads(delivery.body) == {"id": job.id, "status": "succeeded", "results": ["mask-0.png"], "error": None}
    [attempt] = store.deliveries(job.id)
    assert (attempt.url, attempt.attempt, attempt.status_code, attempt.ok) == (hooks.url, 1, 200, True)
    assert delivery.headers["x-segmock-delivery"] == attempt.delivery_id
    assert delivery.headers["x-segmock-attempt"] == "1"


def test_default_payload_is_the_neutral_job(tmp_path) -> None:
    store = JobStore(tmp_path, progression="immediate", delivery=FAST, dispatch_interval=0.01,
                     addresses=LOCAL_RECEIVERS)
    with store, receiver() as hooks:
        job = make(store, hooks.url)
        assert store.drain()
    body = json.loads(hooks.received[0].body)
    assert (body["id"], body["state"], body["result"]) == (job.id, "succeeded", {"ok": True})


def test_polled_progression_with_a_webhook_finishes_after_the_short_delay(tmp_path) -> None:
    with JobStore(tmp_path, progression="polls:5", webhook_delay=0.05, delivery=FAST, dispatch_interval=0.01,
                  addresses=LOCAL_RECEIVERS) as store:
        with receiver() as hooks:
            job = make(store, hooks.url)
            assert job.state is JobState.QUEUED
            hooks.entered.wait(5)
            assert store.drain()
        finished = store.peek("tengr", job.id, owner="k1")
    assert (finished.state, finished.polls) == (JobState.SUCCEEDED, 0)
    assert finished.finished_at == pytest.approx(job.created_at + 0.05)
    assert len(hooks.received) == 1


def test_timed_webhook_job_waits_for_the_moved_clock(store: JobStore) -> None:
    with receiver() as hooks:
        job = make(store, hooks.url, progression="seconds:60")
        assert store.drain()
        assert hooks.received == []
        store.clock.advance(60)
        assert store.drain()
    assert [json.loads(d.body)["status"] for d in hooks.received] == ["succeeded"]
    assert store.peek("tengr", job.id, owner="k1").state is JobState.SUCCEEDED


def test_forced_failure_and_cancel_are_delivered_too(store: JobStore) -> None:
    store.force("failed", {"message": "boom"})
    with receiver() as hooks:
        failed = make(store, hooks.url)
        running = make(store, hooks.url, progression="seconds:60")
        store.cancel("tengr", running.id, owner="k1")
        assert store.drain()
    bodies = sorted((json.loads(d.body) for d in hooks.received), key=lambda body: body["status"])
    assert [(b["id"], b["status"], b["error"]) for b in bodies] == [
        (running.id, "canceled", None),
        (failed.id, "failed", {"message": "boom"}),
    ]


def test_a_failing_receiver_is_retried_until_it_accepts(store: JobStore) -> None:
    with receiver(statuses=[500]) as hooks:
        job = make(store, hooks.url)
        assert store.drain()
    attempts = store.deliveries(job.id)
    assert [(a.attempt, a.status_code, a.ok) for a in attempts] == [(1, 500, False), (2, 200, True)]
    assert [d.headers["x-segmock-attempt"] for d in hooks.received] == ["1", "2"]
    assert len({d.headers["x-segmock-delivery"] for d in hooks.received}) == 1
    assert hooks.received[0].body == hooks.received[1].body


def test_a_slow_receiver_times_out_and_is_retried(tmp_path) -> None:
    policy = DeliveryPolicy(attempts=2, base_delay=0.01, timeout=0.1, lease=2.0)
    hold = threading.Event()
    store = JobStore(tmp_path, progression="immediate", delivery=policy, dispatch_interval=0.01,
                     addresses=LOCAL_RECEIVERS)
    with store, receiver(hold=hold) as hooks:
        job = make(store, hooks.url)
        hooks.entered.wait(5)
        assert store.drain()
        hold.set()
    first, second = store.deliveries(job.id)
    assert (first.status_code, first.ok) == (None, False)
    assert "timed out" in first.error
    assert (second.attempt, second.status_code, second.ok) == (2, None, False)


def test_a_dead_receiver_exhausts_the_bounded_retries(store: JobStore) -> None:
    url = dead_url()
    job = make(store, url)
    assert store.drain()
    attempts = store.deliveries(job.id)
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert all(a.status_code is None and a.error and not a.ok for a in attempts)


def test_delivery_does_not_block_the_creating_thread(store: JobStore) -> None:
    hold = threading.Event()
    with receiver(hold=hold) as hooks:
        make(store, hooks.url)
        assert hooks.entered.wait(5)
        assert not hooks.finished.is_set()
        hold.set()
        assert store.drain()
    assert [a.ok for a in store.deliveries()] == [True]


def test_jobs_finishing_together_under_two_dispatchers_get_one_delivery_each(tmp_path) -> None:
    config = {"progression": "seconds:5", "delivery": FAST, "dispatch_interval": 0.01, "addresses": LOCAL_RECEIVERS}
    with JobStore(tmp_path, **config) as first, JobStore(tmp_path, **config) as second, receiver() as hooks:
        first.start_dispatcher()
        second.start_dispatcher()
        ids = [make(first if n % 2 else second, hooks.url).id for n in range(30)]
        first.clock.advance(5)
        assert first.drain() and second.drain()
    delivered = [json.loads(d.body)["id"] for d in hooks.received]
    assert sorted(delivered) == sorted(ids)
    assert sorted(a.job_id for a in first.deliveries() if a.ok) == sorted(ids)


def test_a_delivery_abandoned_by_a_dead_process_is_taken_over_after_its_lease(tmp_path) -> None:
    short = DeliveryPolicy(attempts=3, base_delay=0.01, timeout=0.05, lease=0.2)
    # Only the dead claim's lease is short. The survivor's own attempt gets room on a loaded machine: a slow
    # answer must neither time out nor outlive its lease (either would make a second attempt).
    patient = dataclasses.replace(short, timeout=10.0, lease=30.0)
    with JobStore(tmp_path, progression="immediate", delivery=short, dispatch=False) as creator, receiver() as hooks:
        job = make(creator, hooks.url)
        outbox = Outbox(Database(tmp_path / "jobs.sqlite3"))
        claimed_at = creator.clock.wall()
        [claim] = outbox.claim("dead-process", 10, short, claimed_at, creator.clock.now())
        with JobStore(tmp_path, delivery=patient, dispatch_interval=0.01, addresses=LOCAL_RECEIVERS) as survivor:
            assert survivor.drain(timeout=60)
            attempts = survivor.deliveries(job.id)
    assert [(a.attempt, a.ok) for a in attempts] == [(1, False), (2, True)]
    assert "lease expired" in attempts[0].error
    assert attempts[0].at >= claimed_at + short.lease
    assert [d.headers["x-segmock-delivery"] for d in hooks.received] == [claim.delivery_id]
    assert hooks.received[0].headers["x-segmock-attempt"] == "2"
