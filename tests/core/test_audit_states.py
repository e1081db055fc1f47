"""``core/audit_states.py`` and ``core/policy/findings.py``: an audit's findings as monitoring
states, and hits as findings, areas and verdicts, word for word."""

from __future__ import annotations

import pytest

from smtpdiag.catalogue.audit import area_titles, audit_entry
from smtpdiag.core.audit_states import (
    STATE_OF,
    audit_cut_off,
    audit_reasons,
    not_a_domain,
    with_audit,
)
from smtpdiag.core.health import CheckResult, Metrics, Reason
from smtpdiag.core.policy.findings import (
    AREA_OF,
    SEVERITY_ORDER,
    area,
    area_of,
    describe,
    overall,
    verdict_of,
)
from smtpdiag.core.policy.records import Hit
from smtpdiag.model import AuditArea, AuditFinding, AuditReport, Report

# ------------------------------------------------------------------ policy/findings


def test_tables() -> None:
    assert SEVERITY_ORDER == ("info", "warning", "critical")
    assert AREA_OF == {"mx": "mx", "addr": "smtp", "consistency": "smtp", "sts": "mta-sts",
                       "tlsrpt": "mta-sts", "dane": "dane", "spf": "spf", "dmarc": "dmarc",
                       "dnsbl": "dnsbl", "sub": "submission"}


@pytest.mark.parametrize(("finding_id", "name"), [
    ("mx.single", "mx"), ("addr.no-ptr", "smtp"), ("consistency.tls", "smtp"),
    ("tlsrpt.none", "mta-sts"), ("sub.cert-invalid", "submission"), ("dane.a.b", "dane")])
def test_area_of(finding_id: str, name: str) -> None:
    assert area_of(finding_id) == name


def test_describe_fills_every_field() -> None:
    entry = audit_entry("addr.no-ptr")
    assert describe(Hit("addr.no-ptr", "h [192.0.2.1]", "no PTR")) == AuditFinding(
        "addr.no-ptr", "smtp", entry["severity"], "h [192.0.2.1]", entry["title"], "no PTR",
        entry["meaning"], entry["why"], entry["fix"])
    assert describe(Hit("addr.no-ptr", "h", severity="info")).severity == "info"


def f(severity: str) -> AuditFinding:
    return AuditFinding("x.y", "mx", severity, "s", "t")


@pytest.mark.parametrize(("severities", "verdict"), [
    ((), "pass"), (("info",), "pass"), (("warning",), "warn"), (("critical",), "fail"),
    (("warning", "info"), "warn"), (("info", "critical", "warning"), "fail"),
])
def test_verdict_of(severities: tuple[str, ...], verdict: str) -> None:
    assert verdict_of(f(s) for s in severities) == verdict


def test_an_area_sorts_worst_first_keeping_the_order_of_equals() -> None:
    section = area("smtp", [Hit("mx.single", "1"), Hit("addr.no-ptr", "2"),
                            Hit("mx.none", "3"), Hit("addr.no-ptr", "4"), Hit("mx.single", "5")],
                   ["fact one", "fact two"])
    assert (section.name, section.title, section.verdict, section.facts, section.note) == (
        "smtp", area_titles()["smtp"], "fail", ("fact one", "fact two"), "")
    assert [x.subject for x in section.findings] == ["3", "2", "4", "1", "5"]


def test_a_skipped_area_keeps_its_facts_and_drops_its_hits() -> None:
    assert area("dane", [Hit("mx.none", "x")], ["seen"], skipped="why") == AuditArea(
        "dane", area_titles()["dane"], "skipped", ("seen",), (), "why")


@pytest.mark.parametrize(("verdicts", "result"), [
    ((), "pass"), (("skipped",), "pass"), (("skipped", "pass"), "pass"),
    (("warn", "skipped"), "warn"), (("pass", "fail", "warn"), "fail"),
])
def test_overall(verdicts: tuple[str, ...], result: str) -> None:
    assert overall(AuditArea("mx", "t", v) for v in verdicts) == result


# ------------------------------------------------------------------ audit_states

def finding(severity: str, detail: str = "seen", area_name: str = "mx") -> AuditFinding:
    return AuditFinding("x", area_name, severity, "subj", "Title", detail)


def report(*found: AuditFinding) -> AuditReport:
    return AuditReport("d.test", "warn", "", (AuditArea("mx", "MX", "warn", (), found[:1]),
                                              AuditArea("spf", "SPF", "warn", (), found[1:])))


def result(state: str = "OK", *reasons: Reason) -> CheckResult:
    return CheckResult(0, Report("d.test", "accepted", ""), state, reasons, "all fine",
                       Metrics(0.1))


def test_state_of() -> None:
    assert STATE_OF == {"critical": "CRITICAL", "warning": "WARNING"}


def test_audit_reasons_word_for_word() -> None:
    found = report(finding("warning"), finding("info", area_name="spf"),
                   finding("critical", "", "spf"))
    assert audit_reasons(found) == [
        Reason("WARNING", "audit mx: Title — subj: seen", None),
        Reason("CRITICAL", "audit spf: Title — subj", None)]


def test_with_audit_merges_worst_first_and_counts_the_rest() -> None:
    slow = Reason("WARNING", "slow", "rcpt")
    merged = with_audit(result("WARNING", slow), report(finding("critical"),
                                                       finding("warning", "again", "spf")))
    assert merged.state == "CRITICAL"
    assert merged.reasons == (Reason("CRITICAL", "audit mx: Title — subj: seen"), slow,
                              Reason("WARNING", "audit spf: Title — subj: again"))
    assert merged.summary == "audit mx: Title — subj: seen (+2 more)"


def test_one_reason_has_no_count_and_a_repeated_one_is_said_once() -> None:
    merged = with_audit(result(), report(finding("warning"), finding("warning")))
    assert merged.reasons == (Reason("WARNING", "audit mx: Title — subj: seen"),)
    assert merged.summary == "audit mx: Title — subj: seen"


def test_a_clean_audit_says_so_and_keeps_the_state() -> None:
    clean = with_audit(result(), report(finding("info")))
    assert (clean.state, clean.reasons, clean.summary) == (
        "OK", (), "all fine; audit: every check passed")


def test_not_a_domain_is_unknown_beside_what_is_worse() -> None:
    assert not_a_domain(result()).reasons == (Reason(
        "UNKNOWN", "--audit needs a mail domain; d.test is a host or an address"),)
    assert not_a_domain(result()).state == "UNKNOWN"
    critical = not_a_domain(result("CRITICAL", Reason("CRITICAL", "down")))
    assert critical.state == "CRITICAL"
    assert [r.state for r in critical.reasons] == ["CRITICAL", "UNKNOWN"]
    assert critical.summary == "down (+1 more)"


def test_an_audit_cut_off_by_the_deadline_is_critical_word_for_word() -> None:
    cut = audit_cut_off(result("WARNING", Reason("WARNING", "slow", "rcpt")), "30")
    assert cut.state == "CRITICAL"
    assert cut.reasons == (Reason("CRITICAL", "audit: not finished within the overall deadline "
                                  "of 30 s"), Reason("WARNING", "slow", "rcpt"))
    assert cut.summary == "audit: not finished within the overall deadline of 30 s (+1 more)"
