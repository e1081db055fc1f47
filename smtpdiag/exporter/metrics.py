"""A judged probe as Prometheus metric families.  The names are a public interface (README).

Conventions of prometheus/client_python and the Prometheus docs: base units (seconds, Unix
timestamps), ``_info`` metrics for facts carried in labels, every label value from a bounded
vocabulary (step names, reply codes, verdicts, states, catalogue ids) and never server text, so a
hostile or chatty server cannot create series or smuggle text into a dashboard.

Series that describe the probe are always present (``smtpdiag_probe_success``,
``smtpdiag_probe_state`` for each state, ``smtpdiag_findings`` for each severity), so alerting
rules see 0 rather than a missing series.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from .. import catalogue
from ..core.explain import reply_match_text
from ..core.health import STATES, CheckResult, primary_attempt
from ..core.reason import decide
from ..model import Attempt, AuditReport, Step

__all__ = ["SEVERITIES", "AuditCollector", "ProbeCollector", "success"]

SEVERITIES = ("info", "warning", "critical")
# report step -> the command its reply answered, as the reason tables name them
_COMMANDS = {"greeting": "CONNECT", "ehlo": "EHLO", "ehlo-tls": "EHLO", "helo": "HELO",
             "lhlo": "LHLO",
             "starttls": "STARTTLS", "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT",
             "data": "DATA", "message": "DATA"}
_RANK = {2: 0, 3: 0, 4: 1, 5: 2}


def success(result: CheckResult, *, fail_on_warning: bool = False) -> bool:
    """A probe succeeds when nothing in it is CRITICAL or UNKNOWN (WARNING too, if asked)."""
    bad = ("CRITICAL", "UNKNOWN", "WARNING") if fail_on_warning else ("CRITICAL", "UNKNOWN")
    return result.state not in bad


def _replies(attempt: Attempt) -> dict[str, Step]:
    """Per step name, the step whose reply counts: the worst one (several RCPTs), else the last."""
    chosen: dict[str, Step] = {}
    for step in attempt.steps:
        if step.reply is None:
            continue
        held = chosen.get(step.name)
        if held is None or held.reply is None or (
                _RANK.get(step.reply.klass, 2) >= _RANK.get(held.reply.klass, 2)):
            chosen[step.name] = step
    return chosen


def _cause(step: Step) -> dict[str, str]:
    """``reason`` (the vocabulary of ``explain``: greylisted, user-unknown, policy…) and the
    ``provider`` pattern id that decided it, if any: both from the catalogue, so bounded."""
    assert step.reply is not None
    entry = catalogue.match_provider(step.reply.code, step.reply.enhanced,
                                     reply_match_text(step.reply))
    found = decide(code=step.reply.code, enhanced=step.reply.enhanced,
                   text=reply_match_text(step.reply), command=_COMMANDS.get(step.name),
                   entry=entry)
    provider = entry.id if entry is not None and entry.kind != "text" else ""
    return {"reason": str(found["name"]), "provider": provider}


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


class ProbeCollector(Collector):
    """What one /probe answers: the families below, computed once from the judged report."""

    def __init__(self, result: CheckResult, *, fail_on_warning: bool = False) -> None:
        self.result = result
        self.fail_on_warning = fail_on_warning

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        result, report = self.result, self.result.report
        yield GaugeMetricFamily(
            "smtpdiag_probe_success", "1 when the probe met the module's expectations: "
            "nothing CRITICAL or UNKNOWN (nor WARNING with fail_on_warning)",
            value=float(success(result, fail_on_warning=self.fail_on_warning)))
        yield GaugeMetricFamily("smtpdiag_probe_duration_seconds",
                                "Seconds the whole probe took, DNS included",
                                value=report.elapsed_ms / 1000)
        state = GaugeMetricFamily("smtpdiag_probe_state", "The check state (1 for the state "
                                  "reached), as smtpdiag check judges it", labels=["state"])
        for name in STATES:
            state.add_metric([name], float(result.state == name))
        yield state
        verdict = InfoMetricFamily("smtpdiag_probe_verdict", "The probe report's verdict",
                                   labels=[])
        verdict.add_metric([], {"verdict": report.verdict})
        yield verdict
        attempt = primary_attempt(report)
        yield GaugeMetricFamily("smtpdiag_probe_attempts", "Hosts and addresses connected to",
                                value=float(len(report.attempts)))
        yield from self._errors(attempt)
        steps = GaugeMetricFamily("smtpdiag_step_duration_seconds",
                                  "Seconds each step took", labels=["step"])
        for name, seconds in result.metrics.steps:
            steps.add_metric([name], seconds)
        yield steps
        yield from self._replies(attempt)
        yield from self._tls(attempt)
        findings = GaugeMetricFamily("smtpdiag_findings", "Findings about the session and "
                                     "the MX set, by severity", labels=["severity"])
        found = attempt.findings if attempt is not None else ()
        if report.resolution is not None:  # the MX set's (a CNAME target, a failed AAAA...)
            found += report.resolution.findings
        for severity in SEVERITIES:
            findings.add_metric([severity], float(sum(f.severity == severity for f in found)))
        yield findings

    def _errors(self, attempt: Attempt | None) -> Iterator[InfoMetricFamily]:
        error = self.result.report.error or (attempt.error if attempt is not None else None)
        family = InfoMetricFamily("smtpdiag_probe_error", "Why the probe could not complete: "
                                  "error kind (dns, connect, tls, timeout, protocol…) and step",
                                  labels=[])
        if error is not None:
            family.add_metric([], {"kind": error.kind, "step": error.step or ""})
        yield family

    def _replies(self, attempt: Attempt | None) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        codes = GaugeMetricFamily("smtpdiag_step_reply_code", "The reply code each step got "
                                  "(the worst, when a step was repeated)", labels=["step"])
        refused = InfoMetricFamily(
            "smtpdiag_step_refused", "A step the server refused: its reply code, enhanced code, "
            "the reason explain names and the provider pattern that decided it", labels=[])
        for name, step in (_replies(attempt).items() if attempt is not None else ()):
            assert step.reply is not None
            codes.add_metric([name], float(step.reply.code))
            if not step.reply.positive and name not in ("quit", "ehlo"):
                refused.add_metric([], {"step": name, "code": str(step.reply.code),
                                        "enhanced": step.reply.enhanced or "",
                                        **_cause(step)})
        yield codes
        yield refused

    def _tls(self, attempt: Attempt | None) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        tls = attempt.tls if attempt is not None else None
        info = InfoMetricFamily("smtpdiag_tls", "TLS version and cipher of the session",
                                labels=[])
        handshake = GaugeMetricFamily("smtpdiag_tls_handshake_duration_seconds",
                                      "Seconds the TLS handshake took")
        expiry = GaugeMetricFamily("smtpdiag_certificate_expiry_timestamp_seconds",
                                   "When the server certificate expires (Unix time)")
        verified = GaugeMetricFamily("smtpdiag_certificate_verified",
                                     "1 when the certificate chain and name verified")
        if tls is not None and tls.version:
            info.add_metric([], {"version": tls.version, "cipher": tls.cipher or ""})
            handshake.add_metric([], tls.handshake_ms / 1000)
        if tls is not None:
            not_after = _timestamp(tls.not_after)
            if not_after is not None:
                expiry.add_metric([], not_after)
            if tls.version:
                verified.add_metric([], float(tls.verified))
        yield from (info, handshake, expiry, verified)


class AuditCollector(Collector):
    """``smtpdiag audit`` of the target's domain, for modules with ``audit = true``.

    ``report`` None means the audit did not finish within the probe's time: only
    ``smtpdiag_audit_complete 0`` is exposed then, never a partial verdict.
    """

    def __init__(self, report: AuditReport | None) -> None:
        self.report = report

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        report = self.report
        yield GaugeMetricFamily("smtpdiag_audit_complete", "1 when the audit of the target's "
                                "domain finished within the probe's time",
                                value=float(report is not None))
        if report is None:
            return
        verdict = InfoMetricFamily("smtpdiag_audit_verdict", "The audit's verdict (pass, warn, "
                                   "fail) and each area's", labels=[])
        verdict.add_metric([], {"area": "", "verdict": report.verdict})
        findings = GaugeMetricFamily("smtpdiag_audit_findings", "Audit findings by area and "
                                     "severity", labels=["area", "severity"])
        each = InfoMetricFamily("smtpdiag_audit_finding", "One audit finding: its catalogue id, "
                                "area and severity", labels=[])
        for area in report.areas:
            verdict.add_metric([], {"area": area.name, "verdict": area.verdict})
            for severity in SEVERITIES:
                findings.add_metric([area.name, severity], float(
                    sum(f.severity == severity for f in area.findings)))
            for finding in dict.fromkeys((f.id, f.severity) for f in area.findings):
                each.add_metric([], {"id": finding[0], "area": area.name,
                                     "severity": finding[1]})
        yield from (verdict, findings, each)
