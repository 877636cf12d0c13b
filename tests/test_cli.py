"""The command line as a user meets it: misuse refused in one line before serving, a log in a file, a clean exit."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cli_support import free_port

from mockserver.cli import main

SEGMOCK = [sys.executable, "-m", "mockserver.cli"]


def segmock(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SEGMOCK, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(("args", "says"), [
    (("serve", "--job-progression", "polls:x"), "--job-progression: invalid progression 'polls:x'"),
    (("serve", "--segmenter", "nope:factory"), "--segmenter 'nope:factory' cannot be loaded"),
    (("serve", "--port", "99999"), "a port is a number from 0 to 65535, not 99999"),
    (("serve", "--workers", "0"), "--workers: must be at least 1"),
    (("specs", "nope"), "no spec for nope; available: photoroom"),
    (("record", "--provider", "photoroom", "--cassette", "c.yaml", "--port", "-1"), "a port is a number"),
])
def test_misuse_exits_2_with_one_line_and_serves_nothing(args: tuple[str, ...], says: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert in_process(*args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and says in err


def in_process(*args: str) -> int:
    """``segmock ARGS`` in this process (the parser's own refusals exit through ``SystemExit``)."""
    try:
        return main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert in_process("--version") == 0
    assert re.fullmatch(r"segmock \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_a_port_in_use_is_one_line_and_a_failure() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = segmock("serve", "--port", str(port), timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"segmock serve: port {port} on 127.0.0.1 is already in use "
                                                "(another segmock? pick one with --port)"]


def test_record_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert in_process("record", "--help") == 0
    out = capsys.readouterr().out
    assert "Assumption verdicts" in out and "``" not in out and "**" not in out



def test_serve_into_a_file_logs_requests_shows_real_hosts_and_leaves_no_state_behind(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "mock.log"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with log.open("w") as out:
        proc = subprocess.Popen([*SEGMOCK, "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/v2/account", headers={"x-api-key": "k"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert response.status_code == 200
            assert list(tmp_path.glob("segmock-state-*"))  # the state lives in a temp dir while serving
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    text = log.read_text()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} GET /v2/account 200 .* photoroom:account-details-v2$",
                     text, re.M), text
    assert "{storageHost}" not in text and "sellerpic  https://api.sellerpic.ai ->" in text
    assert list(tmp_path.glob("segmock-state-*")) == []
