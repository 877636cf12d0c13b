"""Four processes on one state directory, as ``segmock serve --workers 4`` share it.

The processes run once (spawning is the slow part) and the tests below check what they left behind.
"""

from __future__ import annotations

import json
import multiprocessing
from dataclasses import dataclass

import pytest
from jobs_support import Received, receiver, worker

from mockserver.jobs import DeliveryAttempt, Job, JobState, JobStore

WORKERS = 4
PER_WORKER = 25


@dataclass
class Outcome:
    reports: list[tuple[int, bool]]
    prodia: list[Job]
    tengr: list[Job]
    received: list[Received]
    attempts: list[DeliveryAttempt]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Outcome:
    state_dir = tmp_path_factory.mktemp("shared-state")
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(WORKERS), context.Queue()
    with receiver() as hooks:
        processes = [
            context.Process(target=worker, args=(str(state_dir), n, PER_WORKER, hooks.url, barrier, out))
            for n in range(WORKERS)
        ]
        for process in processes:
            process.start()
        reports = sorted(out.get(timeout=60) for _ in processes)
        for process in processes:
            process.join(30)
    assert [process.exitcode for process in processes] == [0] * WORKERS
    with JobStore(state_dir, dispatch=False) as store:
        return Outcome(
            reports,
            store.list("prodia", owner="shared"),
            store.list("tengr", owner="shared"),
            hooks.received,
            store.deliveries(),
        )


def test_every_worker_finished(outcome: Outcome) -> None:
    assert outcome.reports == [(n, True) for n in range(WORKERS)]


def test_jobs_created_concurrently_are_all_kept_once(outcome: Outcome) -> None:
    expected = {(n, index) for n in range(WORKERS) for index in range(PER_WORKER)}
    for jobs in (outcome.prodia, outcome.tengr):
        assert len(jobs) == len({job.id for job in jobs}) == WORKERS * PER_WORKER
        assert {(job.params["worker"], job.params["index"]) for job in jobs} == expected


def test_each_process_read_counts_exactly_one_poll_and_all_jobs_succeed(outcome: Outcome) -> None:
    assert {job.polls for job in outcome.prodia} == {WORKERS}
    assert {job.state for job in outcome.prodia} == {JobState.SUCCEEDED}


def test_dispatchers_in_every_process_deliver_each_job_exactly_once(outcome: Outcome) -> None:
    delivered = sorted(json.loads(delivery.body)["id"] for delivery in outcome.received)
    assert delivered == sorted(job.id for job in outcome.tengr)
    assert [(attempt.attempt, attempt.ok) for attempt in outcome.attempts] == [(1, True)] * (WORKERS * PER_WORKER)
