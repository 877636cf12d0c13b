"""``segmock scaffold-provider NAME``: a new provider's spec, contract module and mock folder from a template.

What it writes (in a segmock checkout): ``specs/NAME.yaml``, ``contracts/check/providers/NAME.py`` and
``mockserver/providers/NAME/`` with the fixed files every provider has (``__init__``, ``settings``, ``models``,
``handlers``, ``render``, ``urls``). The result loads, serves its one template operation and passes the generic
provider tests; from there, the spec is rewritten from the provider's docs and the folder follows it.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")
FOLDER_FILES = ("__init__", "settings", "models", "handlers", "render", "urls")


def targets(root: Path, name: str) -> dict[str, Path]:
    """Template name → where it goes."""
    out = {"spec.yaml": root / "specs" / f"{name}.yaml",
           "contract.py": root / "contracts" / "check" / "providers" / f"{name}.py"}
    out.update({f"{f}.py": root / "mockserver" / "providers" / name / f"{f}.py" for f in FOLDER_FILES})
    return out


def scaffold(root: Path, name: str) -> list[Path]:
    """Write the new provider's files; ``ValueError`` for a bad name, a non-checkout root or an existing file."""
    if not NAME.match(name):
        raise ValueError(f"a provider name is lower-case letters and digits, starting with a letter: {name!r}")
    if not all((root / part).is_dir() for part in ("specs", "contracts", "mockserver")):
        raise ValueError(f"{root} is not a segmock checkout (no specs/, contracts/ and mockserver/)")
    planned = targets(root, name)
    taken = [str(path) for path in planned.values() if path.exists()]
    if taken:
        raise ValueError(f"provider {name!r} exists already: {', '.join(taken)}")
    template = resources.files(__package__) / "provider_template"
    for source, path in planned.items():
        text = (template / f"{source}.tmpl").read_text(encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("ProviderName", name.capitalize()).replace("PROVIDERNAME", name),
                        encoding="utf-8")
    return list(planned.values())


def run(args: argparse.Namespace) -> int:
    try:
        written = scaffold(Path(args.root).resolve(), args.name)
    except ValueError as exc:
        print(f"segmock: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"  wrote {path}")
    print(f"provider {args.name} scaffolded: `segmock serve --provider {args.name}` serves it; now write its spec")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scaffold-provider", help="create a new provider's spec and folder from the template")
    parser.add_argument("name", help="the provider's name (lower-case letters and digits)")
    parser.add_argument("--root", default=".", help="the segmock checkout to write into (default: .)")
    parser.set_defaults(func=run)
