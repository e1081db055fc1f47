"""A null MX written wrongly (RFC 7505 §3: one record, ``MX 0 .``): several records that all
point at '.', one with a preference other than 0, or '.' beside real hosts.  Each is named in
one finding by probe, check and audit; '.' is never walked as if it were a host.  Real DNS and
SMTP on loopback."""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.probe import ProbeOptions, probe
from tests.auditkit import World, ids
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

ZONE = {("all.test", "MX"): ["0 .", "10 ."],
        ("ten.test", "MX"): ["10 ."],
        ("mixed.test", "MX"): ["0 .", "10 mx.mixed.test."],
        ("mx.mixed.test", "A"): ["127.0.0.1"]}

SEVERAL = ("several MX records point at '.' (preferences 0, 10): a null MX (RFC 7505 §3) is "
           "one record, MX 0 .; a sender that reads only that as a null MX tries '.' and "
           "defers the mail instead of bouncing it")
PREFERENCE = ("the null MX has preference 10: RFC 7505 §3 writes it MX 0 .; a sender that "
              "reads only that as a null MX tries '.' and defers the mail instead of bouncing "
              "it")
MIXED = ("MX 0 . (a null MX) is listed beside other MX records: RFC 7505 §3 allows no other; "
         "senders disagree, some bounce the mail and some try the other hosts")


@pytest.fixture(scope="module")
def servers():
    with FakeServer("healthy", tls="none") as smtp, DnsServer(ZONE) as dns:
        yield smtp, dns


def _probe(servers, domain: str):
    smtp, dns = servers
    return asyncio.run(probe(domain, ProbeOptions(
        port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test", timeout=3.0,
        dry_run=True)))


@pytest.mark.parametrize(("domain", "finding"), [("all.test", SEVERAL),
                                                 ("ten.test", PREFERENCE)])
def test_a_null_mx_written_wrongly_is_still_no_mail_and_named(servers, domain, finding):
    report = _probe(servers, domain)
    assert (report.verdict, report.attempts) == ("no-mail", ())
    assert [(f.severity, f.message) for f in report.resolution.findings] == [
        ("warning", finding)]


def test_a_null_mx_beside_real_hosts_walks_the_real_ones_and_names_it(servers):
    report = _probe(servers, "mixed.test")
    assert [a.host for a in report.attempts] == ["mx.mixed.test"]
    assert report.verdict == "accepted"
    assert [(f.severity, f.message) for f in report.resolution.findings] == [
        ("critical", MIXED)]


def test_check_says_each_in_one_line(servers):
    smtp, dns = servers
    result = run_cli("check", "all.test", "mixed.test", "--format", "nagios", "--port",
                     str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}", "--timeout", "3")
    assert_no_traceback(result)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert f"WARNING all.test: dns: {SEVERAL}" in lines, result.stdout
    assert f"CRITICAL mixed.test: dns: {MIXED}" in lines, result.stdout
    assert "listed 2 times" not in result.stdout
    assert "'.' is the null MX target" not in result.stdout


def test_audit_names_them(tmp_path):
    world = World(str(tmp_path))
    try:
        for (name, rdtype), values in ZONE.items():
            world.add(name, rdtype, *values)
        found = {d: ids(world.run(d), "mx") for d in ("all.test", "ten.test")}
    finally:
        world.close()
    assert found == {"all.test": ["mx.null-malformed", "mx.null"],
                     "ten.test": ["mx.null-malformed", "mx.null"]}
