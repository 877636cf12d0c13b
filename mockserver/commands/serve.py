"""``segmock serve``: the mock on a production HTTP server (:mod:`mockserver.serving`), every provider at its
real paths on one port."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import contracts

from ..config import MockConfig
from ..providers import available
from .args import at_least_one, bind_problem, port
from .startup import built


def mock_app(config: MockConfig) -> Any:
    """The app, with every provider's openapi-core objects built (before the fork: every worker starts warm)."""
    from contracts.check.validation import openapi

    from ..app import create_app

    app = create_app(config)
    for name in app.extensions["segmock.providers"]:
        openapi(name)
    return app


def run(args: argparse.Namespace) -> int:
    from ..core.malloc import limit_arenas
    from ..server_hooks import serving_options
    from ..serving import serve

    providers = tuple(args.provider or available())
    try:
        config = MockConfig(
            providers=providers,
            api_keys=tuple(args.api_key or ()),
            state_dir=Path(args.state_dir) if args.state_dir else None,
            job_progression=args.job_progression,
            segmenter=args.segmenter,
            allow_private_webhooks=args.allow_private_webhooks,
            fetch_allow_hosts=tuple(args.fetch_allow_host or ()),
            rate_limits=rate_limit_overrides(args.rate_limit or ()),
            journal_size=args.journal_size,
            journal_thumbnails=not args.no_thumbnails,
            log_format=request_log_format(
            "human" if args.access_log and args.log_format == "auto" else args.log_format),
            extra=_prodia_async_segment() if args.prodia_async_segment else {},
            work_memory_bytes=int(args.work_memory_mb * 2**20),
            workers=max(1, args.workers),
            webhook_signature_header=args.webhook_signature_header,
            webhook_signature_format=args.webhook_signature_format,
            clock=args.clock,
        )
        config.validate(load_segmenter=True)
    except ValueError as exc:
        return _refuse(_in_flags(str(exc)))
    problem = bind_problem(args.host, args.port)
    if problem:
        return _refuse(problem, status=1)
    owner, temporary = os.getpid(), config.state_dir is None
    state_dir = config.state_dir = config.state_dir or Path(tempfile.mkdtemp(prefix="segmock-state-"))
    config.resolved_state_dir()

    def ready(base: str) -> None:
        print(f"segmock serving on {base} (workers: {args.workers}, state: {config.state_dir})", flush=True)
        for name in providers:
            for host in contracts.spec(name).hosts:
                print(f"  {name:10} https://{host} -> {base}", flush=True)
        print(f"  inspector  {base}/__segmock/  (journal: {base}/__segmock/requests)", flush=True)

    try:
        limit_arenas()  # before the workers fork: image buffers freed by one request thread are reused by the next
        app = mock_app(config)
        options = serving_options(app)
        built()
        serve(app, args.host, args.port, options, workers=args.workers, on_ready=ready)
    finally:
        if temporary and os.getpid() == owner:  # only the parent cleans (workers end with os._exit anyway)
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


def _prodia_async_segment() -> dict[str, object]:
    """The ``MockConfig.extra`` of ``--prodia-async-segment`` (Prodia's folder is imported only when asked for)."""
    from ..providers.prodia.models import ASYNC_FLAG

    return {ASYNC_FLAG: True}


def _in_flags(message: str) -> str:
    """A ``MockConfig`` complaint in the words of the command line (``journal_size`` → ``--journal-size``)."""
    for setting in ("job_progression", "journal_size", "segmenter"):
        if message.startswith(setting):
            return "--" + message.replace("_", "-", 1)
    return message


def _refuse(message: str, status: int = 2) -> int:
    print(f"segmock serve: {message}", file=sys.stderr)
    return status


def request_log_format(choice: str) -> str | None:
    """``auto`` logs to a terminal and to a file (``segmock serve > mock.log``); a pipe gets lines only when
    asked for, since a pipe nobody reads fills up and would stall the server."""
    if choice == "auto":
        return "human" if sys.stdout.isatty() or _is_file(sys.stdout) else None
    return None if choice == "off" else choice


