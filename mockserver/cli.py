"""The ``segmock`` command line: serve the mock, and (in later subcommands) record, replay and verify."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import contracts


def _cmd_specs(args: argparse.Namespace) -> int:
    for name in contracts.providers():
        spec = contracts.spec(name)
        print(f"{name}: {spec.path}")
        for op in spec.operations.values():
            print(f"  {op.method.upper():6} {op.path:45} {op.operation_id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segmock", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    specs = sub.add_parser("specs", help="list the bundled provider specs and their operations")
    specs.set_defaults(func=_cmd_specs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
