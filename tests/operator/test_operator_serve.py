"""``segmock serve --workers 2``: one journal and one set of faults for every worker; the request log."""

from __future__ import annotations

import json
import logging
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import CliServer
from operator_support import KEY

from mockserver.operator.client import OperatorClient
from mockserver.operator.logs import LOGGER, line

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CliServer]]:
    state = tmp_path_factory.mktemp("served-state")
    server = CliServer("serve", "--provider", "photoroom", "--workers", "2", "--log-format", "json",
                       "--state-dir", str(state), env={"HOME": str(state), "XDG_RUNTIME_DIR": None})
    yield server.url, server
    server.stop(signal.SIGINT)


def fresh_connections(url: str) -> httpx.Client:
    """A client opening a new connection per request, so the workers take turns accepting them."""
    return httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0), timeout=10)


def both_workers_answer(client: httpx.Client) -> set[int]:
    """Health from fresh connections until two worker pids have answered (bounded)."""
    pids: set[int] = set()
    for _ in range(300):
        pids.add(client.get("/__segmock/health").json()["pid"])
        if len(pids) == 2:
            break
    return pids


def test_every_worker_writes_to_one_journal_and_reads_one_set_of_faults(served: tuple[str, Any]) -> None:
    url, _ = served
    operator = OperatorClient(url)
    operator.reset()
    with fresh_connections(url) as client:
        assert len(both_workers_answer(client)) == 2
        operator.fault("photoroom", "account-details-v2", status=429, times=3)
        statuses = [client.get("/v2/account", headers=KEY).status_code for _ in range(30)]
    assert statuses.count(429) == 3 and statuses.count(200) == 27
    entries = operator.requests(operation="account-details-v2")
    assert [e.status for e in entries] == statuses
    assert len({e.worker for e in entries}) == 2
    operator.close()


def test_a_journal_read_right_after_an_answer_finds_it(served: tuple[str, Any]) -> None:
    """The entry is written after the answer leaves; a read through another connection (either worker) made
    the moment the answer arrives still finds it."""
    url, _ = served
    operator = OperatorClient(url)
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(100):
            assert client.get(f"/v2/account?try={i}", headers=KEY).status_code == 200
            latest = operator.requests(operation="account-details-v2")[-1]
            assert latest.query == f"try={i}"
    operator.close()


def test_one_json_log_line_per_request(served: tuple[str, CliServer]) -> None:
    url, server = served
    httpx.get(url + "/v2/account?marker=1", headers=KEY)
    httpx.get(url + "/no/such/path")
    out = server.stop(signal.SIGINT)  # the quick shutdown
    records = [json.loads(text) for text in out.splitlines() if text.startswith("{")]
    account = [r for r in records if r["path"] == "/v2/account" and r.get("status") == 200]
    assert account and account[-1]["provider"] == "photoroom"
    assert account[-1]["operation"] == "account-details-v2" and account[-1]["ms"] >= 0
    assert any(r["path"] == "/no/such/path" and r["status"] == 404 for r in records)
    assert "/__segmock/" in out  # the start-up banner names the inspector


def test_human_lines_name_provider_operation_and_fault() -> None:
    at = time.mktime((2026, 3, 14, 15, 9, 26, 0, 0, -1)) + 0.535
    text = line("human", method="GET", path="/v2/account", status=None, elapsed_ms=3.25, provider="photoroom",
                operation="account-details-v2", fault="reset", at=at)
    assert text == "2026-03-14 15:09:26.535 GET /v2/account --- 3.2ms photoroom:account-details-v2 fault=reset"


def test_an_app_with_a_log_format_logs_each_request(make_app: Any) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    client = make_app(log_format="human").test_client()
    keep = Keep()
    logging.getLogger(LOGGER).addHandler(keep)
    try:
        client.get("/v2/account", headers=KEY)
        client.get("/__segmock/health")
    finally:
        logging.getLogger(LOGGER).removeHandler(keep)
    assert len(records) == 2
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} "
    assert re.match(stamp + "GET /v2/account 200 ", records[0]) and records[0].endswith("photoroom:account-details-v2")
    assert re.match(stamp + "GET /__segmock/health 200 ", records[1])
