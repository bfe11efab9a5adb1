"""A JUnit XML report: one test case per feature layer, per test file of no feature, per gate.

The layout is the one CI servers read (Jenkins, GitLab, GitHub test reporters): a ``testsuites``
root holding one ``testsuite`` whose counts add up its ``testcase`` elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.report.files import write_report

if TYPE_CHECKING:
    from lockgate.deploy.gates import GateResult
    from lockgate.model import AlignResult

NOT_JUDGED = "not judged"  # a broken file's layers after the one that names the problem


@dataclass(frozen=True)
class Case:
    """One test case: passed (``outcome`` None), ``failure`` or ``skipped``, with why."""

    classname: str
    name: str
    seconds: float
    outcome: str | None = None
    message: str = ""
    file: str | None = None
    line: int | None = None


def cases(result: AlignResult, gates: list[GateResult] | None = None) -> list[Case]:
    """The test cases of one run, in the order the console shows them."""
    out = []
    for r in result.features:
        f = r.feature
        for name, got in r.layers.items():
            outcome = None
            if not got.passed:
                outcome = "skipped" if got.detail.startswith(NOT_JUDGED) else "failure"
            message = got.detail or f"{name} failed"
            out.append(Case(f.id, name, got.seconds, outcome, message, f.path, f.line))
        perf = r.performance
        if perf is not None and "optimized" not in r.layers:
            outcome = None if perf.passed else "failure"
            out.append(Case(f.id, "performance", 0.0, outcome, perf.detail, f.path, f.line))
    for s in result.suite:
        outcome = None if s.passed else "failure"
        out.append(Case("lockgate.suite", s.path, s.seconds, outcome, s.detail, s.path))
    for g in gates or []:
        # A gate that is off judged nothing; one that only warns does not fail the run.
        if g.severity == "off":
            outcome = "skipped"
        else:
            outcome = None if g.passed or g.severity == "warning" else "failure"
        out.append(Case("lockgate.gates", g.name, 0.0, outcome, g.detail))
    return out


def render(result: AlignResult, gates: list[GateResult] | None = None) -> bytes:
    """The XML document."""
    found = cases(result, gates)
    failures = sum(c.outcome == "failure" for c in found)
    skipped = sum(c.outcome == "skipped" for c in found)
    counts = {
        "tests": str(len(found)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{sum(c.seconds for c in found):.3f}",
    }
    root = ET.Element("testsuites", {"name": "lockgate", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "lockgate", **counts})
    for c in found:
        attrs = {"classname": c.classname, "name": c.name, "time": f"{c.seconds:.3f}"}
        if c.file is not None:
            attrs["file"] = c.file
        if c.line is not None:
            attrs["line"] = str(c.line)
        case = ET.SubElement(suite, "testcase", attrs)
        if c.outcome is not None:
            ET.SubElement(case, c.outcome, {"message": c.message}).text = c.message
        elif c.message and c.classname == "lockgate.gates":
            ET.SubElement(case, "system-out").text = c.message
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def write(path: Path, data: bytes) -> None:
    """Write the report atomically: a reader sees the old file or the whole new one."""
    write_report(path, data)
