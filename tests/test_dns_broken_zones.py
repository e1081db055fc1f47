"""Broken zones, served by the loopback DNS server (tests/dnsserver.py), as ``probe``, ``check``
and ``audit`` see them: each says in one line which step, which record and what was seen.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from smtpdiag.net.lookups import PolicyResolver
from tests.auditkit import World
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer, servfail_why

BAD_BYTE = {("bad.test", "TXT"): ['"v=spf1 mx \\255 -all"'],
            ("bad.test", "MX"): ["0 ."],
            ("_dmarc.bad.test", "TXT"): ['"v=DMARC1; p=reject; rua=mailto:d\\255@bad.test"']}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("broken")))
    for (name, rdtype), values in BAD_BYTE.items():
        w.add(name, rdtype, *values)
    try:
        yield w
    finally:
        w.close()


def test_a_txt_byte_that_is_not_utf8_is_kept_as_that_byte() -> None:
    with DnsServer(BAD_BYTE) as server:
        answer = asyncio.run(PolicyResolver((server.host, server.port), 2.0).ask("bad.test",
                                                                                  "TXT"))
    assert answer.records == ("v=spf1 mx \udcff -all",)


def test_audit_shows_a_bad_txt_byte_once_escaped(world) -> None:
    result = run_cli("audit", "bad.test", *world.cli_args())
    assert_no_traceback(result)
    assert "bad.test TXT: v=spf1 mx \\xff -all" in result.stdout, result.stdout
    assert "'\\xff' is not an SPF term (in 'v=spf1 mx \\xff -all')" in result.stdout
    assert "rua=mailto:d\\xff@bad.test" in result.stdout
    assert "\\\\" not in result.stdout  # no backslash doubled
    result = run_cli("audit", "bad.test", "--json", *world.cli_args())
    assert '"bad.test TXT: v=spf1 mx \\\\xff -all"' in result.stdout  # JSON: the text \xff


def test_a_servfail_says_its_usual_causes_and_how_to_tell_them_apart() -> None:
    """A lame delegation and a bogus DNSSEC signature both reach a client as SERVFAIL; asking
    again with checking disabled (``dig +cd``) tells them apart, so the message says how, for
    the server that was asked and the name as it went out (the A-label of an IDN)."""
    zone = {("xn--bcher-kva.test", "MX"): ["10 mx.xn--bcher-kva.test."]}
    with DnsServer(zone, servfail={"xn--bcher-kva.test"}) as server:
        result = run_cli("check", "bücher.test", "--format", "nagios", "--timeout", "2",
                         "--nameserver", f"127.0.0.1:{server.port}")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stdout.startswith(
        f"SMTPDIAG CRITICAL - bücher.test: dns: the nameserver 127.0.0.1:{server.port} failed "
        "(SERVFAIL) answering MX bücher.test: usually a lame delegation (the domain's "
        "nameservers do not answer for it) or a DNSSEC signature that does not validate (if "
        f"dig @127.0.0.1 -p {server.port} +cd MX xn--bcher-kva.test answers, it is DNSSEC)"), \
        result.stdout


def test_a_public_domain_whose_mx_is_this_machine_is_critical_and_says_who_answered() -> None:
    """An MX address of a public domain that is loopback (or 0.0.0.0, ::, either IPv4-mapped)
    reaches the machine probing: its refusal, or its welcome, is not the domain's server's.
    A name that could be on the Internet; only the loopback DNS server is ever asked."""
    from smtpdiag.fakeserver import FakeServer
    from smtpdiag.net.probe import ProbeOptions, probe

    zone = {("smtpdiag-lab.net", "MX"): ["10 mx.smtpdiag-lab.net."],
            ("mx.smtpdiag-lab.net", "AAAA"): ["::ffff:127.0.0.1"]}
    with FakeServer("healthy", tls="none") as smtp, DnsServer(zone) as dns:
        report = asyncio.run(probe("smtpdiag-lab.net", ProbeOptions(
            port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test", timeout=3.0,
            dry_run=True)))
        result = run_cli("check", "smtpdiag-lab.net", "--format", "nagios", "--port",
                         str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}")
    seen = ("the MX host mx.smtpdiag-lab.net resolves to ::ffff:127.0.0.1, an IPv4-mapped IPv6 "
            "address (of 127.0.0.1: an A record's address written as AAAA); 127.0.0.1 is a "
            "loopback address: a sender connects to itself")
    assert [(f.severity, f.message) for f in report.resolution.findings] == [
        ("critical", seen)]
    assert report.verdict == "accepted"  # this machine's own server took it: said next
    assert report.summary.endswith(
        "; but ::ffff:127.0.0.1 is this machine: what answered was not a server of "
        "smtpdiag-lab.net"), report.summary
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stdout.startswith(f"SMTPDIAG CRITICAL - smtpdiag-lab.net: dns: {seen}"), \
        result.stdout


REVERSE = {("rev.test", "MX"): ["10 1.2.0.192.in-addr.arpa.", "20 mx.rev.test."],
           ("mx.rev.test", "A"): ["127.0.0.1"],
           ("rev6.test", "MX"): [f"10 {ipaddress.ip_address('2001:db8::1').reverse_pointer}."]}


def test_an_mx_target_that_is_a_reverse_dns_name_is_named_as_one(tmp_path) -> None:
    """An MX written as the PTR name of an address (1.2.0.192.in-addr.arpa) read only as a
    host that 'does not exist': the finding names what it is, in probe, check and audit."""
    from smtpdiag.net.probe import ProbeOptions, probe

    with DnsServer(REVERSE) as dns:
        report = asyncio.run(probe("rev.test", ProbeOptions(
            nameserver=(dns.host, dns.port), timeout=2.0, dry_run=True, port=9)))
    assert [(f.severity, f.message) for f in report.resolution.findings] == [(
        "warning", "the MX target 1.2.0.192.in-addr.arpa is the reverse-DNS name of "
        "192.0.2.1, not a mail host's name: an MX must name a host with A or AAAA records "
        "(RFC 5321 §5.1)")]
    world = World(str(tmp_path))
    try:
        for (name, rdtype), values in REVERSE.items():
            world.add(name, rdtype, *values)
        found = {d: [(f.id, f.detail) for a in world.run(d).areas if a.name == "mx"
                     for f in a.findings if f.severity == "critical"]
                 for d in ("rev.test", "rev6.test")}
    finally:
        world.close()
    assert found == {
        "rev.test": [("mx.reverse-name", "MX 10 1.2.0.192.in-addr.arpa: the reverse-DNS name "
                      "of 192.0.2.1")],
        "rev6.test": [("mx.reverse-name", f"MX 10 {REVERSE['rev6.test', 'MX'][0][3:-1]}: the "
                       "reverse-DNS name of 2001:db8::1")]}


def test_audit_says_a_refusal_at_this_machine_is_not_the_domains(tmp_path) -> None:
    from smtpdiag.net.audit import AuditOptions, audit
    from tests.conftest import closed_port_held

    world = World(str(tmp_path))
    try:
        world.add("smtpdiag-lab.net", "MX", "10 mx.smtpdiag-lab.net.")
        world.add("mx.smtpdiag-lab.net", "A", "127.0.0.1")
        dns = world.start_dns()
        with closed_port_held() as port:
            report = asyncio.run(audit("smtpdiag-lab.net", AuditOptions(
                nameserver=(dns.host, dns.port), timeout=3.0, port=port, helo="client.test")))
    finally:
        world.close()
    found = [f.detail for a in report.areas for f in a.findings if f.id == "addr.unreachable"]
    assert found == [f"port {port}: connection refused by 127.0.0.1:{port} (127.0.0.1 is this "
                     "machine: what answered was not a server of smtpdiag-lab.net)"]


def test_a_nameserver_from_before_edns_is_asked_again_without_it(tmp_path) -> None:
    """RFC 6891 §7: a server that answers FORMERR to a query with EDNS is asked again without
    it, as every mail server's resolver does; audit asks with EDNS (for the AD bit and big
    answers), and said the MX lookup itself failed (exit 3) for a domain that gets mail."""
    zone = {("old.test", "MX"): ["10 mx.old.test."], ("mx.old.test", "A"): ["127.0.0.1"],
            ("old.test", "TXT"): ['"v=spf1 mx -all"']}
    with DnsServer(zone, no_edns=True) as server:
        resolver = PolicyResolver((server.host, server.port), 2.0)
        answers = [asyncio.run(resolver.ask("old.test", rdtype)) for rdtype in ("MX", "TXT")]
    assert [(a.status, a.records) for a in answers] == [
        ("ok", ("10 mx.old.test",)), ("ok", ("v=spf1 mx -all",))]
    world = World(str(tmp_path))
    try:
        for (name, rdtype), values in zone.items():
            world.add(name, rdtype, *values)
        world.start_dns().no_edns = True
        report = world.run("old.test")
    finally:
        world.close()
    assert "mx.lookup-failed" not in [f.id for a in report.areas for f in a.findings]
    assert next(a for a in report.areas if a.name == "mx").facts[0] == "MX 10 mx.old.test → " \
        "127.0.0.1"


def test_a_mail_domain_that_is_an_alias_is_said_to_be(tmp_path) -> None:
    world = World(str(tmp_path))
    try:
        world.add("apex.test", "CNAME", "other.test.")  # and MX records of its own
        world.add("apex.test", "MX", "10 mx.apex.test.")
        world.add("alias.test", "CNAME", "real.test.")
        world.add("real.test", "MX", "10 mx.apex.test.")
        world.add("mx.apex.test", "A", "127.0.0.1")
        found = {d: [(f.id, f.detail) for a in world.run(d).areas if a.name == "mx"
                     for f in a.findings if f.id.startswith(("mx.cname-", "mx.domain-"))]
                 for d in ("apex.test", "alias.test")}
    finally:
        world.close()
    assert found == {
        "apex.test": [("mx.cname-beside", "apex.test is an alias (CNAME) of other.test and has "
                       "MX records of its own")],
        "alias.test": [("mx.domain-alias", "alias.test is an alias (CNAME) of real.test: its MX "
                        "records are real.test's")]}


def test_a_failed_ptr_lookup_says_why(tmp_path) -> None:
    """'the PTR lookup failed' alone left out what the server said (a SERVFAIL, a timeout)."""
    world = World(str(tmp_path))
    try:
        world.add("ptr.test", "MX", "10 mx.ptr.test.")
        world.add("mx.ptr.test", "A", "127.0.0.1")
        dns = world.start_dns()
        dns.servfail.add("1.0.0.127.in-addr.arpa")
        found = [f.detail for a in world.run("ptr.test").areas for f in a.findings
                 if f.id == "addr.ptr-lookup-failed"]
    finally:
        world.close()
    assert found == [
        f"the PTR lookup for 127.0.0.1 failed: the nameserver 127.0.0.1:{dns.port} failed "
        f"(SERVFAIL) answering PTR 127.0.0.1: "
        + servfail_why(dns.port, "PTR 1.0.0.127.in-addr.arpa")]
