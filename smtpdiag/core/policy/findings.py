"""From rule hits to findings and areas: catalogue texts, severities, verdicts.  Pure."""

from __future__ import annotations

from collections.abc import Iterable

from ...catalogue.audit import area_titles, audit_entry
from ...model import AuditArea, AuditFinding
from .records import Hit

__all__ = ["AREA_OF", "SEVERITY_ORDER", "area", "area_of", "describe", "overall", "verdict_of"]

AREA_OF = {"mx": "mx", "addr": "smtp", "consistency": "smtp", "sts": "mta-sts",
           "tlsrpt": "mta-sts", "dane": "dane", "spf": "spf", "dmarc": "dmarc",
           "dnsbl": "dnsbl", "sub": "submission"}
SEVERITY_ORDER = ("info", "warning", "critical")
VERDICT_OF = {"critical": "fail", "warning": "warn", "info": "pass"}
VERDICT_ORDER = ("skipped", "pass", "warn", "fail")


def area_of(finding_id: str) -> str:
    return AREA_OF[finding_id.split(".", 1)[0]]


def describe(hit: Hit) -> AuditFinding:
    """A hit with its catalogue texts; ``hit.severity`` wins over the catalogue's."""
    entry = audit_entry(hit.id)
    return AuditFinding(
        id=hit.id, area=area_of(hit.id), severity=hit.severity or entry["severity"],
        subject=hit.subject, title=entry["title"], detail=hit.detail,
        meaning=entry["meaning"], why=entry["why"], fix=entry["fix"],
    )


def verdict_of(findings: Iterable[AuditFinding]) -> str:
    """pass (nothing, or only notes), warn, or fail: the worst finding decides."""
    worst = max((SEVERITY_ORDER.index(f.severity) for f in findings), default=0)
    return VERDICT_OF[SEVERITY_ORDER[worst]]


def area(name: str, hits: Iterable[Hit], facts: Iterable[str] = (), *,
         skipped: str = "") -> AuditArea:
    """One report section; ``skipped`` says why the area was not checked."""
    title = area_titles()[name]
    if skipped:
        return AuditArea(name, title, "skipped", tuple(facts), (), skipped)
    order = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    found = sorted((describe(h) for h in hits), key=lambda f: order[f.severity])
    return AuditArea(name, title, verdict_of(found), tuple(facts), tuple(found))


def overall(areas: Iterable[AuditArea]) -> str:
    return max((a.verdict for a in areas), key=VERDICT_ORDER.index, default="pass") \
        .replace("skipped", "pass")
