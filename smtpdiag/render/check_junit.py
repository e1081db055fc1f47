"""``smtpdiag check --format junit``: JUnit XML, so CI systems show each failure natively.

One ``<testsuite>`` per target, one ``<testcase>`` per step the walk reached (connect, greeting,
ehlo, tls, auth, mail, rcpt, data) plus ``session`` (the whole session's time and what belongs
to no single step).  A WARNING or CRITICAL reason is a ``<failure type="WARNING|CRITICAL">`` of
its step, an UNKNOWN one an ``<error>``.  Built with ElementTree (which escapes markup); server
text is made safe with ``clean`` first, since XML 1.0 cannot carry control characters at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..core.health import CheckResult, CheckRun, Reason, exit_code, logical_step, worst
from ..core.thresholds import TIME_STEPS
from .doc import clean as _clean

__all__ = ["junit_xml"]

SESSION = "session"
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # what clean() lets through, XML cannot


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", _clean(text))


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _cases(result: CheckResult) -> list[tuple[str, float, list[Reason]]]:
    times = dict(result.metrics.steps)
    grouped: dict[str, list[Reason]] = {}
    for reason in result.reasons:
        step = logical_step(reason.step) if reason.step else None
        grouped.setdefault(step or SESSION, []).append(reason)
    names = [s for s in TIME_STEPS if s in times or s in grouped]
    return [(name, times.get(name, 0.0), grouped.get(name, [])) for name in names] + [
        (SESSION, result.metrics.total, grouped.get(SESSION, []))]


def _suite(parent: ET.Element, result: CheckResult) -> tuple[int, int, int]:
    cases = _cases(result)
    suite = ET.SubElement(parent, "testsuite", {
        "name": clean(result.target),
        "timestamp": result.report.started_at.removesuffix("+00:00"),
        "time": _seconds(result.metrics.total),
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (("state", result.state), ("exit_code", str(exit_code(result.state))),
                        ("summary", clean(result.summary))):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    failures = errors = 0
    for name, seconds, reasons in cases:
        case = ET.SubElement(suite, "testcase", {
            "classname": clean(result.target), "name": name, "time": _seconds(seconds)})
        if not reasons:
            continue
        state = worst(r.state for r in reasons)
        tag = "error" if state == "UNKNOWN" else "failure"
        failures += tag == "failure"
        errors += tag == "error"
        element = ET.SubElement(case, tag, {"type": state,
                                            "message": clean(f"{state}: {reasons[0].message}")})
        element.text = "\n".join(clean(f"{r.state}: {r.message}") for r in reasons)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return len(cases), failures, errors


def junit_xml(run: CheckRun) -> str:
    root = ET.Element("testsuites", {"name": "smtpdiag check",
                                     "time": _seconds(run.elapsed_ms / 1000)})
    tests = failures = errors = 0
    for result in run.results:
        counts = _suite(root, result)
        tests, failures, errors = tests + counts[0], failures + counts[1], errors + counts[2]
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
