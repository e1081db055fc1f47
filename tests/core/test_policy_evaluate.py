"""``core/policy/evaluate.py``: everything gathered → areas, facts, skip reasons, verdict and
summary, fed plain records (``tests/test_audit_*.py`` gather them from real servers).

Pinned here: why each area is skipped, each fact line as the report prints it, the summary's
counts and plurals, and the catalogue's DOMAIN placeholder filled in.
"""

from __future__ import annotations

import pytest

from smtpdiag.catalogue.audit import audit_entry
from smtpdiag.core.policy.evaluate import NOT_ASKED, evaluate, summary_line
from smtpdiag.core.policy.findings import area
from smtpdiag.core.policy.records import (
    AddressFacts,
    Answer,
    Gathered,
    Hit,
    HostFacts,
    HttpsPolicy,
    MxFacts,
    SubmissionFacts,
)
from smtpdiag.model import Attempt, ErrorInfo, TlsInfo

D = "example.test"
MX = MxFacts(D, "mx", (HostFacts("mx.example.test", 10, ("192.0.2.1", "2001:db8::1")),
                       HostFacts("mx2.example.test", 20, ("192.0.2.2", "2001:db8::2"))))
AREAS = ("mx", "smtp", "mta-sts", "dane", "spf", "dmarc", "dnsbl", "submission")
DNSBL_OFF = "off by default; --dnsbl checks each MX address"
SUBMISSION_OFF = "off by default; --submission checks ports 587 (STARTTLS) and 465 (implicit TLS)"


def skipped(report_areas: tuple[object, ...]) -> dict[str, str]:
    return {a.name: a.note for a in report_areas if a.verdict == "skipped"}  # type: ignore[attr-defined]


def test_nothing_gathered_beyond_the_mx_set() -> None:
    report = evaluate(Gathered(D, MX), started_at="2026-01-01T00:00:00Z", elapsed_ms=12.5)
    assert [a.name for a in report.areas] == list(AREAS)
    assert skipped(report.areas) == {
        "smtp": "no MX address to probe", "mta-sts": NOT_ASKED, "dane": NOT_ASKED,
        "spf": NOT_ASKED, "dmarc": NOT_ASKED, "dnsbl": DNSBL_OFF, "submission": SUBMISSION_OFF}
    assert NOT_ASKED == "not checked in this run"
    assert (report.domain, report.verdict, report.started_at, report.elapsed_ms) == (
        D, "pass", "2026-01-01T00:00:00Z", 12.5)
    assert report.summary == f"{D}: every check passed"
    assert report.areas[0].facts == ("MX 10 mx.example.test → 192.0.2.1, 2001:db8::1",
                                     "MX 20 mx2.example.test → 192.0.2.2, 2001:db8::2")
    assert report.attempts == ()


def test_a_domain_that_does_not_exist_skips_every_other_area() -> None:
    report = evaluate(Gathered(D, MxFacts(D, "nxdomain"), spf=(), dmarc=()))
    assert skipped(report.areas) == {name: f"{D} does not exist" for name in AREAS[1:]}
    assert report.verdict == "fail"
    (finding,) = report.areas[0].findings
    assert finding.id == "mx.nxdomain"
    entry = audit_entry("mx.nxdomain")
    # the placeholder DOMAIN is the domain; NXDOMAIN stays a word
    assert finding.meaning == "The DNS says the domain itself does not exist (NXDOMAIN)."
    assert finding.fix == entry["fix"].replace("DOMAIN", D)
    assert "DOMAIN" not in finding.fix
    assert report.summary == f"{D}: 1 critical"


@pytest.mark.parametrize("status", ["null", "none"])
def test_no_usable_mx_set_skips_smtp_and_dane(status: str) -> None:
    report = evaluate(Gathered(D, MxFacts(D, status)))
    notes = skipped(report.areas)
    assert notes["smtp"] == notes["dane"] == "the domain has no usable MX set"


def tls(days_left: int | None) -> TlsInfo:
    return TlsInfo("starttls", "TLSv1.3", "TLS_AES_128_GCM_SHA256", verified=True,
                   hostname_matched=True, days_left=days_left)


def address(ip: str, *, ptr: tuple[str, ...] = ("mx.example.test",), tls_info: TlsInfo | None
            = None, error: ErrorInfo | None = None, port: int = 25,
            walked: bool = True) -> AddressFacts:
    attempt = Attempt("mx.example.test", ip, port, "starttls", (), tls_info, error=error) \
        if walked else None
    return AddressFacts("mx.example.test", ip, ptr, "ok", ptr, attempt)


