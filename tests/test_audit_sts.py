"""MTA-STS and TLS-RPT in ``audit``: real HTTPS policy servers (tests/httpsserver.py) with
trustme certificates, a real DNS server and real SMTP servers, all on loopback."""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.mtasts import mx_matches, parse_policy, tlsrpt_hits, txt_id
from smtpdiag.core.policy.records import Answer
from tests.auditkit import World, ids

GOOD = ("mx.sts.test",)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("sts")))
    try:
        w.smtp("127.0.1.1", "mx.sts.test")
        w.smtp("127.0.1.2", "badcert.sts.test", cert_names=("other.test",))
        w.add("0.1.0.127.in-addr.arpa", "PTR", "x.")
        cases = {
            "good": {}, "testing": {"mode": "testing"}, "modenone": {"mode": "none"},
            "short": {"max_age": 3600},
            "wrongmx": {"hosts": ("mail.elsewhere.test",)},
            "wildcard": {"hosts": ("*.sts.test",)},
            "testwrong": {"mode": "testing", "hosts": ("mail.elsewhere.test",)},
            "badtls": {"mx": "badcert.sts.test", "hosts": ("*.sts.test",)},
            "cert": {"cert_names": ("wrong.test",)},
            "selfsigned": {"cert": "self-signed"},
            "redirect": {"status": 301, "headers": {"Location": "https://x.test/p"}},
            "notfound": {"status": 404},
            "html": {"headers": {"Content-Type": "text/html"}},
            "huge": {"body": "version: STSv1\n" + "x" * 70_000},
            "invalid": {"body": "version: STSv1\nmode: enforce\nmx: mx.sts.test\n"},
        }
        for n, (name, case) in enumerate(cases.items(), start=10):
            domain = f"{name}.test"
            case = dict(case)
            mx = case.pop("mx", "mx.sts.test")
            w.add(domain, "MX", f"10 {mx}.")
            hosts = case.pop("hosts", (mx,))
            w.sts(domain, f"127.0.1.{n}", *hosts, **case)
        w.add("mx.sts.test", "A", "127.0.1.1")
        w.add("1.1.0.127.in-addr.arpa", "PTR", "mx.sts.test.")
        w.add("badcert.sts.test", "A", "127.0.1.2")
        w.add("2.1.0.127.in-addr.arpa", "PTR", "badcert.sts.test.")
        for name, txt in (("nosts", None), ("badtxt", "v=STSv1; id=not-valid!"),
                          ("twotxt", "v=STSv1; id=1"), ("nohost", "v=STSv1; id=1")):
            domain = f"{name}.test"
            w.add(domain, "MX", "10 mx.sts.test.")
            if txt:
                w.add(f"_mta-sts.{domain}", "TXT", f'"{txt}"')
        w.add("_mta-sts.twotxt.test", "TXT", '"v=STSv1; id=2"')
        w.add("_smtp._tls.nosts.test", "TXT", '"v=TLSRPTv1; rua=ftp://reports.test"')
        yield w
    finally:
        w.close()


def sts_ids(world: World, domain: str) -> list[str]:
    return ids(world.run(domain), "mta-sts")


def test_a_good_policy_in_enforce_mode_has_no_findings(world):
    report = world.run("good.test")
    assert ids(report, "mta-sts") == []
    section = next(a for a in report.areas if a.name == "mta-sts")
    assert section.verdict == "pass"
    assert "policy: mode enforce, max_age 604800, mx mx.sts.test" in section.facts
    assert ids(world.run("wildcard.test"), "mta-sts") == []


@pytest.mark.parametrize(("domain", "expected"), [
    ("testing", ["sts.mode-testing"]),
    ("modenone", ["sts.mode-none"]),
    ("short", ["sts.max-age-short"]),
    ("wrongmx", ["sts.mx-unmatched"]),
    ("testwrong", ["sts.mx-unmatched", "sts.mode-testing"]),
    ("badtls", ["sts.mx-tls"]),
    ("cert", ["sts.certificate"]),
    ("selfsigned", ["sts.certificate"]),
    ("redirect", ["sts.redirect"]),
    ("notfound", ["sts.http-status"]),
    ("html", ["sts.content-type"]),
    ("huge", ["sts.too-large"]),
    ("invalid", ["sts.policy-invalid"]),
    ("badtxt", ["sts.txt-invalid", "tlsrpt.none"]),
    ("twotxt", ["sts.txt-multiple", "tlsrpt.none"]),
    ("nohost", ["sts.fetch-failed", "tlsrpt.none"]),
    ("nosts", ["tlsrpt.invalid", "sts.none"]),
])
def test_each_mta_sts_fault_is_named(world, domain, expected):
    assert sts_ids(world, f"{domain}.test") == expected


