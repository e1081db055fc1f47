"""Broken MX sets as ``probe`` reports them, through the loopback DNS server and a real fake
SMTP server: an MX target written as an IP address, a host listed twice, and MX hosts whose
addresses no sender on the Internet can reach (private, loopback, unspecified).  Each is a
finding on the MX line, word for word; the walk itself goes on as a sender's would.
"""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.core.findings import unroutable
from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.probe import ProbeOptions, probe
from tests.conftest import run_cli
from tests.dnsserver import DnsServer


@pytest.fixture
def smtp():
    with FakeServer("healthy", tls="none") as server:
        yield server


def run(dns: DnsServer, port: int, domain: str = "d.test"):
    opts = ProbeOptions(port=port, nameserver=(dns.host, dns.port), helo="client.test",
                        timeout=3.0, dry_run=True)
    return asyncio.run(probe(domain, opts))


def test_an_mx_target_written_as_an_ip_address_is_named_as_such(smtp):
    with DnsServer({("d.test", "MX"): ["10 192.0.2.1."]}) as dns:
        report = run(dns, smtp.port)
    assert report.verdict == "failed"
    assert [(f.severity, f.message) for f in report.resolution.findings] == [(
        "warning", "the MX target 192.0.2.1 is an IP address, not a host name: an MX must name "
        "a host (RFC 5321 §5.1), so senders look it up as a name and most find nothing")]
    assert report.summary == "192.0.2.1: dns failed: 192.0.2.1 does not exist (NXDOMAIN)"
    assert smtp.recorded.commands == []


def test_a_host_listed_twice_is_walked_once_and_named(smtp):
    records = {("d.test", "MX"): ["10 mx.d.test.", "20 mx.d.test.", "30 good.d.test."],
               ("mx.d.test", "A"): ["127.0.0.2"],  # nothing listens there on smtp.port
               ("good.d.test", "A"): ["127.0.0.1"]}
    with DnsServer(records) as dns:
        report = run(dns, smtp.port)
    assert report.verdict == "accepted"
    assert [a.host for a in report.attempts] == ["mx.d.test", "good.d.test"]
    assert [f.message for f in report.resolution.findings if f.severity == "warning"] == [
        "the MX host mx.d.test is listed 2 times (preferences 10, 20): only its best "
        "preference counts; remove the other records"]


def unreachable_zone(domain: str) -> dict[tuple[str, str], list[str]]:
    return {(domain, "MX"): [f"10 lan.{domain}.", f"20 zero.{domain}.", f"30 mx.{domain}."],
            (f"lan.{domain}", "A"): ["10.1.2.3"], (f"zero.{domain}", "A"): ["0.0.0.0"],
            (f"mx.{domain}", "A"): ["127.0.0.1"], (f"mx.{domain}", "AAAA"): ["fe80::1"]}


def test_mx_hosts_no_sender_can_reach_are_findings(smtp):
    # A name that could be on the Internet (only the loopback DNS server is ever asked).
    domain = "smtpdiag-lab.net"
    with DnsServer(unreachable_zone(domain)) as dns:
        report = run(dns, smtp.port, domain)
        result = run_cli("probe", domain, "--dry-run", "--timeout", "3", "--port",
                         str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}")
    assert [f.message for f in report.resolution.findings] == [
        f"the MX host lan.{domain} resolves to 10.1.2.3, a private or reserved address: "
        "senders on the Internet cannot reach it",
        f"the MX host zero.{domain} resolves to 0.0.0.0, the unspecified address: a sender "
        "connects to itself, or nowhere",
        f"the MX host mx.{domain} resolves to 127.0.0.1, a loopback address: a sender connects "
        "to itself",
        f"the MX host mx.{domain} resolves to fe80::1, a link-local address: only a sender on "
        "the same network segment reaches it"]
    assert [f.severity for f in report.resolution.findings] == [
        "warning", "critical", "critical", "warning"]  # loopback, 0.0.0.0: this machine
    assert f"  ✗ critical: the MX host zero.{domain} resolves to 0.0.0.0, the unspecified " \
           "address: a sender connects to itself, or nowhere\n" in result.stdout


@pytest.mark.parametrize("domain", ["d.test", "mail.example", "corp.internal", "x.home.arpa"])
def test_a_special_use_domain_may_use_private_addresses(smtp, domain: str):
    with DnsServer(unreachable_zone(domain)) as dns:
        report = run(dns, smtp.port, domain)
    assert report.resolution.findings == ()


@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::1", "100.64.0.1", "fc00::5"])
def test_documentation_shared_and_unique_local_ranges_are_unroutable(address: str) -> None:
    assert unroutable(address) == ("a private or reserved address: senders on the Internet "
                                   "cannot reach it")


@pytest.mark.parametrize("address", ["8.8.8.8", "2a00:1450:4001::1", "not an address"])
def test_global_addresses_are_fine(address: str) -> None:
    assert unroutable(address) is None


def test_an_mx_target_with_its_domain_appended_twice_is_named(smtp):
    with DnsServer({("d.test", "MX"): ["10 mx.d.test.d.test.", "20 good.d.test."],
                    ("good.d.test", "A"): ["127.0.0.1"]}) as dns:
        report = run(dns, smtp.port)
    assert report.verdict == "accepted"
    assert [f.message for f in report.resolution.findings] == [
        "the MX target mx.d.test.d.test repeats d.test: the zone file probably lacks the final "
        "dot after mx.d.test, so senders look up the longer name"]


@pytest.mark.parametrize("address", ["224.0.0.1", "239.1.2.3", "ff02::1", "ff0e::1"])
def test_multicast_addresses_take_no_connection(address: str) -> None:
    assert unroutable(address) == ("a multicast address: no sender can open a connection to "
                                   "it")
