"""``segmock record``: a recording proxy in front of the real provider, checking the contract live."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import contracts
from contracts.cassettes import assumptions, reports
from contracts.cassettes.redaction import Redactor
from mockserver.core.malloc import keep_freed_memory
from mockserver.recorder.proxy import Budget, RecordingProxy
from mockserver.recorder.recording import RecorderProcess, RecordingSession
from mockserver.serving import Options, serve

from .args import plain, port
from .startup import built


def _print_summary(report_path: Path) -> None:
    try:
        document = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print("segmock record: no exchanges recorded")
        return
    print("segmock record: " + reports.summary_text(document["summary"]))
    if document.get("refused"):
        print(f"segmock record: {len(document['refused'])} request(s) refused by the proxy (not forwarded)")
    for row in document.get("assumptions", []):
        if row["refuted"]:
            print(f"  REFUTED {row['pointer']}: {row['text'][:110]}")


def run(args: argparse.Namespace) -> int:
    cassette = Path(args.cassette)
    if cassette.exists() and not args.append:
        cassette.unlink()
    redactor = Redactor.with_extra(args.redact_header, args.redact_query, args.redact_field)
    workdir = tempfile.TemporaryDirectory(prefix="segmock-record-")
    report = Path(args.report) if args.report else Path(workdir.name) / "report.json"
    spec = contracts.spec(args.provider)

    recorder = RecorderProcess(lambda: RecordingSession(args.provider, cassette, redactor, report))

    proxy = RecordingProxy(spec, recorder.exchange, args.upstream, Budget(args.max_requests),
                           on_refused=recorder.refuse)

    def on_exit() -> None:
        recorder.stop()
        _print_summary(report)

    upstream = args.upstream or ", ".join(spec.base_urls)
    keep_freed_memory()  # before the fork: the recorder and the workers relay big bodies over and over
    with workdir:
        built()  # before the recorder's process starts: it must not inherit a paused collector
        recorder.start()
        serve(proxy, args.host, args.port, Options(threads=16, ident="segmock record"), on_exit=on_exit,
              on_ready=lambda base: print(f"segmock record: {args.provider} proxy to {upstream} on {base}", flush=True))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "record", help="record real provider traffic through a checking proxy",
        description="Forward requests unchanged to the real provider, record them to a cassette (secrets "
                    "redacted) and check both directions against the provider's contract.",
        epilog="Assumption verdicts" + plain((assumptions.__doc__ or "").split("The rule", 1)[-1]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", required=True, choices=contracts.providers())
    parser.add_argument("--upstream", help="send everything here instead of the provider's real hosts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8790, help="0 picks a free port (default 8790)")
    parser.add_argument("--cassette", required=True, help="cassette to write (YAML; assets beside it)")
    parser.add_argument("--append", action="store_true", help="add to an existing cassette instead of replacing it")
    parser.add_argument("--max-requests", type=int, default=None, metavar="N",
                        help="forward at most N requests; later ones get a 429 from the proxy itself")
    parser.add_argument("--redact-header", nargs="+", action="extend", default=[], metavar="H")
    parser.add_argument("--redact-query", nargs="+", action="extend", default=[], metavar="Q")
    parser.add_argument("--redact-field", nargs="+", action="extend", default=[], metavar="F",
                        help="JSON, urlencoded or multipart field names (any depth)")
    parser.add_argument("--report", help="JSON report of client/provider violations and assumption verdicts")
    parser.set_defaults(func=run)