def test_severity_follows_the_mode_and_the_policy_server_saw_the_right_host(world):
    enforce = world.run("wrongmx.test")
    testing = world.run("testwrong.test")
    pick = lambda r: next(f for a in r.areas for f in a.findings if f.id == "sts.mx-unmatched")  # noqa: E731
    assert pick(enforce).severity == "critical" and pick(testing).severity == "warning"
    assert enforce.verdict == "fail"
    redirect = world.run("redirect.test")
    detail = next(f.detail for a in redirect.areas for f in a.findings if f.id == "sts.redirect")
    assert "301 to https://x.test/p" in detail


def test_a_policy_host_certificate_for_another_name_says_so_without_openssl_noise(world):
    report = world.run("cert.test")
    found = next(f for a in report.areas for f in a.findings if f.id == "sts.certificate")
    assert found.detail == ("certificate verify failed: Hostname mismatch, certificate is not "
                            "valid for 'mta-sts.cert.test'.")


# --- pure parts


@pytest.mark.parametrize(("record", "expected"), [
    ("v=STSv1; id=20240101", "20240101"), ("v=STSv1;id=abc;", "abc"),
    ("v=STSv1; id=abc; ext=1", "abc"), ("v=STSv1; id=" + "a" * 33, None),
    ("v=STSv1; id=a-b", None), ("v=STSv1", None), ("id=abc; v=STSv1", None),
    ("v=STSv2; id=abc", None), ("v=STSv1; id=a; id=b", None)])
def test_txt_id(record, expected):
    assert txt_id(record) == expected


def test_parse_policy_good_and_each_problem():
    good = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: MX.Example.COM.\r\n"
                        "mx: *.example.net\r\nmax_age: 86400\r\nextension: ignored\r\n")
    assert good.problems == ()
    assert (good.mode, good.max_age, good.mx) == ("enforce", 86400,
                                                  ("mx.example.com", "*.example.net"))
    assert parse_policy("version: STSv1\nmode: none\nmax_age: 1\n").problems == ()
    cases = {
        "mode: enforce\nmx: a\nmax_age: 1": "version: STSv1 is missing",
        "version: STSv2\nmode: enforce\nmx: a\nmax_age: 1": "not STSv1",
        "version: STSv1\nmx: a\nmax_age: 1": "mode is missing",
        "version: STSv1\nmode: strict\nmx: a\nmax_age: 1": "not enforce, testing or none",
        "version: STSv1\nmode: enforce\nmx: a": "max_age is missing",
        "version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601": "up to 31557600",
        "version: STSv1\nmode: enforce\nmx: a\nmax_age: -1": "not a number",
        "version: STSv1\nmode: enforce\nmax_age: 1": "no mx: line",
        "version: STSv1\nmode: enforce\nmode: testing\nmx: a\nmax_age: 1": "mode appears twice",
        "version: STSv1\nmode: enforce\nmx: a\nmax_age: 1\ngarbage": "not a 'key: value'",
    }
    for body, problem in cases.items():
        problems = parse_policy(body).problems
        assert len(problems) == 1 and problem in problems[0], (body, problems)


@pytest.mark.parametrize(("host", "pattern", "match"), [
    ("mx.example.com", "mx.example.com", True), ("MX.example.com.", "mx.example.com", True),
    ("mx.example.com", "*.example.com", True), ("a.mx.example.com", "*.example.com", False),
    ("example.com", "*.example.com", False), ("mx.example.com", "mx.example.org", False),
    ("mx.example.com", "*.com", False)])
def test_mx_patterns(host, pattern, match):
    assert mx_matches(host, pattern) is match


def test_tlsrpt_records():
    def hits(*records: str, expected: bool = False) -> list[str]:
        answer = Answer("_smtp._tls.x", "TXT", "ok" if records else "nodata", records)
        return [h.id for h in tlsrpt_hits("x", answer, expected)]

    assert hits("v=TLSRPTv1; rua=mailto:a@x") == []
    assert hits("v=TLSRPTv1; rua=mailto:a@x,https://r.x/p") == []
    assert hits() == ["tlsrpt.none"]
    assert hits("v=TLSRPTv1; rua=ftp://x") == ["tlsrpt.invalid"]
    assert hits("v=TLSRPTv1") == ["tlsrpt.invalid"]
    assert hits("v=TLSRPTv1; rua=mailto:") == ["tlsrpt.invalid"]
    assert hits("v=TLSRPTv1; rua=mailto:a@x", "v=TLSRPTv1; rua=mailto:b@x") == [
        "tlsrpt.invalid"]
    answer = Answer("_smtp._tls.x", "TXT", "nodata")
    assert tlsrpt_hits("x", answer, True)[0].severity == "warning"
    assert tlsrpt_hits("x", answer, False)[0].severity is None
