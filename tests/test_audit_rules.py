"""The pure rules of ``audit`` (smtpdiag/core/policy), fed plain records: no sockets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smtpdiag.catalogue.audit import area_titles, audit_entry, audit_ids
from smtpdiag.core.policy.findings import AREA_OF, area, area_of, describe, overall, verdict_of
from smtpdiag.core.policy.mxset import host_hits, is_ip_literal, mx_facts_lines, mx_hits
from smtpdiag.core.policy.records import AddressFacts, Hit, HostFacts, MxFacts
from smtpdiag.core.policy.transport import (
    banner_software,
    consistency_hits,
    forward_secret,
    greeting_name,
)
from smtpdiag.model import Attempt, Capabilities, Reply, Step, TlsInfo

PACKAGE = Path(__file__).resolve().parent.parent / "smtpdiag"


def ok_host(name: str, pref: int = 10, *addresses: str) -> HostFacts:
    return HostFacts(name, pref, addresses or ("192.0.2.1",))


def ids(hits: list[Hit]) -> list[str]:
    return [h.id for h in hits]


# --- the catalogue


def test_every_id_the_rules_can_produce_is_in_the_catalogue_and_every_entry_is_used():
    source = "\n".join(p.read_text() for p in (PACKAGE / "core" / "policy").glob("*.py"))
    used = set(re.findall(r'"((?:mx|addr|consistency|sts|tlsrpt|dane|spf|dmarc|dnsbl|sub)'
                          r'\.[a-z0-9-]+)"', source))
    assert used <= set(audit_ids())
    assert set(audit_ids()) - used == set(), "catalogue entries no rule produces"


def test_every_entry_is_complete_and_maps_to_an_area_with_a_title():
    for finding_id in audit_ids():
        entry = audit_entry(finding_id)
        assert entry["severity"] in ("critical", "warning", "info"), finding_id
        for key in ("title", "meaning", "why", "fix"):
            assert entry[key].strip() and entry[key] == entry[key].strip(), (finding_id, key)
        assert area_of(finding_id) in area_titles()
    assert set(AREA_OF.values()) <= set(area_titles())


def test_the_audit_schema_reuses_the_probe_reports_definitions_unchanged():
    schema_dir = PACKAGE / "schema"
    audit = json.loads((schema_dir / "audit.schema.json").read_text())
    report = json.loads((schema_dir / "report.schema.json").read_text())
    for name in ("attempt", "step", "reply", "tls", "capabilities", "annotation"):
        assert audit["$defs"][name] == report["$defs"][name], name


# --- findings and verdicts


def test_describe_takes_the_catalogue_texts_and_a_hit_may_override_the_severity():
    finding = describe(Hit("mx.single", "example.com", "only mx.example.com"))
    assert (finding.area, finding.severity, finding.subject) == ("mx", "info", "example.com")
    assert finding.title == audit_entry("mx.single")["title"]
    assert finding.detail == "only mx.example.com"
    assert describe(Hit("mx.single", "x", severity="critical")).severity == "critical"


def test_verdicts_follow_the_worst_finding_and_skipped_areas_never_fail():
    info, warn, crit = (describe(Hit(i, "x")) for i in ("mx.single", "mx.cname", "mx.none"))
    assert verdict_of([]) == "pass"
    assert verdict_of([info]) == "pass"
    assert verdict_of([info, warn]) == "warn"
    assert verdict_of([crit, info, warn]) == "fail"
    sections = [area("mx", [Hit("mx.single", "x")]), area("smtp", [], skipped="why")]
    assert [s.verdict for s in sections] == ["pass", "skipped"]
    assert sections[1].note == "why"
    assert overall(sections) == "pass"
    assert overall([*sections, area("dane", [Hit("mx.cname", "x")])]) == "warn"
    assert overall([area("dmarc", [Hit("mx.none", "x")]), *sections]) == "fail"
    assert overall([area("smtp", [], skipped="no")]) == "pass"


def test_findings_in_an_area_are_ordered_worst_first():
    section = area("mx", [Hit("mx.single", "a"), Hit("mx.cname", "b"), Hit("mx.none", "c")])
    assert [f.severity for f in section.findings] == ["critical", "warning", "info"]


# --- the MX set


@pytest.mark.parametrize(("text", "literal"), [
    ("192.0.2.1", True), ("192.0.2.1.", True), ("[192.0.2.1]", True), ("2001:db8::1", True),
    ("mx.example.com", False), ("1.2.3", False), ("1.2.3.4.example", False)])
def test_ip_literal_targets(text, literal):
    assert is_ip_literal(text) is literal


def test_a_healthy_mx_set_has_no_findings():
    mx = MxFacts("example.com", "mx", (ok_host("a.example.com", 10, "192.0.2.1", "2001:db8::1"),
                                       ok_host("b.example.com", 20, "192.0.2.2")))
    assert mx_hits(mx) == []


@pytest.mark.parametrize(("status", "expected"), [
    ("nxdomain", "mx.nxdomain"), ("error", "mx.lookup-failed"), ("null", "mx.null"),
    ("none", "mx.none")])
def test_mx_set_states_that_end_the_evaluation(status, expected):
    assert ids(mx_hits(MxFacts("example.com", status, (ok_host("a"),)))) == [expected]


def test_implicit_single_no_ipv6_and_equal_preferences():
    implicit = MxFacts("example.com", "implicit", (HostFacts("example.com", None,
                                                             ("192.0.2.1",)),))
    assert ids(mx_hits(implicit)) == ["mx.implicit", "mx.no-ipv6"]
    single = MxFacts("example.com", "mx", (ok_host("a", 10, "2001:db8::1"),))
    assert ids(mx_hits(single)) == ["mx.single"]
    same = MxFacts("example.com", "mx", (ok_host("a", 10, "2001:db8::1"),
                                         ok_host("b", 10), ok_host("c", 20)))
    hits = mx_hits(same)
    assert ids(hits) == ["mx.equal-preference"]
    assert hits[0].detail.startswith("preference 10: a, b")
    # the same host twice (e.g. at two preferences) is still a single host
    twice = MxFacts("example.com", "mx", (ok_host("a", 10, "2001:db8::1"),
                                          ok_host("A", 20, "2001:db8::1")))
    assert ids(mx_hits(twice)) == ["mx.duplicate", "mx.single"]


def test_no_ipv6_is_judged_on_usable_hosts_only():
    mx = MxFacts("example.com", "mx", (ok_host("a", 10, "192.0.2.1"),
                                       HostFacts("b", 20, (), status="nodata")))
    assert ids(mx_hits(mx)) == ["mx.no-address", "mx.no-ipv6"]
    nothing = MxFacts("example.com", "mx", (HostFacts("b", 20, (), status="nxdomain"),))
    assert ids(mx_hits(nothing)) == ["mx.host-nxdomain"]


@pytest.mark.parametrize(("host", "expected"), [
    (HostFacts(".", 0, status="null"), ["mx.null-mixed"]),
    (HostFacts("192.0.2.1", 10, status="literal"), ["mx.ip-literal"]),
    (HostFacts("192.0.2.1", 10), ["mx.ip-literal"]),
    (HostFacts("a", 10, ("192.0.2.1",), cname="b"), ["mx.cname"]),
    (HostFacts("a", 10, (), cname="b", status="nxdomain"), ["mx.cname", "mx.host-nxdomain"]),
    (HostFacts("a", 10, (), status="error", error="SERVFAIL"), ["mx.host-lookup-failed"]),
    (HostFacts("a", 10, (), status="nodata"), ["mx.no-address"]),
    (HostFacts("a", 10, ("192.0.2.1",)), []),
])
def test_each_mx_target_name(host, expected):
    assert ids(host_hits(host)) == expected


def test_mx_facts_lines_show_preference_alias_and_addresses():
    mx = MxFacts("example.com", "mx", (HostFacts("a", 10, ("192.0.2.1", "2001:db8::1"),
                                                 cname="b"),
                                       HostFacts("c", 20, (), status="nxdomain",
                                                 error=None)))
    assert mx_facts_lines(mx) == ["MX 10 a (alias of b) → 192.0.2.1, 2001:db8::1",
                                  "MX 20 c → nxdomain"]


# --- addresses


@pytest.mark.parametrize(("version", "cipher", "fs"), [
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256", True),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", True),
    ("TLSv1.2", "DHE-RSA-AES256-SHA", True),
    ("TLSv1.2", "AES256-GCM-SHA384", False),
    ("TLSv1", "AES128-SHA", False),
    ("TLSv1.2", None, True),
])
def test_forward_secrecy(version, cipher, fs):
    assert forward_secret(version, cipher) is fs


def test_greeting_name_and_software():
    reply = Reply(220, ("MX.Example.COM. ESMTP Postfix (Debian)",))
    assert greeting_name(reply) == "mx.example.com"
    assert greeting_name(Reply(220, ("",))) is None
    assert greeting_name(None) is None
    assert banner_software(reply, ("Exim", "Postfix")) == "Postfix"
    assert banner_software(Reply(220, ("mx ESMTP",)), ("Exim", "Postfix")) is None


def _attempt(host: str, *, starttls: bool = True, size: int | None = 1000,
             tls: TlsInfo | None = None, banner: str = "ESMTP Postfix") -> Attempt:
    steps = (Step("greeting", reply=Reply(220, (f"{host} {banner}",))),
             Step("ehlo", reply=Reply(250, (host,))))
    return Attempt(host, "192.0.2.1", 25, "starttls", steps, tls,
                   Capabilities(size=size, starttls=starttls))


def test_consistency_needs_two_hosts_and_names_what_differs():
    good = TlsInfo("starttls", "TLSv1.3", verified=True, hostname_matched=True)
    one = AddressFacts("a", "192.0.2.1", attempt=_attempt("a", tls=good))
    assert consistency_hits([one], ()) == []
    same = AddressFacts("b", "192.0.2.2", attempt=_attempt("b", tls=good))
    assert consistency_hits([one, same], ("Postfix",)) == []
    odd = AddressFacts("c", "192.0.2.3", attempt=_attempt(
        "c", starttls=False, size=2000, banner="ESMTP Exim"))
    hits = consistency_hits([one, same, odd], ("Postfix", "Exim"))
    assert ids(hits) == ["consistency.starttls", "consistency.size", "consistency.software"]
    assert "c (192.0.2.3) no STARTTLS" in hits[0].detail
    bad = TlsInfo("starttls", "TLSv1.2", verified=False, verify_error="self-signed")
    other = AddressFacts("d", "192.0.2.4", attempt=_attempt("d", tls=bad))
    assert ids(consistency_hits([one, other], ())) == ["consistency.certificate",
                                                       "consistency.tls"]
    # A certificate seen only in the diagnostic handshake was not verified: no disagreement
    # about validity, only about the version.
    from dataclasses import replace

    from smtpdiag.model import ErrorInfo

    seen = TlsInfo("starttls", "TLSv1", verified=False, verify_error="not checked: seen only "
                   "in a diagnostic handshake")
    diagnosed = AddressFacts("e", "192.0.2.5", attempt=replace(
        _attempt("e", tls=seen), error=ErrorInfo("tls", "the server offers only TLS 1.0",
                                                 "tls")))
    assert ids(consistency_hits([one, diagnosed], ())) == ["consistency.tls"]


# --- check --audit


def test_audit_findings_become_states_and_the_worst_wins():
    from smtpdiag.core.audit_states import audit_reasons, not_a_domain, with_audit
    from smtpdiag.core.health import CheckResult, Metrics, Reason
    from smtpdiag.model import AuditReport, Report

    sections = (area("mx", [Hit("mx.single", "d")]), area("smtp", [Hit("addr.no-ptr", "h")]),
                area("dmarc", [Hit("mx.none", "d", "nothing")]))
    report = AuditReport("d", "fail", "", sections)
    reasons = audit_reasons(report)
    assert [(r.state, r.message.split(":")[0]) for r in reasons] == [
        ("WARNING", "audit smtp"), ("CRITICAL", "audit mx")]
    assert reasons[1].message == "audit mx: No MX and no address — d: nothing"
    ok = CheckResult(0, Report("d", "ok", ""), "OK", (), "every step answered", Metrics(0.1))
    merged = with_audit(ok, report)
    assert merged.state == "CRITICAL"
    assert [r.state for r in merged.reasons] == ["CRITICAL", "WARNING"]
    assert merged.summary.endswith("(+1 more)")
    clean = with_audit(ok, AuditReport("d", "pass", "", (area("mx", [Hit("mx.single", "d")]),)))
    assert clean.state == "OK" and clean.summary == "every step answered; audit: every check passed"
    warned = CheckResult(0, Report("d", "ok", ""), "WARNING",
                         (Reason("WARNING", "slow"),), "slow", Metrics(0.1))
    assert not_a_domain(warned).state == "WARNING"
    assert [r.state for r in not_a_domain(warned).reasons] == ["WARNING", "UNKNOWN"]
    assert not_a_domain(ok).state == "UNKNOWN"


# --- one MX address, fed plain attempts


def _walked(*steps: Step, tls: TlsInfo | None = None, caps: Capabilities | None = None,
            error: str | None = None, step: str | None = None) -> AddressFacts:
    from smtpdiag.model import ErrorInfo

    attempt = Attempt("mx.example.com", "192.0.2.1", 25, "starttls", steps, tls,
                      caps or Capabilities(starttls=True),
                      ErrorInfo("tls", error, step) if error else None)
    return AddressFacts("mx.example.com", "192.0.2.1", ("mx.example.com",), "ok",
                        ("mx.example.com",), attempt)


GREETING = Step("greeting", reply=Reply(220, ("mx.example.com ESMTP",)))
EHLO = Step("ehlo", reply=Reply(250, ("mx.example.com",)))
GOOD_TLS = TlsInfo("starttls", "TLSv1.3", "TLS_AES_128_GCM_SHA256", verified=True,
                   hostname_matched=True, days_left=90)


def test_a_healthy_address_has_no_findings():
    from smtpdiag.core.policy.transport import address_hits

    assert address_hits(_walked(GREETING, EHLO, tls=GOOD_TLS)) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"version": "TLSv1.1", "cipher": "ECDHE-RSA-AES128-SHA"}, ["addr.tls-old"]),
    ({"version": "TLSv1", "cipher": "AES128-SHA"}, ["addr.tls-old", "addr.cipher-weak"]),
    ({"version": "TLSv1.2", "cipher": "AES256-GCM-SHA384"}, ["addr.cipher-weak"]),
    ({"days_left": -3}, ["addr.cert-expired"]),
    ({"days_left": 13}, ["addr.cert-expiring"]),
    ({"days_left": 14}, []),
    ({"verified": False, "verify_error": "self-signed certificate"}, ["addr.cert-untrusted"]),
    ({"verified": False, "verify_error": "Hostname mismatch, certificate is not valid",
      "hostname_matched": False}, ["addr.cert-name"]),
    ({"verified": False, "verify_error": "certificate has expired", "days_left": -1},
     ["addr.cert-expired"]),
])
def test_tls_facts_of_one_address(changes, expected):
    from dataclasses import replace

    from smtpdiag.core.policy.transport import address_hits

    hits = address_hits(_walked(GREETING, EHLO, tls=replace(GOOD_TLS, **changes)))
    assert [h.id for h in hits] == expected


DIAGNOSED = {"verified": False, "verify_error": "not checked: seen only in a diagnostic "
             "handshake"}


@pytest.mark.parametrize(("changes", "expected"), [
    ({"version": "TLSv1", "cipher": "ECDHE-RSA-AES128-SHA"}, [("addr.tls-old", "critical")]),
    ({"version": "TLSv1.1", "cipher": "AES128-SHA"},
     [("addr.tls-old", "critical"), ("addr.cipher-weak", None)]),
    ({"version": "TLSv1.2", "cipher": "AES128-GCM-SHA256"}, [("addr.cipher-weak", "critical")]),
    ({"version": "TLSv1.2", "cipher": "ECDHE-RSA-AES128-GCM-SHA256"},
     [("addr.tls-failed", None)]),
    ({"version": "TLSv1", "cipher": "ECDHE-RSA-AES128-SHA", "days_left": -2},
     [("addr.tls-old", "critical"), ("addr.cert-expired", None)]),
])
def test_tls_seen_only_in_the_diagnostic_handshake(changes, expected):
    """Our handshake failed; what the server offers came from the diagnostic one: an outdated
    version or cipher is then all it offers (critical), and its certificate was not verified,
    so it is never called untrusted."""
    from dataclasses import replace

    from smtpdiag.core.policy.transport import address_hits

    tls = replace(GOOD_TLS, **DIAGNOSED, **changes)
    hits = address_hits(_walked(GREETING, EHLO, tls=tls, error="the server offers only …",
                                step="tls"))
    assert [(h.id, h.severity) for h in hits] == expected
    assert all("diagnostic handshake" in h.detail for h in hits if h.severity == "critical")
    plain = address_hits(_walked(GREETING, EHLO, tls=replace(GOOD_TLS, **changes)))
    assert all(h.severity is None for h in plain)  # negotiated by our own walk: a warning


def test_replies_and_failures_of_one_address():
    from smtpdiag.core.policy.transport import address_hits

    def run(*steps: Step, **kw: object) -> list[str]:
        return [h.id for h in address_hits(_walked(*steps, **kw))]  # type: ignore[arg-type]

    assert run(Step("greeting", reply=Reply(554, ("no",)))) == ["addr.greeting-refused"]
    assert run(Step("greeting", reply=Reply(421, ("busy",)))) == ["addr.tempfail"]
    mail = Step("mail", reply=Reply(451, ("later",)))
    assert run(GREETING, EHLO, mail, tls=GOOD_TLS) == ["addr.tempfail"]
    rcpt = Step("rcpt", reply=Reply(450, ("greylisted",)))
    assert run(GREETING, EHLO, Step("mail", reply=Reply(250, ("ok",))), rcpt,
               tls=GOOD_TLS) == ["addr.tempfail"]
    assert run(GREETING, EHLO, error="handshake failed", step="tls") == ["addr.tls-failed"]
    assert run(GREETING, EHLO, caps=Capabilities(starttls=False)) == ["addr.no-starttls"]
    assert run(error="refused", step="connect") == ["addr.unreachable"]
    odd = Step("greeting", reply=Reply(220, ("elsewhere.example ESMTP",)))
    assert run(odd, EHLO, tls=GOOD_TLS) == []  # EHLO names the host: enough
    assert run(odd, Step("ehlo", reply=Reply(250, ("other.example",))), tls=GOOD_TLS) == [
        "addr.name-mismatch"]


def test_reverse_dns_of_one_address():
    from dataclasses import replace

    from smtpdiag.core.policy.transport import address_hits

    base = _walked(GREETING, EHLO, tls=GOOD_TLS)
    assert [h.id for h in address_hits(replace(base, ptr=(), confirmed=()))] == ["addr.no-ptr"]
    assert [h.id for h in address_hits(replace(base, confirmed=()))] == ["addr.fcrdns"]
    failed = replace(base, ptr=(), confirmed=(), ptr_status="error")
    assert [h.id for h in address_hits(failed)] == ["addr.ptr-lookup-failed"]


def test_mta_sts_names_a_failing_handshake_not_a_missing_starttls():
    from smtpdiag.core.policy.mtasts import _tls_problem
    from smtpdiag.model import ErrorInfo

    failed = _walked(GREETING, EHLO, error="handshake failure", step="tls")
    assert _tls_problem(failed) == "the TLS handshake fails (handshake failure)"
    attempt = failed.attempt
    assert attempt is not None
    seen = TlsInfo("starttls", "TLSv1.1", "AES128-SHA", verified=False)
    from dataclasses import replace

    diagnosed = replace(failed, attempt=replace(attempt, tls=seen))
    assert _tls_problem(diagnosed) == ("a current sender's TLS handshake fails: the server "
                                       "offers only TLSv1.1 AES128-SHA")
    plain = replace(failed, attempt=replace(attempt, error=ErrorInfo("protocol", "x", "ehlo")))
    assert _tls_problem(plain) == "no STARTTLS"


def test_consistency_names_each_extension_some_mx_hosts_lack():
    def facts(host: str, ip: str, **caps: object) -> AddressFacts:
        attempt = _attempt(host)
        from dataclasses import replace

        return AddressFacts(host, ip, attempt=replace(attempt, capabilities=Capabilities(
            size=1000, starttls=True, **caps)))  # type: ignore[arg-type]

    full = {"smtputf8": True, "eightbitmime": True, "pipelining": True}
    a, b = facts("a", "192.0.2.1", **full), facts("b", "192.0.2.2", **full)
    assert "consistency.extensions" not in ids(consistency_hits([a, b], ()))
    c = facts("c", "192.0.2.3", eightbitmime=True)
    (gap,) = [h for h in consistency_hits([a, b, c], ()) if h.id == "consistency.extensions"]
    assert gap.detail == ("SMTPUTF8 missing on c (192.0.2.3); PIPELINING missing on "
                          "c (192.0.2.3)")
    assert gap.subject == "MX hosts"