def _is_file(stream: object) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def rate_limit_overrides(items: tuple[str, ...] | list[str]) -> dict[str, dict[str, float]]:
    """``PROVIDER.KEY=NUMBER`` items as ``MockConfig.rate_limits`` (keys of the spec's x-segmock-rate-limit)."""
    out: dict[str, dict[str, float]] = {}
    for item in items:
        target, _, value = item.partition("=")
        provider, _, key = target.partition(".")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not provider or not key or number is None:
            raise ValueError(f"--rate-limit wants PROVIDER.KEY=NUMBER (e.g. photoroom.images_per_minute=10), "
                             f"not {item!r}")
        out.setdefault(provider, {})[key] = int(number) if number.is_integer() else number
    return out


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="serve the mock providers over HTTP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8080, help="0 picks a free port (default 8080)")
    parser.add_argument("--provider", action="append", metavar="NAME",
                        help="serve only this provider (repeatable; default: all)")
    parser.add_argument("--workers", type=at_least_one, default=1, help="worker processes (state is shared)")
    parser.add_argument("--work-memory-mb", type=float, default=2048, metavar="MB",
                        help="memory budget of image work in flight, for the whole server (default: 2048); "
                             "requests beyond it wait their turn")
    parser.add_argument("--api-key", action="append", metavar="KEY",
                        help="accept only these keys (repeatable; default: any non-empty key)")
    parser.add_argument("--state-dir", help="where jobs, results and counters live (default: a temp dir, removed "
                                            "when the server stops)")
    parser.add_argument("--job-progression", default="polls:2",
                        help="async job progression: immediate, polls:N or seconds:S (default: polls:2)")
    parser.add_argument("--segmenter", metavar="MODULE:FACTORY", help="plug in another segmenter")
    parser.add_argument("--allow-private-webhooks", action="store_true",
                        help="deliver webhooks to loopback/private hosts (the real APIs refuse them)")
    parser.add_argument("--webhook-signature-header", metavar="NAME",
                        help="header carrying tengr webhook signatures (segmock's invention, default "
                             "X-Tengr-Signature; tengr documents no scheme)")
    parser.add_argument("--webhook-signature-format", metavar="TEMPLATE",
                        help="its value, {hexdigest} standing for the HMAC-SHA256 (default: sha256={hexdigest})")
    parser.add_argument("--clock", default="real", metavar="real|frozen:ISO-TIME",
                        help="time stamped on job JSON (Prodia created_at/expires_at): real (default) or e.g. "
                             "frozen:2025-01-01T00:00:00Z for byte-identical answers")
    parser.add_argument("--fetch-allow-host", action="append", metavar="HOST",
                        help="only fetch imageUrl from these hosts (repeatable)")
    parser.add_argument("--prodia-async-segment", action="store_true",
                        help="let Prodia segment jobs run on /v2/job/async (the spec assumes they may not)")
    parser.add_argument("--rate-limit", action="append", metavar="PROVIDER.KEY=N",
                        help="override a key of a provider's x-segmock-rate-limit, e.g. tengr.limit=100000 "
                             "(repeatable)")
    parser.add_argument("--access-log", action="store_true",
                        help="one line per request even when stdout is not a terminal (same as --log-format human)")
    parser.add_argument("--log-format", choices=("auto", "human", "json", "off"), default="auto",
                        help="segmock's request log on stdout, one line per request with time, provider, "
                             "operation and fault (default auto: human on a terminal or a file, off when stdout is "
                             "a pipe, so a pipe nobody reads never stalls the server)")
    parser.add_argument("--journal-size", type=at_least_one, default=1000, metavar="N",
                        help="keep the last N requests in the journal (GET /__segmock/requests; default: 1000)")
    parser.add_argument("--no-thumbnails", action="store_true",
                        help="do not keep input/mask thumbnails for the inspector (/__segmock/)")
    parser.set_defaults(func=run)
