"""Replay reports: plain text for people, JSON for scripts, JUnit XML for CI. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from protectcalc.render.jsontext import dumps_indented
from protectcalc.render.labels import plain
from protectcalc.scenarios.replay import Outcome, Status, Tally

REPORT_SCHEMA_VERSION = 1

_LABELS = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.UPDATED: "UPDATED",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def text_report(outcomes: Sequence[Outcome]) -> str:
    """One line per scenario, details indented under it; the tally last.

    The last line is always ``replay: N passed, N failed``; errors and updates are counted
    on their own lines just before it.
    """
    lines: list[str] = []
    for outcome in outcomes:
        head = f"{_LABELS[outcome.status]} {outcome.path}"
        if outcome.name:
            head += f"  {plain(outcome.name)}"  # a title from a file: no escape sequence runs
        lines.append(head)
        if outcome.status is Status.UPDATED:
            lines.extend(
                f"  {item.label}: {item.expected} -> {item.actual}" for item in outcome.differences
            )
        else:
            lines.extend(f"  {item.describe()}" for item in outcome.differences)
        lines.extend(f"  {problem}" for problem in outcome.problems)
    tally = Tally.of(outcomes)
    if tally.updated:
        lines.append(f"replay: {tally.updated} updated")
    if tally.errors:
        lines.append(f"replay: {_plural(tally.errors, 'error')}")
    lines.append(f"replay: {tally.passed} passed, {tally.failed} failed")
    return "\n".join(lines) + "\n"


def report_dict(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The whole replay as one JSON-ready object."""
    tally = Tally.of(outcomes)
    return {
        "schema": REPORT_SCHEMA_VERSION,
        "passed": tally.passed,
        "failed": tally.failed,
        "errors": tally.errors,
        "updated": tally.updated,
        "exit_code": tally.exit_code,
        "scenarios": [
            {
                "path": outcome.path,
                "name": outcome.name,
                "status": outcome.status.value,
                "seconds": outcome.seconds,
                "differences": [
                    {"field": item.label, "expected": item.expected, "actual": item.actual}
                    for item in outcome.differences
                ],
                "problems": list(outcome.problems),
            }
            for outcome in outcomes
        ],
    }


def json_report(outcomes: Sequence[Outcome]) -> str:
    """The JSON report, indented, ending in a newline."""
    return dumps_indented(report_dict(outcomes)) + "\n"


def junit_report(outcomes: Sequence[Outcome], suite: str = "protectcalc replay") -> str:
    """JUnit XML as CI systems read it: one testcase per scenario file."""
    from xml.etree import ElementTree

    tally = Tally.of(outcomes)
    counts = {
        "tests": str(len(outcomes)),
        "failures": str(tally.failed),
        "errors": str(tally.errors),
        "skipped": "0",
        "time": f"{tally.seconds:.6f}",
    }
    root = ElementTree.Element("testsuites", {"name": suite, **counts})
    suite_element = ElementTree.SubElement(root, "testsuite", {"name": suite, **counts})
    for outcome in outcomes:
        path = PurePosixPath(outcome.path)
        classname = ".".join(part for part in path.parent.parts if part not in ("", ".", "/"))
        case = ElementTree.SubElement(
            suite_element,
            "testcase",
            {
                "classname": classname or "scenarios",
                "name": f"{path.name}: {outcome.name}" if outcome.name else path.name,
                "file": outcome.path,
                "time": f"{outcome.seconds:.6f}",
            },
        )
        if outcome.status is Status.FAIL:
            failure = ElementTree.SubElement(
                case,
                "failure",
                {
                    "message": f"{_plural(len(outcome.differences), 'expectation')} not met",
                    "type": "mismatch",
                },
            )
            failure.text = "\n".join(item.describe() for item in outcome.differences)
        elif outcome.status is Status.ERROR:
            error = ElementTree.SubElement(
                case,
                "error",
                {
                    "message": outcome.problems[0] if outcome.problems else "error",
                    "type": "invalid",
                },
            )
            error.text = "\n".join(outcome.problems)
        elif outcome.status is Status.UPDATED:
            output = ElementTree.SubElement(case, "system-out")
            output.text = "updated: " + "; ".join(
                f"{item.label} {item.expected} -> {item.actual}" for item in outcome.differences
            )
    ElementTree.indent(root)
    body = _XML_ILLEGAL.sub("\ufffd", ElementTree.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 cannot hold: control characters, and the lone surrogates that stand for
the bytes of a file name that is not UTF-8 (``os.fsdecode``); each becomes U+FFFD."""
