"""Judge a whole attempt: what an admin should know beyond the individual replies.  Pure."""

from __future__ import annotations

from dataclasses import replace

from ..model import Attempt, Finding, Resolution
from .conduct import conduct_findings
from .text import shorten
from .tlsgrade import tls_grade_findings

__all__ = ["SLOW_STEP_MS", "attempt_findings", "mx_findings", "with_findings"]

SLOW_STEP_MS = 1000.0
CERT_WARN_DAYS = 14


def attempt_findings(attempt: Attempt, *, insecure: bool = False) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if attempt.error is not None:
        found.append(Finding("critical", attempt.error.message, attempt.error.step))
    for step in attempt.steps:
        reply = step.reply
        if step.elapsed_ms >= SLOW_STEP_MS and step.error is None and step.name != "message":
            found.append(Finding(
                "warning", f"slow: the {step.name} step took {step.elapsed_ms / 1000:.1f} s "
                "(tarpitting or an overloaded server; the step itself succeeded)"
                if reply is not None and reply.positive else
                f"slow: the {step.name} step took {step.elapsed_ms / 1000:.1f} s", step.name))
        if reply is None or step.name == "quit":
            continue
        if reply.truncated:
            found.append(Finding("info", f"the {step.name} reply was longer than smtpdiag keeps; "
                                 "the rest was counted, not stored", step.name))
        if step.name == "ehlo" and not reply.positive:
            found.append(Finding("warning", "EHLO was refused: the server speaks only basic SMTP "
                                 "(no STARTTLS, AUTH or SIZE)", step.name))
        elif not reply.positive:
            severity = "warning" if reply.klass == 4 else "critical"
            said = shorten(f"{step.name} refused: {reply.code} {reply.text}", 300)
            found.append(Finding(severity, said, step.name))
    caps = attempt.capabilities
    if attempt.tls_mode == "starttls" and attempt.tls is None and caps and not caps.starttls:
        found.append(Finding("warning", "the server does not offer STARTTLS: mail to it travels "
                             "unencrypted", "ehlo"))
    tls = attempt.tls
    if tls is not None:
        if tls.verify_error and insecure:
            found.append(Finding("critical", f"certificate not trusted: {tls.verify_error} "
                                 "(--insecure carried on without verification)", "tls"))
        if tls.days_left is not None and tls.days_left < 0:
            found.append(Finding("critical", f"the certificate expired {-tls.days_left} days ago",
                                 "tls"))
        elif tls.days_left is not None and tls.days_left < CERT_WARN_DAYS:
            found.append(Finding("warning", f"the certificate expires in {tls.days_left} days",
                                 "tls"))
        if tls.hostname_matched is False:
            found.append(Finding("warning", f"the certificate does not name {attempt.host}",
                                 "tls"))
        found += tls_grade_findings(tls)
    found += conduct_findings(attempt)
    return tuple(found)


def with_findings(attempt: Attempt, *, insecure: bool = False) -> Attempt:
    return replace(attempt, findings=attempt_findings(attempt, insecure=insecure))


def mx_findings(resolution: Resolution) -> tuple[Finding, ...]:
    """What the MX set itself says: targets that are aliases, hosts sharing a preference."""
    found = [Finding("warning", f"the MX host {mx.host} is an alias (CNAME) of {mx.cname}: an MX "
                     "must name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some "
                     "senders refuse or mishandle it", "dns")
             for mx in resolution.mx if mx.cname]
    by_preference: dict[int, list[str]] = {}
    for mx in resolution.mx:
        by_preference.setdefault(mx.preference, []).append(mx.host)
    for preference, hosts in by_preference.items():
        if len(hosts) > 1:
            found.append(Finding("info", f"the MX hosts {', '.join(hosts)} share preference "
                                 f"{preference}: senders pick among them at random, spreading "
                                 "the load (RFC 5321 §5.1)", "dns"))
    return tuple(found)
