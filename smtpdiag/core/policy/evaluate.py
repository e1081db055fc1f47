"""Everything gathered for a domain → the areas of an ``AuditReport``, a verdict and a
summary.  Pure: the one function the I/O edge calls after fetching."""

from __future__ import annotations

from ...catalogue.audit import software_names
from ...model import AuditArea, AuditReport
from .findings import area, overall
from .mxset import mx_facts_lines, mx_hits
from .records import Gathered, Hit
from .transport import address_hits, consistency_hits

__all__ = ["evaluate", "summary_line"]

NOT_ASKED = "not checked in this run"


def _smtp_area(g: Gathered) -> AuditArea:
    if not g.addresses:
        return area("smtp", (), skipped="no MX address to probe")
    hits: list[Hit] = []
    facts: list[str] = []
    for facts_ in g.addresses:
        hits += address_hits(facts_)
        attempt = facts_.attempt
        ptr = ", ".join(facts_.ptr) or "no PTR"
        line = f"{facts_.host} ({facts_.address}): PTR {ptr}"
        if attempt is not None and attempt.tls is not None:
            line += f"; {attempt.tls.version} {attempt.tls.cipher}"
            if attempt.tls.days_left is not None:
                line += f"; certificate {attempt.tls.days_left} days left"
        elif attempt is not None and attempt.error is not None:
            line += f"; {attempt.error.step} failed"
        facts.append(line)
    hits += consistency_hits(list(g.addresses), software_names())
    return area("smtp", hits, facts)


def _areas(g: Gathered) -> list[AuditArea]:
    areas = [area("mx", mx_hits(g.mx), mx_facts_lines(g.mx))]
    mail = g.mx.status in ("mx", "implicit")
    areas.append(_smtp_area(g) if mail else area(
        "smtp", (), skipped="the domain has no usable MX set"))
    return areas


def summary_line(domain: str, areas: list[AuditArea]) -> str:
    findings = [f for a in areas for f in a.findings]
    crit = sum(f.severity == "critical" for f in findings)
    warn = sum(f.severity == "warning" for f in findings)
    info = sum(f.severity == "info" for f in findings)
    notes = f", {info} note{'s' * (info != 1)}" if info else ""
    if not crit and not warn:
        return f"{domain}: every check passed{notes}"
    parts = [f"{crit} critical" if crit else "", f"{warn} warning{'s' * (warn != 1)}"
             if warn else ""]
    return f"{domain}: {', '.join(p for p in parts if p)}{notes}"


def evaluate(g: Gathered, *, started_at: str = "", elapsed_ms: float = 0.0) -> AuditReport:
    areas = _areas(g)
    attempts = tuple(a.attempt for a in g.addresses if a.attempt is not None)
    return AuditReport(domain=g.domain, verdict=overall(areas),
                       summary=summary_line(g.domain, areas), areas=tuple(areas),
                       attempts=attempts, started_at=started_at, elapsed_ms=elapsed_ms)
