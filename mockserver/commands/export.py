"""``segmock export``: convert a segmock cassette for other tools (VCR.py / pytest-recording)."""

from __future__ import annotations

import argparse
import sys

from contracts.cassettes import cassette as cassettes
from contracts.cassettes import vcr


def run(args: argparse.Namespace) -> int:
    try:
        cassette = cassettes.load(args.vcr)
    except (OSError, ValueError) as exc:
        print(f"segmock export: {exc}", file=sys.stderr)
        return 2
    out = vcr.export(cassette.interactions, args.out)
    print(f"segmock export: {len(cassette.interactions)} interaction(s) written to {out} (VCR.py format)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="write a cassette in VCR.py's format",
                            description="Convert a segmock cassette (assets inlined) into a VCR.py cassette "
                                        "that VCR.py and pytest-recording replay.")
    parser.add_argument("--vcr", required=True, metavar="PATH", help="the segmock cassette to convert")
    parser.add_argument("out", metavar="OUT", help="the VCR.py cassette to write")
    parser.set_defaults(func=run)
