"""Schemathesis as an outsider runs it: its own CLI, ``--checks all``, the examples, fuzzing and stateful phases,
against ``segmock serve --workers 2``, with a different seed per spec and few examples per operation, so the
suite's fuzzing is not only the suite's own settings. No run may find a server error, and the server must still
answer afterwards. ``benchmarks/fuzz_schemathesis.py`` is the longer run (every phase,
the coverage phase included, several seeds)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import Served

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from fuzz_schemathesis import SERVER_ARGS, command

SEEDS = {"photoroom": 11, "tengr": 12, "sellerpic": 13, "prodia": 14}
EXAMPLES = 1  # per operation and phase: the suite's share, a fixed amount of work (a time limit generated nothing
# on a busy machine); benchmarks/fuzz_schemathesis.py is the long run (README: Hostile traffic)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("schemathesis-served"), *SERVER_ARGS)
    yield served
    served.stop()


@pytest.mark.parametrize("provider", list(SEEDS))
def test_schemathesis_cli_finds_no_server_error(server: Served, provider: str, tmp_path: Path) -> None:
    run = command(server.url, provider, SEEDS[provider], EXAMPLES, "--phases", "examples,fuzzing,stateful")
    done = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=240)  # its cache stays there
    generated = re.search(r"(\d+) generated", done.stdout)
    assert generated and int(generated.group(1)) > 0, done.stdout[-2000:]
    assert "Stateful" in done.stdout
    assert "ST101" not in done.stdout, done.stdout[-6000:]  # no server error, whatever else it reports
    assert server.up()
