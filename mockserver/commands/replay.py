"""``segmock replay``: serve a cassette's recorded responses over HTTP."""

from __future__ import annotations

import argparse
import sys

from contracts.cassettes import cassette as cassettes
from mockserver.recorder.replay import CRITERIA, ReplayApp
from mockserver.serving import Options, serve

from .args import port
from .startup import built


def run(args: argparse.Namespace) -> int:
    match_on = tuple(c.strip() for c in args.match.split(",") if c.strip())
    try:
        cassette = cassettes.load(args.cassette)
        app = ReplayApp(cassette, match_on, log=lambda line: print(line, flush=True))
    except (OSError, ValueError) as exc:
        print(f"segmock replay: {exc}", file=sys.stderr)
        return 2
    built()
    banner = f"segmock replay: {len(cassette.interactions)} interaction(s) from {args.cassette}"
    serve(app, args.host, args.port, Options(ident="segmock replay"),
          on_ready=lambda base: print(f"{banner} on {base}", flush=True))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("replay", help="serve recorded responses from a cassette",
                            description="Answer requests with the recorded responses, byte for byte. A request "
                                        "matching nothing gets a 404 naming the closest recordings.")
    parser.add_argument("--cassette", required=True, help="segmock or VCR.py cassette")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8791, help="0 picks a free port (default 8791)")
    parser.add_argument("--match", default=",".join(CRITERIA),
                        help=f"what must agree, comma-separated from {','.join(CRITERIA)} (default: all)")
    parser.set_defaults(func=run)
