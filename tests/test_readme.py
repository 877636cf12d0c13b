"""Every code block of the README runs, so an example can never lie.

- Python blocks defining ``test_`` functions are written into one small project (a block preceded by
  ``<!-- readme: file PATH -->`` goes to PATH, others to ``test_readme_<n>.py``) and run by pytest with the
  segmock plugin, as a user's project would; every test must pass.
- Other Python blocks run as scripts; a ``print(...)  # expected`` comment must match what is printed.
- Bash blocks run with the venv's ``segmock`` on ``PATH`` against a live ``segmock serve`` (its port replaces
  8080); long-running commands (``segmock replay``) are started, checked to listen, and stopped.
- A block that cannot run here is marked ``<!-- readme: not run — why -->``; the list is short and explicit.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cli_support import free_port

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
NOT_RUN = {  # the README's own words after "not run —"; a new entry here needs a reason in the README too
    "creates a virtualenv and installs segmock into it (what CI's own setup does)",
    "the whole test suite, which is what runs this README",
    "talks to the real provider with your key",
}


@dataclass
class Block:
    language: str
    code: str
    marker: str | None
    line: int

    @property
    def file(self) -> str | None:
        match = re.fullmatch(r"file (\S+)", self.marker or "")
        return match.group(1) if match else None

    @property
    def not_run(self) -> str | None:
        match = re.fullmatch(r"not run — (.+)", self.marker or "")
        return match.group(1) if match else None

    @property
    def is_test(self) -> bool:
        return bool(re.search(r"^def test_", self.code, re.M)) or self.file is not None


def blocks(text: str) -> list[Block]:
    """Fenced blocks with their language and the ``<!-- readme: ... -->`` marker on the line before."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.fullmatch(r"```(\w*)", lines[i])
        if fence:
            end = lines.index("```", i + 1)
            before = re.fullmatch(r"<!-- readme: (.+) -->", lines[i - 1].strip()) if i else None
            out.append(Block(fence.group(1), "\n".join(lines[i + 1:end]) + "\n", before.group(1) if before else None,
                             i + 1))
            i = end + 1
        else:
            i += 1
    return out


ALL = blocks(README.read_text(encoding="utf-8"))


def runnable(language: str) -> list[Block]:
    return [b for b in ALL if b.language == language and b.not_run is None]



def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONUNBUFFERED": "1"}


def project(where: Path) -> Path:
    """A directory shaped like a checkout of this repository as far as the README reads it: ``tests/data``
    (the example images, the vendored published specs)."""
    shutil.copytree(ROOT / "tests" / "data", where / "tests" / "data", dirs_exist_ok=True)
    return where


def test_every_block_is_run_or_marked_with_a_known_reason() -> None:
    assert {b.language for b in ALL} <= {"bash", "python", ""}
    reasons = [b.not_run for b in ALL if b.not_run]
    assert sorted(reasons) == sorted(NOT_RUN), "a block the README does not run must say why (and be listed here)"
    assert [b.line for b in ALL if b.language == "" and b.not_run is None] == [max(b.line for b in ALL)], \
        "only the layout tree is plain text"


def test_the_python_test_blocks_pass_in_a_users_project(pytester: pytest.Pytester) -> None:
    project(pytester.path)
    tests = [b for b in runnable("python") if b.is_test]
    assert len(tests) >= 8
    expected = 0
    for index, block in enumerate(tests):
        path = pytester.path / (block.file or f"test_readme_{index}.py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
        expected += len(re.findall(r"^def test_", block.code, re.M))
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    result.assert_outcomes(passed=expected)


@pytest.mark.parametrize("block", [b for b in runnable("python") if not b.is_test], ids=lambda b: f"line{b.line}")
def test_the_python_scripts_run_and_print_what_they_say(block: Block, tmp_path: Path) -> None:
    script = project(tmp_path) / "example.py"
    script.write_text(block.code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**env(), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    for expected in re.findall(r"^\s*print\(.*?\)\s+#\s*(.+)$", block.code, re.M):
        words = expected.removesuffix("...").strip()
        assert words in done.stdout, f"the README says {expected!r}; the example printed:\n{done.stdout}"


@pytest.fixture(scope="module")
def live_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "segmock"), "serve", "--port", str(port)], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=tmp_path_factory.mktemp("serve"))
    wait_listening(port, proc)
    yield port
    stop(proc)


LONG_RUNNING = ("segmock replay", "segmock serve", "segmock record")


def run_bash(block: Block, cwd: Path, port: int) -> list[str]:
    """Run a block command by command (continuation lines joined); what each printed, in order."""
    text = block.code.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("\\\n", " ")
    printed = []
    for line in text.splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command:
            continue
        if command.startswith(LONG_RUNNING):
            listen = free_port()
            proc = subprocess.Popen(shlex.split(command) + ["--port", str(listen)], cwd=cwd, env=env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_listening(listen, proc)
            finally:
                stop(proc)
            continue
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env(), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"README line {block.line}: {command}\n{done.stdout}\n{done.stderr}"
        printed.append(done.stdout)
    return printed


def record_cassette(cwd: Path, mock_port: int) -> None:
    """``cassettes/edit.yaml`` as ``segmock record`` writes it, with the live mock standing in for Photoroom."""
    listen = free_port()
    proc = subprocess.Popen([str(BIN / "segmock"), "record", "--provider", "photoroom", "--upstream",
                             f"http://127.0.0.1:{mock_port}", "--cassette", "cassettes/edit.yaml", "--port",
                             str(listen)], cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(listen, proc)
        with open(cwd / "tests" / "data" / "packshot.jpg", "rb") as fh:
            answer = httpx.post(f"http://127.0.0.1:{listen}/v2/edit", headers={"x-api-key": "anything"},
                                files={"imageFile": fh}, data={"outputSize": "400x400"}, timeout=60)
        assert answer.status_code == 200
    finally:
        stop(proc)
    assert (cwd / "cassettes" / "edit.yaml").exists()


@pytest.mark.parametrize("block", runnable("bash"), ids=lambda b: f"line{b.line}")
def test_the_bash_blocks_run(block: Block, live_mock: int, tmp_path: Path) -> None:
    cwd = project(tmp_path)
    if "cassettes/" in block.code:
        record_cassette(cwd, live_mock)
    printed = run_bash(block, cwd, live_mock)
    if "-o out.png" in block.code:
        from PIL import Image

        with Image.open(cwd / "out.png") as out:
            assert out.format == "PNG" and out.size == (1000, 1000)
    if "/__segmock/answers" in block.code:
        assert '"status":404' in printed[1].replace(" ", "") or "Artwork not found" in printed[1]
        assert '"fault":"answer"' in printed[2].replace(" ", "")
    if "segmock export" in block.code:
        assert (cwd / "vcr.yaml").exists() and (cwd / "report.xml").exists()
