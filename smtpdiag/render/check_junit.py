"""``smtpdiag check --format junit``: JUnit XML, so CI systems show each failure natively.

One ``<testsuite>`` per target, one ``<testcase>`` per step the walk reached (connect, greeting,
ehlo, tls, auth, mail, rcpt, data) plus ``session`` (the whole session's time and what belongs
to no single step).  A WARNING or CRITICAL reason is a ``<failure type="WARNING|CRITICAL">`` of
its step, an UNKNOWN one an ``<error>``.  Built with ElementTree (which escapes markup); server
text is made safe with ``clean`` first, since XML 1.0 cannot carry control characters at all.

Written as results arrive, in input order: the document's head, then each target's suite
(``junit_suite``, whole, with its own ``tests``/``failures``/``errors``), then the tail.  The
``<testsuites>`` wrapper carries no totals, since a start tag cannot wait for the last target:
JUnit consumers count the test cases themselves (Jenkins, GitLab), and pytest's own
``--junitxml`` writes the wrapper the same way; the totals are in a comment before the end
tag, for people.  A run stopped by a signal still ends the document, so the file parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..core.health import CheckResult, CheckRun, Reason, exit_code, logical_step, worst
from ..core.thresholds import TIME_STEPS
from .check_totals import RunTotals
from .doc import clean as _clean

__all__ = ["JUNIT_HEAD", "JunitSuite", "junit_suite", "junit_tail", "junit_xml"]

SESSION = "session"
JUNIT_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="smtpdiag check">\n'
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # what clean() lets through, XML cannot

JunitSuite = tuple[str, int, int, int]  # the suite's text, its tests, failures and errors


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


def junit_suite(result: CheckResult) -> JunitSuite:
    """One target's ``<testsuite>``, indented as a child of ``<testsuites>``, one line per
    element, and its counts."""
    cases = _cases(result)
    suite = ET.Element("testsuite", {
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
    ET.indent(suite, level=1)
    return "  " + ET.tostring(suite, "unicode") + "\n", len(cases), failures, errors


def junit_tail(totals: RunTotals, tests: int, failures: int, errors: int) -> str:
    """The totals, as a comment (no ``--`` can reach it: counts and numbers only), and the
    end tag."""
    parts = [f"{totals.counts[s]} {s}" for s in ("CRITICAL", "WARNING", "UNKNOWN", "OK")
             if totals.counts[s]]
    extra = "; the overall deadline was reached" if totals.deadline_reached else ""
    if totals.stopped:
        extra += f"; stopped by {totals.stopped} after {totals.done} of {totals.targets} targets"
    return (f"  <!-- smtpdiag check: {totals.state}; {totals.done} targets: {', '.join(parts)}"
            f"{extra}; {tests} tests, {failures} failures, {errors} errors; "
            f"{_seconds(totals.elapsed_ms / 1000)} s -->\n</testsuites>\n")


def junit_xml(run: CheckRun) -> str:
    suites = [junit_suite(result) for result in run.results]
    return JUNIT_HEAD + "".join(suite[0] for suite in suites) + junit_tail(
        RunTotals.of(run), sum(suite[1] for suite in suites),
        sum(suite[2] for suite in suites), sum(suite[3] for suite in suites))
