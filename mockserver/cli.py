"""The ``segmock`` command line: serve the mock, record and replay real traffic, verify contracts."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from .commands import COMMANDS
from .commands.startup import collector_paused


class Parser(argparse.ArgumentParser):
    """Misuse ends in one line naming the problem (exit 2), not a usage block the line drowns in."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("segmock")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Version(argparse.Action):
    """``--version``, read from the installed metadata only when asked for (it costs start-up otherwise)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"segmock {version()}")
        parser.exit(0)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a command, only that command's module is imported (each one pulls in
    its own dependencies, and ``segmock serve`` should not wait for the recorder's)."""
    parser = Parser(prog="segmock", description=__doc__)
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = words[0] if words and words[0] in COMMANDS else None
    for verb in (chosen,) if chosen else COMMANDS:
        importlib.import_module(f"{__package__}.commands.{COMMANDS[verb]}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with collector_paused(list(sys.argv[1:] if argv is None else argv)):  # a server starts with it off
        args = build_parser(argv).parse_args(argv)
        return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
