"""``segmock specs``: list the bundled provider specs, or compare one with the provider's published document."""

from __future__ import annotations

import argparse
import sys

import contracts
from contracts.openapi.diff import REFUSING, diff, load_published


def run(args: argparse.Namespace) -> int:
    words = list(args.provider)
    if words[:1] == ["diff"]:
        return run_diff(words[1:])
    unknown = [name for name in words if name not in contracts.providers()]
    if unknown:
        print(f"segmock specs: no spec for {', '.join(unknown)}; available: {', '.join(contracts.providers())}",
              file=sys.stderr)
        return 2
    for name in words or contracts.providers():
        spec = contracts.spec(name)
        print(f"{name}: {spec.path}")
        for op in spec.operations.values():
            mark = "  (501: not mocked by segmock)" if op.node.get("x-segmock-unmocked") else ""
            print(f"  {op.method.upper():6} {op.base_url}{op.path}  ({op.operation_id}){mark}")
    return 0


def run_diff(words: list[str]) -> int:
    """``segmock specs diff PROVIDER FILE``: exit 1 when the provider accepts something our spec refuses."""
    if len(words) != 2 or words[0] not in contracts.providers():
        print("usage: segmock specs diff PROVIDER FILE (PROVIDER one of "
              f"{', '.join(contracts.providers())}; FILE the provider's published OpenAPI document)", file=sys.stderr)
        return 2
    try:
        published = load_published(words[1])
    except (OSError, ValueError) as exc:
        print(f"segmock specs diff: {exc}", file=sys.stderr)
        return 2
    findings = diff(contracts.spec(words[0]), published)
    for finding in findings:
        print(finding)
    refusing = [f for f in findings if f.kind in REFUSING]
    counts = {kind: sum(f.kind == kind for f in findings) for kind in dict.fromkeys(f.kind for f in findings)}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no differences"
    print(f"{words[0]}: {summary}; " + (f"{len(refusing)} refuse what the provider accepts" if refusing
                                        else "nothing the provider accepts is refused"))
    return 1 if refusing else 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "specs", help="list the bundled provider specs; 'specs diff PROVIDER FILE' compares one with the provider's "
                      "published OpenAPI document",
        description="segmock specs [PROVIDER...] lists operations. segmock specs diff PROVIDER FILE compares our spec "
                    "with the provider's published OpenAPI document (operations, parameters, enums, ranges, defaults, "
                    "required fields, response codes, media types) and exits 1 when a value the provider accepts "
                    "would be refused by segmock.")
    parser.add_argument("provider", nargs="*", help="only these providers; or: diff PROVIDER FILE")
    parser.set_defaults(func=run)
