"""JobStore: progressions through the store, forced outcomes, expiry, owner scoping, the shared clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from mockserver.jobs import JobState, JobStore, owner_key

DAY = 86400.0


@pytest.fixture
def store(tmp_path) -> Iterator[JobStore]:
    with JobStore(tmp_path, ttl={"tengr": 8 * DAY, "prodia": 300}) as job_store:
        yield job_store


def make(store: JobStore, provider: str = "tengr", owner: str = "k1", prompt: str = "a cat", **kwargs):
    kwargs.setdefault("result", {"masks": 1})
    return store.create(provider, owner=owner, kind="segmentation", params={"textPrompt": prompt}, **kwargs)


def states(store: JobStore, job_id: str, reads: int, provider: str = "tengr") -> list[JobState]:
    return [store.get(provider, job_id, owner="k1").state for _ in range(reads)]


def test_default_progression_succeeds_on_the_second_poll(store: JobStore) -> None:
    job = make(store)
    assert job.state is JobState.QUEUED
    assert states(store, job.id, 3) == [JobState.RUNNING, JobState.SUCCEEDED, JobState.SUCCEEDED]


def test_immediate_job_is_final_at_creation_with_result_and_files(tmp_path) -> None:
    with JobStore(tmp_path, progression="immediate") as store:
        job = make(store, files={"mask-0.png": b"\x89PNG mask"})
        assert job.state is JobState.SUCCEEDED
        assert job.result == {"masks": 1}
        assert job.files == ("mask-0.png",)
        assert job.finished_at == job.created_at
        assert store.file(job.id, "mask-0.png") == b"\x89PNG mask"
        assert store.file(job.id, "mask-9.png") is None


def test_polls_n_reveals_the_result_on_the_nth_read_only(tmp_path) -> None:
    with JobStore(tmp_path, progression={"tengr": "polls:3"}) as store:
        job = make(store, files={"m.png": b"bytes"})
        first = store.get("tengr", job.id, owner="k1")
        assert (first.state, first.result, first.files) == (JobState.RUNNING, None, ())
        assert store.file(job.id, "m.png") is None
        assert states(store, job.id, 2) == [JobState.RUNNING, JobState.SUCCEEDED]
        assert store.get("tengr", job.id, owner="k1").polls == 4


def test_peek_and_list_do_not_count_polls(store: JobStore) -> None:
    job = make(store)
    for _ in range(3):
        assert store.peek("tengr", job.id, owner="k1").state is JobState.QUEUED
        store.list("tengr", owner="k1")
    assert store.get("tengr", job.id, owner="k1").state is JobState.RUNNING


def test_per_provider_progression_overrides_the_default(tmp_path) -> None:
    with JobStore(tmp_path, progression={"tengr": "immediate", "default": "polls:3"}) as store:
        assert make(store).state is JobState.SUCCEEDED
        sellerpic = make(store, provider="sellerpic")
        assert states(store, sellerpic.id, 3, "sellerpic")[-1] is JobState.SUCCEEDED
        assert store.progression_for("prodia").polls == 3


def test_create_can_override_the_progression(store: JobStore) -> None:
    assert make(store, progression="immediate").state is JobState.SUCCEEDED


def test_seconds_progression_follows_the_moved_clock(tmp_path) -> None:
    with JobStore(tmp_path, progression="seconds:3,running:1") as store:
        job = make(store)
        assert store.get("tengr", job.id, owner="k1").state is JobState.QUEUED
        store.clock.advance(1.5)
        assert store.get("tengr", job.id, owner="k1").state is JobState.RUNNING
        store.clock.advance(1.5)
        done = store.peek("tengr", job.id, owner="k1")
        assert done.state is JobState.SUCCEEDED
        assert done.finished_at == pytest.approx(job.created_at + 3)


def test_moving_the_clock_back_never_unfinishes_a_job(tmp_path) -> None:
    with JobStore(tmp_path, progression="seconds:1.5") as store:
        job = make(store)
        store.clock.advance(2)
        assert store.peek("tengr", job.id, owner="k1").state is JobState.SUCCEEDED
        store.clock.advance(-2)
        assert store.peek("tengr", job.id, owner="k1").state is JobState.SUCCEEDED


def test_caller_error_makes_the_job_fail_without_result(store: JobStore) -> None:
    job = make(store, error={"message": "image too large"}, files={"m.png": b"x"}, progression="immediate")
    assert (job.state, job.error, job.result, job.files) == (
        JobState.FAILED, {"message": "image too large"}, None, (),
    )
    assert store.file(job.id, "m.png") is None


def test_force_fails_only_the_next_job_of_that_provider(store: JobStore) -> None:
    store.force("failed", {"code": 50000}, provider="sellerpic")
    tengr_job = make(store, progression="immediate")
    failed = make(store, provider="sellerpic", progression="immediate")
    after = make(store, provider="sellerpic", progression="immediate")
    assert tengr_job.state is JobState.SUCCEEDED
    assert (failed.state, failed.error, failed.result) == (JobState.FAILED, {"code": 50000}, None)
    assert after.state is JobState.SUCCEEDED


def test_forced_failure_still_follows_the_progression(store: JobStore) -> None:
    store.force(error={"message": "boom"})
    job = make(store)
    assert states(store, job.id, 2) == [JobState.RUNNING, JobState.FAILED]
    assert store.peek("tengr", job.id, owner="k1").error == {"message": "boom"}


def test_force_times_n_and_cancel(store: JobStore) -> None:
    store.force("canceled", times=2)
    outcomes = [make(store, progression="immediate").state for _ in range(3)]
    assert outcomes == [JobState.CANCELED, JobState.CANCELED, JobState.SUCCEEDED]


def test_force_without_limit_lasts_until_reset(store: JobStore) -> None:
    store.force(times=None)
    assert {make(store, progression="immediate").state for _ in range(3)} == {JobState.FAILED}
    store.reset()
    assert make(store, progression="immediate").state is JobState.SUCCEEDED


@pytest.mark.parametrize("match", ["please fail", {"textPrompt": "fail"},
                                   lambda params: "fail" in params["textPrompt"]])
def test_force_matching_fails_only_matching_jobs(store: JobStore, match) -> None:
    store.force(match=match, error={"message": "matched"})
    other = make(store, prompt="a dog", progression="immediate")
    matched = make(store, prompt="a dog, please fail", progression="immediate")
    assert other.state is JobState.SUCCEEDED
    assert (matched.state, matched.error) == (JobState.FAILED, {"message": "matched"})
    assert make(store, prompt="please fail", progression="immediate").state is JobState.SUCCEEDED


def test_force_is_not_spent_on_a_job_that_fails_anyway(store: JobStore) -> None:
    store.force("canceled")
    assert make(store, error={"m": "bad input"}, progression="immediate").state is JobState.FAILED
    assert make(store, progression="immediate").state is JobState.CANCELED


def test_force_rejects_outcomes_it_cannot_impose(store: JobStore) -> None:
    with pytest.raises(ValueError, match="failed' or 'canceled"):
        store.force("succeeded")
    with pytest.raises(ValueError, match="times"):
        store.force(times=0)


def test_cancel_stops_an_unfinished_job_and_leaves_a_final_one(store: JobStore) -> None:
    job = make(store)
    canceled = store.cancel("tengr", job.id, owner="k1")
    assert (canceled.state, canceled.result) == (JobState.CANCELED, None)
    assert states(store, job.id, 3) == [JobState.CANCELED] * 3
    done = make(store, progression="immediate")
    assert store.cancel("tengr", done.id, owner="k1").state is JobState.SUCCEEDED
    assert store.cancel("tengr", done.id, owner="k2") is None


def test_job_expires_after_the_provider_ttl(store: JobStore) -> None:
    tengr = make(store, progression="immediate", files={"m.png": b"x"})
    prodia = make(store, provider="prodia", progression="immediate")
    sellerpic = make(store, provider="sellerpic", progression="immediate")
    assert tengr.expires_at == pytest.approx(tengr.created_at + 8 * DAY)
    assert sellerpic.expires_at is None
    store.clock.advance(301)
    assert store.get("prodia", prodia.id, owner="k1") is None
    assert store.get("tengr", tengr.id, owner="k1") is not None
    store.clock.advance(8 * DAY)
    assert store.get("tengr", tengr.id, owner="k1") is None
    assert store.list("tengr", owner="k1") == []
    assert store.count("tengr", owner="k1") == 0
    assert store.file(tengr.id, "m.png") is None
    assert store.get("sellerpic", sellerpic.id, owner="k1") is not None


def test_owner_scoping_hides_other_owners_jobs(store: JobStore) -> None:
    mine = make(store, owner=owner_key("key-1"))
    theirs = make(store, owner=owner_key("key-2"))
    assert store.get("tengr", theirs.id, owner=owner_key("key-1")) is None
    assert store.get("tengr", mine.id, owner=owner_key("key-1")).id == mine.id
    assert [job.id for job in store.list("tengr", owner=owner_key("key-1"))] == [mine.id]
    assert "key-1" not in owner_key("key-1")


def test_get_checks_the_provider(store: JobStore) -> None:
    job = make(store)
    assert store.get("prodia", job.id, owner="k1") is None


def test_list_pages_newest_first(store: JobStore) -> None:
    ids = [make(store, prompt=f"p{n}").id for n in range(7)]
    make(store, owner="k2")
    make(store, provider="prodia")
    newest_first = list(reversed(ids))
    assert [job.id for job in store.list("tengr", owner="k1")] == newest_first
    assert [job.id for job in store.list("tengr", owner="k1", offset=2, limit=3)] == newest_first[2:5]
    assert [job.id for job in store.list("tengr", owner="k1", offset=5, limit=10)] == newest_first[5:]
    assert store.list("tengr", owner="k1", offset=7, limit=3) == []
    assert store.count("tengr", owner="k1") == 7


def test_caller_chosen_ids_are_kept_and_must_be_unique(store: JobStore) -> None:
    job = make(store, job_id="1790000000000000001")
    assert store.get("tengr", "1790000000000000001", owner="k1").id == job.id
    with pytest.raises(ValueError, match="already exists"):
        make(store, job_id="1790000000000000001")


def test_a_second_store_on_the_same_directory_shares_jobs_polls_clock_and_rules(tmp_path) -> None:
    with JobStore(tmp_path, progression="polls:2") as first, JobStore(tmp_path, progression="polls:2") as second:
        job = make(first)
        assert second.get("tengr", job.id, owner="k1").state is JobState.RUNNING
        assert first.get("tengr", job.id, owner="k1").state is JobState.SUCCEEDED
        first.clock.advance(3600)
        assert second.clock.now() - job.created_at >= 3600
        second.clock.set(job.created_at + 10)
        assert 10 <= first.clock.now() - job.created_at < 3600
        first.force(provider="tengr")
        assert make(second, progression="immediate").state is JobState.FAILED


def test_reset_forgets_jobs_and_returns_to_real_time(store: JobStore) -> None:
    job = make(store, files={"m.png": b"x"}, progression="immediate")
    store.clock.advance(DAY)
    store.reset()
    assert store.get("tengr", job.id, owner="k1") is None
    assert store.file(job.id, "m.png") is None
    assert abs(store.clock.now() - store.clock.wall()) < 60


def test_concurrent_threads_create_and_poll_without_losing_anything(tmp_path) -> None:
    with JobStore(tmp_path, progression="polls:8") as store:
        created: list[str] = []
        reads = [0]
        lock = threading.Lock()

        def work(worker: int) -> None:
            for n in range(20):
                job = make(store, prompt=f"{worker}-{n}")
                with lock:
                    created.append(job.id)
            with lock:
                snapshot = list(created)
                reads[0] += len(snapshot)
            for job_id in snapshot:
                store.get("tengr", job_id, owner="k1")

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        jobs = store.list("tengr", owner="k1")
        assert len(jobs) == len(set(created)) == 160
        assert sum(job.polls for job in jobs) == reads[0]


def test_a_finished_job_counts_polls_only_for_its_own_live_reader(tmp_path) -> None:
    """The one-statement poll of a final job keeps every check of the general path: provider, owner, expiry."""
    with JobStore(tmp_path, progression="immediate", ttl={"tengr": 60}) as store:
        job = make(store)
        assert store.get("tengr", job.id, owner="k1").polls == 1
        assert store.get("tengr", job.id, owner="someone-else") is None
        assert store.get("prodia", job.id, owner="k1") is None
        assert store.get("tengr", job.id, owner=None).polls == 2  # an unscoped route sees it
        assert store.peek("tengr", job.id, owner="k1").polls == 2
        store.clock.advance(61)
        assert store.get("tengr", job.id, owner="k1") is None
        store.clock.advance(-61)
        assert store.get("tengr", job.id, owner="k1").polls == 3  # the refused reads counted nothing
