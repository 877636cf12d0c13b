"""Render exchange verdicts for people (console text), for tools (JSON) and for CI (JUnit XML).

Client violations (the user's bug) and provider violations (drift from the spec) are always printed under
separate headings, because they call for different fixes: change the code, or change the spec.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from typing import Any

from contracts.cassettes.verify import ExchangeReport
from contracts.check.violations import Violation


def _violation_line(v: Violation) -> str:
    where = f"{v.location} {v.parameter}" if v.parameter else v.location
    tag = "" if v.severity == "error" else " (warning)"
    return f"{where}: {v.message} [{v.rule}]{tag}"


def exchange_text(report: ExchangeReport) -> str:
    """A few lines per exchange: what was called, and who broke which rule."""
    mark = "ok  " if report.ok else "FAIL"
    lines = [f"{mark} #{report.index} {report.method} {report.path} -> {report.status}"
             f"  ({report.operation or 'unknown operation'})"]
    for title, violations in (("client", report.client), ("provider", report.provider)):
        for v in violations:
            lines.append(f"       {title:8} {_violation_line(v)}")
    for a in report.assumptions:
        lines.append(f"       {a.verdict:9} assumption {a.pointer}: {a.text[:100]}")
        if a.verdict == "refuted":
            lines.append(f"                 because {a.reason}")
    return "\n".join(lines)


def assumption_summary(reports: Iterable[ExchangeReport]) -> list[dict[str, Any]]:
    """Each judged assumption once, with how many exchanges confirmed and refuted it."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        for a in report.assumptions:
            row = table.setdefault((a.pointer, a.text), {"pointer": a.pointer, "text": a.text, "confirmed": 0,
                                                         "refuted": 0, "refuted_by": []})
            row[a.verdict] += 1
            if a.verdict == "refuted":
                row["refuted_by"].append({"exchange": report.index, "reason": a.reason})
    return list(table.values())


def summary(reports: list[ExchangeReport]) -> dict[str, Any]:
    client = Counter(v.severity for r in reports for v in r.client)
    provider = Counter(v.severity for r in reports for v in r.provider)
    assumptions = assumption_summary(reports)
    return {
        "exchanges": len(reports),
        "failed": sum(not r.ok for r in reports),
        "client_violations": client["error"], "client_warnings": client["warning"],
        "provider_violations": provider["error"], "provider_warnings": provider["warning"],
        "assumptions_confirmed": sum(1 for a in assumptions if a["confirmed"] and not a["refuted"]),
        "assumptions_refuted": sum(1 for a in assumptions if a["refuted"]),
    }


def summary_text(s: dict[str, Any]) -> str:
    return (f"{s['exchanges']} exchanges, {s['failed']} failed: {s['client_violations']} client violations, "
            f"{s['provider_violations']} provider violations; assumptions {s['assumptions_confirmed']} confirmed, "
            f"{s['assumptions_refuted']} refuted")


def report_document(reports: list[ExchangeReport], **meta: Any) -> dict[str, Any]:
    return {**meta, "summary": summary(reports), "exchanges": [r.to_dict() for r in reports],
            "assumptions": assumption_summary(reports)}


def junit_xml(suites: dict[str, list[ExchangeReport]]) -> str:
    """One test suite per cassette, one test case per exchange; violations become failures."""
    root = ET.Element("testsuites", name="segmock verify")
    for name, reports in suites.items():
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(reports)),
                              failures=str(sum(not r.ok for r in reports)), errors="0", skipped="0")
        for r in reports:
            case = ET.SubElement(suite, "testcase", classname=name,
                                 name=f"#{r.index} {r.method} {r.path} -> {r.status} ({r.operation or '?'})")
            if not r.ok:
                errors = [v for v in (*r.client, *r.provider) if v.severity == "error"]
                failure = ET.SubElement(case, "failure", type="contract-violation",
                                        message=f"{len(errors)} contract violation(s)")
                failure.text = exchange_text(r)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
