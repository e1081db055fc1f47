"""Render an ``AuditReport``: a section per area with its verdict, the facts looked at, and
each finding with what it means, why it matters and how to fix it; the overall verdict last.
"""

from __future__ import annotations

from typing import Any

from ..core.targets import shown_domain
from ..model import AuditArea, AuditFinding, AuditReport
from .doc import Doc, clean
from .json_report import shown_sentences

__all__ = ["AUDIT_SCHEMA", "audit_doc", "audit_json"]

AUDIT_SCHEMA = "smtpdiag.audit/1"
VERDICT_STYLE = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red",
                 "skipped": "dim"}
VERDICT_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skipped": "SKIPPED"}
SEVERITY = {"critical": ("✗ CRITICAL", "bold red"), "warning": ("! WARNING", "bold yellow"),
            "info": ("i NOTE", "cyan")}
PAD = "      "


def _labels(lang: str) -> dict[str, Any]:
    """The report's headings in ``lang`` (catalogue/data/i18n.json); the findings' own texts
    stay English, as the reply catalogue's entries do."""
    from ..catalogue import headings

    labels: dict[str, Any] = headings(lang)["audit"]
    return labels


FACTS_SHOWN = 20


def _finding(doc: Doc, finding: AuditFinding, labels: dict[str, Any]) -> None:
    mark, style = SEVERITY.get(finding.severity, ("?", ""))
    doc.add("  ", (mark, style), "  ", (finding.title, "bold"), f" — {finding.subject}")
    if finding.detail:
        doc.add(PAD, (f"{labels['seen']}: ", "bold"), finding.detail)
    if finding.severity != "info":  # a note stays short: what was seen and what to do
        doc.add(PAD, (f"{labels['meaning']}: ", "bold"), finding.meaning)
        doc.add(PAD, (f"{labels['why']}: ", "bold"), finding.why)
    doc.add(PAD, (f"{labels['fix']}: ", "bold green"), finding.fix)


def _area(doc: Doc, area: AuditArea, labels: dict[str, Any]) -> None:
    word = VERDICT_WORD.get(area.verdict, area.verdict.upper())
    title = labels.get("areas", {}).get(area.name, area.title)
    doc.add((f"{title} ", "bold"), (f"[{word}]", VERDICT_STYLE.get(area.verdict, "")))
    for fact in area.facts[:FACTS_SHOWN]:  # JSON keeps them all (thousands of MX records)
        doc.add("  ", (fact, "dim"))
    if len(area.facts) > FACTS_SHOWN:
        doc.add("  ", (f"… (+{len(area.facts) - FACTS_SHOWN})", "dim"))
    if area.note:
        doc.add("  ", (area.note, "dim"))
    for finding in area.findings:
        _finding(doc, finding, labels)
    if area.verdict == "pass" and not area.findings:
        doc.add("  ", (f"✓ {labels['no_problems']}", "green"))
    doc.blank()


def audit_doc(report: AuditReport, lang: str = "en") -> Doc:
    """The text report; ``lang`` picks the language of its headings."""
    labels = _labels(lang)
    doc = Doc()
    doc.add(("smtpdiag audit ", "bold"), (shown_domain(report.domain), "bold"))
    doc.blank()
    for area in report.areas:
        _area(doc, area, labels)
    word = VERDICT_WORD.get(report.verdict, report.verdict.upper())
    doc.add((f"{labels['verdict']} ", "bold"), (word, VERDICT_STYLE.get(report.verdict, "")),
            "  ", report.summary, (f"  ({report.elapsed_ms / 1000:.1f} s)", "dim"))
    return doc


def audit_json(report: AuditReport) -> dict[str, Any]:
    """The report as JSON, described by ``schema/audit.schema.json``; its sentences (every
    ``summary`` and ``message``, each area's facts, each finding's subject and detail) quote
    server, DNS and certificate text as shown, as ``probe --json`` does."""
    document = shown_sentences(report.to_dict())
    for area in document.get("areas", ()):
        area["facts"] = [clean(fact) for fact in area["facts"]]
        for finding in area["findings"]:
            finding["subject"], finding["detail"] = (clean(finding["subject"]),
                                                     clean(finding["detail"]))
    return {"schema": AUDIT_SCHEMA, **document}
