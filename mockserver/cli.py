"""The ``segmock`` command line: serve the mock, record and replay real traffic, verify contracts."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .commands import COMMANDS


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a command, only that command's module is imported (each one pulls in
    its own dependencies, and ``segmock serve`` should not wait for the recorder's)."""
    parser = argparse.ArgumentParser(prog="segmock", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = words[0] if words and words[0] in COMMANDS else None
    for verb in (chosen,) if chosen else COMMANDS:
        importlib.import_module(f"{__package__}.commands.{COMMANDS[verb]}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
