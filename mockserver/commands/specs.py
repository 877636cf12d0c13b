"""``segmock specs``: list the bundled provider specs and their operations."""

from __future__ import annotations

import argparse
import sys

import contracts


def run(args: argparse.Namespace) -> int:
    unknown = [name for name in args.provider if name not in contracts.providers()]
    if unknown:
        print(f"segmock specs: no spec for {', '.join(unknown)}; available: {', '.join(contracts.providers())}",
              file=sys.stderr)
        return 2
    for name in args.provider or contracts.providers():
        spec = contracts.spec(name)
        print(f"{name}: {spec.path}")
        for op in spec.operations.values():
            print(f"  {op.method.upper():6} {op.base_url}{op.path}  ({op.operation_id})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("specs", help="list the bundled provider specs and their operations")
    parser.add_argument("provider", nargs="*", help="only these providers")
    parser.set_defaults(func=run)
