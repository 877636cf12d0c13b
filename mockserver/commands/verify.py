"""``segmock verify``: offline contract check of segmock or VCR.py cassettes, or mock fidelity against them."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import contracts
from contracts.cassettes import cassette as cassettes
from contracts.cassettes import fidelity, reports
from contracts.cassettes.verify import ProviderUnknown, cassette_provider, verify_cassette

BLOCKING_FIDELITY = ("status", "content-type")


def cassette_paths(paths: list[str]) -> list[Path]:
    """Files as given; folders searched for ``*.yaml``/``*.yml``/``*.json`` outside asset folders."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json")
                          and not any(part.endswith(".assets") for part in p.parts))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(f"no such cassette: {path}")
    return out


def _contract(loaded: list[cassettes.Cassette], args: argparse.Namespace) -> int:
    suites = {}
    for cassette in loaded:
        results = verify_cassette(cassette, args.provider)
        suites[str(cassette.path)] = results
        print(f"== {cassette.path} ({cassette.format} cassette, {cassette_provider(cassette, args.provider)})")
        for r in results:
            print(reports.exchange_text(r))
        print(reports.summary_text(reports.summary(results)))
    if args.junit:
        Path(args.junit).write_text(reports.junit_xml(suites), encoding="utf-8")
    return 0 if all(r.ok for results in suites.values() for r in results) else 1


def _mock_sender(provider: str, state_dir: Path) -> fidelity.Send:
    try:
        from mockserver import create_app
        from mockserver.config import MockConfig
    except ImportError as exc:
        raise SystemExit(f"segmock verify --against-mock: the mock is not available ({exc})") from exc
    return fidelity.from_wsgi(create_app(MockConfig(providers=(provider,), state_dir=state_dir)))


def _against_mock(loaded: list[cassettes.Cassette], args: argparse.Namespace) -> int:
    failed = False
    for cassette in loaded:
        provider = cassette_provider(cassette, args.provider)
        with tempfile.TemporaryDirectory(prefix="segmock-state-") as state:  # nothing left behind
            results = fidelity.fidelity(provider, cassette.interactions, _mock_sender(provider, Path(state)))
        print(f"== {cassette.path}: mock fidelity ({provider})")
        print(fidelity.render(results))
        failed |= any(not c.ok for r in results for c in r.checks if c.name in BLOCKING_FIDELITY)
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    try:
        loaded = [cassettes.load(p) for p in cassette_paths(args.paths)]
        if not loaded:
            raise FileNotFoundError("no cassettes found")
        for cassette in loaded:
            cassette_provider(cassette, args.provider)
    except (OSError, ValueError, KeyError, ProviderUnknown) as exc:
        print(f"segmock verify: {exc}", file=sys.stderr)
        return 2
    return _against_mock(loaded, args) if args.against_mock else _contract(loaded, args)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "verify", help="check cassettes against the provider contracts (offline, for CI)",
        description="Check every exchange of segmock or VCR.py cassettes against the provider's contract. "
                    "Exit 0 when clean, 1 on violations, 2 on usage errors. With --against-mock, replay the "
                    "recorded requests into segmock's mock and compare (exit 1 when a status or content "
                    "type differs).")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cassette files or folders")
    parser.add_argument("--provider", choices=contracts.providers(),
                        help="default: from the cassette, else from the URL host")
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    parser.add_argument("--against-mock", action="store_true",
                        help="compare the recorded responses with the mock's (fidelity report per operation)")
    parser.set_defaults(func=run)