def test_the_smtp_area_facts_one_line_per_address() -> None:
    addresses = (address("192.0.2.1", tls_info=tls(30)), address("192.0.2.2", tls_info=tls(-4)),
                 address("192.0.2.3", tls_info=tls(None), ptr=()),
                 address("192.0.2.4", error=ErrorInfo("timeout", "slow", "greeting")),
                 address("192.0.2.5", walked=False), address("192.0.2.6", tls_info=tls(0)))
    report = evaluate(Gathered(D, MX, addresses))
    smtp = report.areas[1]
    assert smtp.facts == (
        "mx.example.test (192.0.2.1): PTR mx.example.test; TLSv1.3 TLS_AES_128_GCM_SHA256; "
        "certificate 30 days left",
        "mx.example.test (192.0.2.2): PTR mx.example.test; TLSv1.3 TLS_AES_128_GCM_SHA256; "
        "certificate EXPIRED 4 days ago",
        "mx.example.test (192.0.2.3): PTR no PTR; TLSv1.3 TLS_AES_128_GCM_SHA256",
        "mx.example.test (192.0.2.4): PTR mx.example.test; greeting failed",
        "mx.example.test (192.0.2.5): PTR mx.example.test",
        "mx.example.test (192.0.2.6): PTR mx.example.test; TLSv1.3 TLS_AES_128_GCM_SHA256; "
        "certificate 0 days left")
    assert len(report.attempts) == 5  # the address never walked has no attempt
    assert [f.id for f in smtp.findings] == [
        "addr.cert-expired", "addr.unreachable", "addr.no-ptr", "addr.cert-expiring"]


STS = Answer(f"_mta-sts.{D}", "TXT", "ok", ("v=spf1 -all", "v=STSv1; id=1"))
RPT = Answer(f"_smtp._tls.{D}", "TXT", "ok", ("v=TLSRPTv1; rua=mailto:t@example.test", "x"))


def test_the_mta_sts_area_needs_both_answers() -> None:
    assert skipped(evaluate(Gathered(D, MX, sts_txt=STS)).areas)["mta-sts"] == NOT_ASKED
    assert skipped(evaluate(Gathered(D, MX, tlsrpt=RPT)).areas)["mta-sts"] == NOT_ASKED


def test_the_mta_sts_area_facts() -> None:
    body = ("version: STSv1\nmode: testing\nmax_age: 604800\nmx: mx.example.test\n"
            "mx: *.example.test\n")
    fetched = HttpsPolicy("https://mta-sts.example.test/.well-known/mta-sts.txt", 200,
                          "text/plain", body)
    sts = evaluate(Gathered(D, MX, sts_txt=STS, sts_policy=fetched, tlsrpt=RPT)).areas[2]
    assert sts.facts == (f"_mta-sts.{D} TXT: v=STSv1; id=1",
                         "policy: mode testing, max_age 604800, mx mx.example.test, *.example.test",
                         f"_smtp._tls.{D} TXT: v=TLSRPTv1; rua=mailto:t@example.test")
    assert [f.id for f in sts.findings] == ["sts.mode-testing"]


@pytest.mark.parametrize(("body", "tlsrpt_severity"), [
    ("version: STSv1\nmode: enforce\nmax_age: 604800\nmx: mx.example.test\n", "warning"),
    ("version: STSv1\nmode: none\nmax_age: 604800\n", "info"),
    ("version: STSv1\nmode: bad\n", "info"),
])
def test_tls_rpt_is_expected_once_a_policy_is_deployed(body: str, tlsrpt_severity: str) -> None:
    fetched = HttpsPolicy("https://mta-sts.example.test/.well-known/mta-sts.txt", 200,
                          "text/plain", body)
    none = Answer(f"_smtp._tls.{D}", "TXT", "nxdomain")
    sts = evaluate(Gathered(D, MX, sts_txt=STS, sts_policy=fetched, tlsrpt=none)).areas[2]
    (tlsrpt,) = [f for f in sts.findings if f.id == "tlsrpt.none"]
    assert tlsrpt.severity == tlsrpt_severity


def test_an_invalid_policy_has_no_policy_fact() -> None:
    fetched = HttpsPolicy("https://mta-sts.example.test/.well-known/mta-sts.txt", 200,
                          "text/plain", "version: STSv1\nmode: bad\n")
    sts = evaluate(Gathered(D, MX, sts_txt=STS, sts_policy=fetched, tlsrpt=RPT)).areas[2]
    assert sts.facts == (f"_mta-sts.{D} TXT: v=STSv1; id=1",
                         f"_smtp._tls.{D} TXT: v=TLSRPTv1; rua=mailto:t@example.test")


