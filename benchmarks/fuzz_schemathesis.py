"""Schemathesis' own CLI with ``--checks all`` (examples, coverage, fuzzing and stateful phases) against a real
``segmock serve --workers 2`` on loopback, every spec, several seeds: the outside world's view of the mock.

Prints, per spec and seed, the test cases generated, the failures by kind, and the server's peak resident
memory over the whole run; exits 1 when any run found a server error (5xx). Checks a provider's spec says
do not apply (``x-segmock-schemathesis``) are left out, each with its reason there. The suite runs a small, bounded
slice of this (tests/properties/test_prop_schemathesis_cli.py); this script is the longer run.

    python benchmarks/fuzz_schemathesis.py --seeds 1 2 3 --max-examples 50
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "hostile"), str(ROOT / "tests")]
from served import PeakSampler, Served  # noqa: E402

AUTH = {"photoroom": "x-api-key: schemathesis-key"}
BEARER = "Authorization: Bearer schemathesis-key"
# Only the key Schemathesis sends is valid, so its invalid-key probes must be refused.
SERVER_ARGS = ("--api-key", "schemathesis-key", "--rate-limit", "tengr.limit=1000000", "--job-progression", "immediate")


def excluded(provider: str) -> list[str]:
    """Checks that do not apply to the provider; each spec says why (``x-segmock-schemathesis``)."""
    import contracts

    block = contracts.spec(provider).raw.get("x-segmock-schemathesis") or {}
    return sorted(block.get("exclude-checks") or {})


def command(url: str, provider: str, seed: int, max_examples: int, *extra: str) -> list[str]:
    """The Schemathesis CLI run for one spec: every check that applies, every phase."""
    out = [sys.executable, "-m", "schemathesis.cli", "run", str(ROOT / "specs" / f"{provider}.yaml"), "--url", url,
           "-H", AUTH.get(provider, BEARER), "--checks", "all", "--seed", str(seed), "--max-examples",
           str(max_examples), "--suppress-health-check", "all", "--request-timeout", "60", *extra]
    for check in excluded(provider):
        out += ["--exclude-checks", check]
    return out


def run(url: str, provider: str, seed: int, max_examples: int, report_dir: Path) -> tuple[int, Counter[str]]:
    """One Schemathesis run; returns (test cases generated, failures by title)."""
    out = report_dir / f"{provider}-{seed}"
    done = subprocess.run(command(url, provider, seed, max_examples, "--report", "ndjson", "--report-dir", str(out)),
                          cwd=report_dir.parent, capture_output=True, text=True, timeout=1800)
    generated = re.search(r"(\d+) generated", done.stdout)
    failures: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        found = re.match(r"\s+❌ (ST\d+ .+): (\d+)$", line)
        if found:
            failures[found.group(1)] += int(found.group(2))
    return int(generated.group(1)) if generated else 0, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--provider", action="append", help="only these specs (default: all four)")
    args = parser.parse_args()
    providers = args.provider or ["photoroom", "tengr", "sellerpic", "prodia"]
    state = Path(tempfile.mkdtemp(prefix="segmock-fuzz-"))
    server = Served(state / "state", *SERVER_ARGS)
    baseline = server.rss()
    totals: Counter[str] = Counter()
    cases = 0
    try:
        with PeakSampler(server) as peak:
            for provider in providers:
                for seed in args.seeds:
                    generated, failures = run(server.url, provider, seed, args.max_examples, state / "reports")
                    cases += generated
                    totals.update(failures)
                    text = ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())) or "none"
                    print(f"{provider:10} seed {seed}: {generated:5} cases, failures: {text}", flush=True)
            alive = server.up()
    finally:
        server.stop()
    print(json.dumps({"cases": cases, "failures": dict(totals), "server_up_after": alive,
                      "rss_idle_mib": round(baseline / 2**20), "rss_peak_mib": round(peak.peak / 2**20)}))
    return 1 if any(k.startswith("ST101") for k in totals) or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
