"""``check --audit``: an audit's findings as monitoring states beside the probe's own reasons.

A critical finding is CRITICAL, a warning is WARNING, a note changes nothing; the result's
state is then the worst of all its reasons, as ``health.judge`` makes it.  Pure.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import AuditReport
from .health import CheckResult, Reason, worst

__all__ = ["STATE_OF", "audit_cut_off", "audit_reasons", "not_a_domain", "with_audit"]

STATE_OF = {"critical": "CRITICAL", "warning": "WARNING"}
_ORDER = ("OK", "UNKNOWN", "WARNING", "CRITICAL")  # monitoring-plugins' max_state_alt


def audit_reasons(report: AuditReport) -> list[Reason]:
    return [Reason(STATE_OF[f.severity], f"audit {f.area}: {f.title} — {f.subject}"
                   + (f": {f.detail}" if f.detail else ""), None)
            for area in report.areas for f in area.findings if f.severity in STATE_OF]


def _merged(result: CheckResult, extra: list[Reason]) -> CheckResult:
    reasons = sorted(dict.fromkeys([*result.reasons, *extra]),
                     key=lambda r: -_ORDER.index(r.state))
    if not reasons:
        return replace(result, summary=result.summary + "; audit: every check passed")
    state = worst(r.state for r in reasons)
    summary = reasons[0].message + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else "")
    return replace(result, state=state, reasons=tuple(reasons), summary=summary)


def with_audit(result: CheckResult, report: AuditReport) -> CheckResult:
    """``result`` with the audit's warnings and criticals among its reasons."""
    return _merged(result, audit_reasons(report))


def not_a_domain(result: CheckResult) -> CheckResult:
    """A target given as a host:port or an address has no domain to audit."""
    return _merged(result, [Reason("UNKNOWN", f"--audit needs a mail domain; {result.target} "
                                   "is a host or an address")])


def audit_cut_off(result: CheckResult, overall: str) -> CheckResult:
    """The audit had not finished when the run's ``--deadline`` came: CRITICAL, as is a
    target the deadline cut off."""
    return _merged(result, [Reason("CRITICAL", "audit: not finished within the overall "
                                   f"deadline of {overall} s")])