def test_the_dane_area_facts_and_the_port_note() -> None:
    tlsa = (("mx.example.test", Answer("_25._tcp.mx.example.test", "TLSA", "ok",
                                       ("3 1 1 " + "ab" * 64,), authenticated=True)),
            ("mx2.example.test", Answer("_25._tcp.mx2.example.test", "TLSA", "ok",
                                        ("3 1 1 " + "cd" * 32,))),
            ("mx3.example.test", Answer("_25._tcp.mx3.example.test", "TLSA", "nxdomain")))
    addresses = (address("192.0.2.1", port=2525), address("192.0.2.2", port=2626),
                 address("192.0.2.3"), address("192.0.2.4", port=2525))
    dane = evaluate(Gathered(D, MX, addresses, tlsa=tlsa)).areas[3]
    assert dane.facts == (
        "_25._tcp.mx.example.test TLSA " + ("3 1 1 " + "ab" * 64)[:80] + " (DNSSEC-validated)",
        "_25._tcp.mx2.example.test TLSA 3 1 1 " + "cd" * 32 + " (NOT validated (no AD bit))",
        "TLSA is looked up at _25._tcp, the port senders deliver to (RFC 7672); the chains "
        "compared are those presented on port 2525, 2626")
    on_25 = evaluate(Gathered(D, MX, (address("192.0.2.1"),), tlsa=tlsa)).areas[3]
    assert len(on_25.facts) == 2
    none = evaluate(Gathered(D, MX, (address("192.0.2.1", port=2525),), tlsa=tlsa[2:])).areas[3]
    assert none.facts == ()


def test_the_spf_and_dmarc_areas() -> None:
    spf = (Answer(D, "TXT", "ok", ("v=spf1 -all",)),)
    dmarc = (Answer(f"_dmarc.{D}", "TXT", "ok", ("v=DMARC1; p=reject; rua=mailto:d@x.test",)),)
    report = evaluate(Gathered(D, MX, spf=spf, dmarc=dmarc, org_domain=D))
    assert report.areas[4].facts == (f"{D} TXT: v=spf1 -all",)
    assert report.areas[5].facts == ("DMARC: v=DMARC1; p=reject; rua=mailto:d@x.test",)
    sub = "mail.example.test"
    own = Answer(f"_dmarc.{sub}", "TXT", "nxdomain")
    report = evaluate(Gathered(sub, MxFacts(sub, "mx", MX.hosts), spf=(), dmarc=(own, dmarc[0]),
                               org_domain=D))
    assert report.areas[4].facts == ()
    assert report.areas[5].facts == (f"organisational domain: {D}",
                                     "DMARC: v=DMARC1; p=reject; rua=mailto:d@x.test")
    alone = evaluate(Gathered(sub, MxFacts(sub, "mx", MX.hosts), dmarc=(own,), org_domain=D))
    assert alone.areas[5].facts == (f"organisational domain: {D}",)
    assert [f.id for f in alone.areas[5].findings] == ["dmarc.none"]


def test_the_dnsbl_area() -> None:
    listed = Answer("1.2.0.192.zen.test", "A", "ok", ("127.0.0.2",))
    clear = Answer("x", "A", "nxdomain")
    dnsbl = (("192.0.2.1", "zen.test", listed, None), ("192.0.2.9", "b.test", clear, None),
             ("192.0.2.1", "b.test", clear, None))
    report = evaluate(Gathered(D, MX, (address("192.0.2.1"),), dnsbl=dnsbl))
    area_ = report.areas[6]
    assert area_.facts == ("2 address(es) against b.test, zen.test",)
    assert [(f.id, f.subject) for f in area_.findings] == [
        ("dnsbl.listed", "mx.example.test [192.0.2.1]")]
    unknown = evaluate(Gathered(D, MX, dnsbl=(("192.0.2.7", "zen.test", listed, None),)))
    assert unknown.areas[6].findings[0].subject == "192.0.2.7"
    assert evaluate(Gathered(D, MX, dnsbl=())).areas[6].facts == ()


def test_the_submission_area() -> None:
    checked = (SubmissionFacts("smtp.example.test", "192.0.2.5", 587, starttls=False),)
    section = evaluate(Gathered(D, MX, submission=checked)).areas[7]
    assert [f.id for f in section.findings] == ["sub.no-starttls"]
    assert len(section.facts) == 1 and section.facts[0].startswith(
        "smtp.example.test [192.0.2.5]:587")
    assert evaluate(Gathered(D, MX, submission=())).areas[7].facts == ("no host to check",)


def findings(*severities: str) -> list[object]:
    ids = {"critical": "mx.none", "warning": "addr.no-ptr", "info": "mx.single"}
    return [area("mx", [Hit(ids[s], "x") for s in severities])]


@pytest.mark.parametrize(("severities", "summary"), [
    ((), "every check passed"),
    (("info",), "every check passed, 1 note"),
    (("info", "info"), "every check passed, 2 notes"),
    (("warning",), "1 warning"),
    (("warning", "warning", "info"), "2 warnings, 1 note"),
    (("critical",), "1 critical"),
    (("critical", "critical", "warning"), "2 critical, 1 warning"),
    (("critical", "info", "info", "info"), "1 critical, 3 notes"),
])
def test_summary_line(severities: tuple[str, ...], summary: str) -> None:
    assert summary_line(D, findings(*severities)) == f"{D}: {summary}"  # type: ignore[arg-type]
