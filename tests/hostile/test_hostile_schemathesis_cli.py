"""Schemathesis as an outsider runs it: its own CLI, ``--checks all``, every phase (examples, coverage, fuzzing,
stateful), against ``segmock serve --workers 2``, with a different seed per spec and a time budget per run
(``--max-time``), so the suite's fuzzing is not only the suite's own settings. No run may find a server error,
and the server must still answer afterwards. ``benchmarks/fuzz_schemathesis.py`` is the longer run."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from served import Served

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "benchmarks"))
from fuzz_schemathesis import ROOT, SERVER_ARGS, command

SEEDS = {"photoroom": 11, "tengr": 12, "sellerpic": 13, "prodia": 14}
SECONDS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("schemathesis-served"), *SERVER_ARGS)
    yield served
    served.stop()


@pytest.mark.parametrize("provider", list(SEEDS))
def test_schemathesis_cli_finds_no_server_error(server: Served, provider: str) -> None:
    run = command(server.url, provider, SEEDS[provider], 5, "--max-time", str(SECONDS))
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)
    generated = re.search(r"(\d+) generated", done.stdout)
    assert generated and int(generated.group(1)) > 0, done.stdout[-2000:]
    assert "Stateful" in done.stdout
    assert "ST101" not in done.stdout, done.stdout[-6000:]  # no server error, whatever else it reports
    assert server.up()
