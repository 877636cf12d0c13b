"""Decide which ``x-segmock-assumption`` claims a real exchange confirms or refutes.

The rule:

* **Response nodes.** For the documented response of the status received (``responses/<status>``, or
  ``<n>XX``), the assumptions on the response object, on the media type of the body received (and that
  media type's ``schema`` node), and on each declared header present in the response are
  *confirmed* when the response validates with no provider error, and *refuted* when a provider error
  points at them: a body error refutes the media type's claims, a header error that header's claims, a
  content type the status does not document refutes the media-type claims of a status documenting a
  single type, and any error refutes the claims on the response object itself.
* **Error catalog.** An ``x-segmock-errors`` entry (for this operation, or for all) whose ``message``
  appears in an error response's body is *confirmed* when the status matches the entry's, and *refuted*
  when no entry carrying that message has the status received.

Assumptions on other statuses, or about requests, are left unjudged: one exchange says nothing about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from contracts.check.violations import Violation
from contracts.openapi.documents import Spec

Verdict = Literal["confirmed", "refuted"]


@dataclass(frozen=True)
class AssumptionVerdict:
    pointer: str
    text: str
    verdict: Verdict
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _own(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    value = node.get("x-segmock-assumption")
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _deref(spec: Spec, node: Any, pointer: str) -> tuple[Any, str]:
    while isinstance(node, dict) and "$ref" in node and str(node["$ref"]).startswith("#/"):
        pointer = str(node["$ref"])[1:]
        node = spec.resolve({"$ref": node["$ref"]})
    return node, pointer


def _claims(spec: Spec, node: Any, pointer: str) -> list[tuple[str, str]]:
    node, pointer = _deref(spec, node, pointer)
    return [(pointer, text) for text in _own(node)]


def _media_claims(spec: Spec, media: Any, pointer: str) -> list[tuple[str, str]]:
    media, pointer = _deref(spec, media, pointer)
    out = _claims(spec, media, pointer)
    if isinstance(media, dict) and "schema" in media:
        out += _claims(spec, media["schema"], f"{pointer}/schema")
    return out


def _response_node(spec: Spec, operation: str, status: int) -> tuple[Any, str] | None:
    op = spec.operations[operation]
    responses = op.node.get("responses", {})
    base = f"/paths/{_escape(op.path)}/{op.method}/responses"
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx"):
        if key in responses:
            return _deref(spec, responses[key], f"{base}/{_escape(key)}")
    return None


def judge(spec: Spec, operation: str, status: int, mimetype: str, header_names: Iterable[str],
          body_text: str, violations: list[Violation]) -> list[AssumptionVerdict]:
    """The assumptions this exchange confirms or refutes (see the module docstring for the rule)."""
    errors = [v for v in violations if v.side == "provider" and v.severity == "error"]
    out = _judge_response(spec, operation, status, mimetype, {h.lower() for h in header_names}, errors)
    out += _judge_catalog(spec, operation, status, body_text)
    unique: dict[tuple[str, str], AssumptionVerdict] = {}
    for verdict in out:
        unique.setdefault((verdict.pointer, verdict.text), verdict)
    return list(unique.values())


def _judge_response(spec: Spec, operation: str, status: int, mimetype: str, present: set[str],
                    errors: list[Violation]) -> list[AssumptionVerdict]:
    found = _response_node(spec, operation, status)
    if found is None:
        return []
    node, pointer = found
    content = node.get("content", {}) if isinstance(node, dict) else {}
    type_error = any(v.rule == "content-type" for v in errors)
    body_errors = [v for v in errors if v.location == "body"]
    header_errors = {(v.parameter or "").lower() for v in errors if v.location == "header" and v.rule != "content-type"}
    out: list[AssumptionVerdict] = []

    def add(claims: list[tuple[str, str]], refuted: bool, reason: str) -> None:
        verdict: Verdict = "refuted" if refuted else "confirmed"
        out.extend(AssumptionVerdict(p, t, verdict, reason) for p, t in claims)

    first = errors[0].message if errors else ""
    add(_claims(spec, node, pointer), bool(errors),
        f"status {status}: {first}" if errors else f"status {status} validated")
    if type_error:
        if len(content) == 1:
            (only, media), = content.items()
            add(_media_claims(spec, media, f"{pointer}/content/{_escape(only)}"), True,
                f"status {status} came as {mimetype or 'no content type'}, not {only}")
    elif mimetype in content:
        add(_media_claims(spec, content[mimetype], f"{pointer}/content/{_escape(mimetype)}"), bool(body_errors),
            f"{mimetype} body: {body_errors[0].message}" if body_errors else f"{status} {mimetype} body validated")
    for name, header in (node.get("headers", {}) if isinstance(node, dict) else {}).items():
        if name.lower() not in present:
            continue
        header, hpointer = _deref(spec, header, f"{pointer}/headers/{_escape(name)}")
        claims = _claims(spec, header, hpointer)
        if isinstance(header, dict) and "schema" in header:
            claims += _claims(spec, header["schema"], f"{hpointer}/schema")
        bad = name.lower() in header_errors
        add(claims, bad, f"header {name} {'is invalid' if bad else 'validated'}")
    return out


def _pattern(message: str) -> re.Pattern[str]:
    """An error message template as a regex (``<name>`` and ``{name}`` placeholders match anything)."""
    parts = re.split(r"(<[^>]+>|\{[^}]+\})", message)
    return re.compile("".join(".+?" if p[:1] in "<{" and p[-1:] in ">}" else re.escape(p) for p in parts))


def _judge_catalog(spec: Spec, operation: str, status: int, body_text: str) -> list[AssumptionVerdict]:
    if status < 400 or not body_text:
        return []
    matched = []
    for key, entry in spec.errors.items():
        if not isinstance(entry, dict) or not entry.get("message"):
            continue
        if entry.get("operations") and operation not in entry["operations"]:
            continue
        if _pattern(str(entry["message"])).search(body_text):
            matched.append((key, entry))
    if not matched:
        return []
    same = [(k, e) for k, e in matched if int(e.get("status", 0)) == status]
    out: list[Any] = []
    for key, entry in same or matched:
        verdict: Verdict = "confirmed" if same else "refuted"
        reason = (f"'{entry['message']}' came with status {status}" if same
                  else f"'{entry['message']}' came with status {status}, the catalog says {entry.get('status')}")
        out.extend(AssumptionVerdict(f"/x-segmock-errors/{_escape(key)}", t, verdict, reason) for t in _own(entry))
    return out
