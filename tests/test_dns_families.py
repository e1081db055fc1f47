"""An MX host whose zone answers one address family and fails the other (SERVFAIL, or no reply
at all to AAAA questions, as some broken servers and middleboxes do), through the loopback DNS
server and a real fake SMTP server.

The addresses that did come are walked, without spending the probe's time waiting on the
silent question (``check`` gives a probe no more than its ``--timeout``), and the failure is a
finding: senders that ask for both families are delayed or defer.
"""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.probe import ProbeOptions, probe
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer, servfail_why

RECORDS = {("d.test", "MX"): ["10 mx.d.test."], ("mx.d.test", "A"): ["127.0.0.1"]}


@pytest.fixture
def smtp():
    with FakeServer("healthy", tls="none") as server:
        yield server


def dns_findings(report) -> list[str]:
    assert all(f.step == "dns" and f.severity == "warning" for f in report.resolution.findings)
    return [f.message for f in report.resolution.findings]


def test_a_silent_aaaa_question_does_not_spend_the_probes_time(smtp):
    with DnsServer(RECORDS, silent={("mx.d.test", "AAAA")}) as dns:
        opts = ProbeOptions(port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test",
                            timeout=3.0, deadline=3.0, dry_run=True)  # as check runs a probe
        report = asyncio.run(probe("d.test", opts))
    assert report.verdict == "accepted", report.summary
    assert [a.address for a in report.attempts] == ["127.0.0.1"]
    assert dns_findings(report) == [
        f"the MX host mx.d.test: no answer within 1 s from 127.0.0.1:{dns.port} for AAAA "
        "mx.d.test, although the A answer came; only its A addresses are known, and a sender "
        "that waits for the AAAA answer is delayed, or defers the mail"]


def test_a_servfail_on_aaaa_only_is_a_finding_and_a_is_walked(smtp):
    with DnsServer(RECORDS, servfail={("mx.d.test", "AAAA")}) as dns:
        opts = ProbeOptions(port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test",
                            timeout=3.0, dry_run=True)
        report = asyncio.run(probe("d.test", opts))
    assert report.verdict == "accepted", report.summary
    assert dns_findings(report) == [
        f"the MX host mx.d.test: the nameserver 127.0.0.1:{dns.port} failed (SERVFAIL) "
        f"answering AAAA mx.d.test: {servfail_why(dns.port, 'AAAA mx.d.test')}; only its A "
        "addresses are known, and a sender that waits "
        "for the AAAA answer is delayed, or defers the mail"]


def test_check_of_a_zone_that_drops_aaaa_questions_walks_the_a_address_and_warns(smtp):
    with DnsServer(RECORDS, silent={("mx.d.test", "AAAA")}) as dns:
        result = run_cli("check", "d.test", "--port", str(smtp.port), "--timeout", "3",
                         "--nameserver", f"127.0.0.1:{dns.port}")
    assert_no_traceback(result)
    # the A address was walked (no deadline reached), and the dropped AAAA is the warning
    assert result.stdout.splitlines()[0].startswith(
        f"smtpdiag check: WARNING — d.test: dns: the MX host mx.d.test: no answer within 1 s "
        f"from 127.0.0.1:{dns.port} for AAAA mx.d.test, although the A answer came"), \
        result.stdout + result.stderr
    assert result.returncode == 1


def test_a_servfail_on_a_with_no_aaaa_names_the_a_question(smtp):
    with DnsServer(RECORDS, servfail={("mx.d.test", "A")}) as dns:
        result = run_cli("check", "d.test", "--port", str(smtp.port), "--timeout", "3",
                         "--nameserver", f"127.0.0.1:{dns.port}")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stdout.splitlines()[0].startswith(
        f"smtpdiag check: CRITICAL — d.test: dns: the nameserver 127.0.0.1:{dns.port} failed "
        f"(SERVFAIL) answering A mx.d.test: {servfail_why(dns.port, 'A mx.d.test')}  ("), \
        result.stdout
