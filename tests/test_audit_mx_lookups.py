"""``audit`` of MX hosts whose address lookups fail, through the real loopback DNS server and
real fake SMTP servers: a lookup that fails for every MX host leaves the domain unable to
receive mail (critical), for some of them it costs senders a retry (warning); an A or AAAA
question that fails while the other answers is its own finding (warning).
"""

from __future__ import annotations

import pytest

from smtpdiag.net.audit import PER_ADDRESS
from tests.auditkit import World
from tests.auditkit import ids as ids_of
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import servfail_why
from tests.hostile import GREETING, Conn, HostileServer, send, sleep, smtp, start_tls


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("audit")))
    try:
        w.smtp("127.0.0.2", "mx.ok.test")
        w.add("mx.ok.test", "A", "127.0.0.2")
        w.add("only.test", "MX", "10 mx.only.test.")  # its one host: SERVFAIL
        w.add("mx.only.test", "A", "127.0.0.2")
        w.add("gone.test", "MX", "10 mx.gone.test.")  # its one host: NXDOMAIN
        w.add("bare.test", "MX", "10 mx.bare.test.")  # its one host: no address
        w.add("mx.bare.test", "TXT", '"no address"')
        w.add("all.test", "MX", "10 mx.only.test.", "20 mx.gone.test.")  # every host fails
        w.add("some.test", "MX", "10 mx.only.test.", "20 mx.gone.test.", "30 mx.ok.test.")
        w.add("family.test", "MX", "10 mx.family.test.")  # A answers, AAAA fails
        w.add("mx.family.test", "A", "127.0.0.2")
        w.add("v6.test", "MX", "10 mx.v6.test.")  # AAAA answers, A is refused
        w.add("mx.v6.test", "AAAA", "::1")
        dns = w.start_dns()
        dns.servfail |= {"mx.only.test", ("mx.family.test", "AAAA"), ("mx.v6.test", "A")}
        yield w
    finally:
        w.close()


def mx_findings(world, domain: str) -> list[tuple[str, str, str, str]]:
    report = world.run(domain)
    area = next(a for a in report.areas if a.name == "mx")
    return [(f.id, f.severity, f.subject, f.detail) for f in area.findings]


def servfail(world, question: str) -> str:
    return (f"the nameserver 127.0.0.1:{world.dns.port} failed (SERVFAIL) answering {question}: "
            + servfail_why(world.dns.port, question))


@pytest.mark.parametrize(("domain", "found"), [
    ("only.test", [("mx.host-lookup-failed", "mx.only.test",
                    "{servfail A mx.only.test}; no MX host has an address")]),
    ("gone.test", [("mx.host-nxdomain", "mx.gone.test",
                    "mx.gone.test does not exist (NXDOMAIN); no MX host has an address")]),
    ("bare.test", [("mx.no-address", "mx.bare.test",
                    "mx.bare.test has no A or AAAA record; no MX host has an address")]),
    ("all.test", [("mx.host-lookup-failed", "mx.only.test",
                   "{servfail A mx.only.test}; no MX host has an address"),
                  ("mx.host-nxdomain", "mx.gone.test",
                   "mx.gone.test does not exist (NXDOMAIN); no MX host has an address")]),
])
def test_when_no_mx_host_resolves_each_failure_is_critical(world, domain, found):
    expected = [(i, "critical", s, d.replace("{servfail A mx.only.test}",
                                            servfail(world, "A mx.only.test")))
                for i, s, d in found]
    assert mx_findings(world, domain) == expected


def test_when_another_mx_host_resolves_the_failures_are_warnings(world):
    assert [(i, sev, s) for i, sev, s, _ in mx_findings(world, "some.test")] == [
        ("mx.host-lookup-failed", "warning", "mx.only.test"),
        ("mx.host-nxdomain", "warning", "mx.gone.test"),
        ("mx.no-ipv6", "info", "some.test")]


def test_a_failed_aaaa_beside_an_answered_a_is_a_warning(world):
    assert mx_findings(world, "family.test")[0] == (
        "mx.family-lookup-failed", "warning", "mx.family.test",
        servfail(world, "AAAA mx.family.test") + "; only its A addresses are known")


def test_a_failed_a_beside_an_answered_aaaa_is_a_warning(world):
    assert mx_findings(world, "v6.test")[0] == (
        "mx.family-lookup-failed", "warning", "mx.v6.test",
        servfail(world, "A mx.v6.test") + "; only its AAAA addresses are known")


def test_the_cli_fails_the_mx_set_of_a_domain_whose_only_mx_host_fails(world):
    result = run_cli("audit", "only.test", *world.cli_args())
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ CRITICAL  An MX host's address lookup failed — mx.only.test\n" in result.stdout
    assert "MX set [FAIL]" in result.stdout


def test_the_catalogue_texts_keep_the_word_nxdomain(world):
    # the audited domain replaces the placeholder DOMAIN, never the tail of NXDOMAIN
    report = world.run("gone.test")
    found = next(f for a in report.areas for f in a.findings if f.id == "mx.host-nxdomain")
    assert found.meaning == ("The MX record names a host that the DNS says does not exist "
                             "(NXDOMAIN).")


def test_an_mx_host_that_is_an_alias_of_nothing_says_which_name_is_missing(world):
    world.dns.records[("dangling.test", "MX")] = ["10 mx.dangling.test."]
    world.dns.records[("mx.dangling.test", "CNAME")] = ["gone.other.test."]
    world.dns.names |= {"dangling.test", "mx.dangling.test"}
    assert [(i, d) for i, _, _, d in mx_findings(world, "dangling.test")] == [
        ("mx.host-nxdomain", "mx.dangling.test is an alias (CNAME) of gone.other.test, which "
         "does not exist (NXDOMAIN); no MX host has an address"),
        ("mx.cname", "mx.dangling.test is an alias (CNAME) of gone.other.test")]


def test_a_domain_with_200_mx_hosts_gets_every_address_answered(tmp_path):
    # The audit asks for every host's A and AAAA: all 400 at once overran the nameserver
    # (here the loopback one; a real one rate-limits), and dozens of hosts were reported as
    # "lookup failed" by the audit's own doing.
    w = World(str(tmp_path))
    try:
        w.smtp("127.0.0.2", "mx.ok.test")
        names = [f"mx{i:03d}.a-rather-long-mail-domain-name.big.test" for i in range(1, 201)]
        w.add("big.test", "MX", *(f"{i} {name}." for i, name in enumerate(names, start=1)))
        for name in names:
            w.add(name, "A", "127.0.0.2")
        report = w.run("big.test")
    finally:
        w.close()
    mx = next(a for a in report.areas if a.name == "mx")
    assert [f.id for f in mx.findings if f.severity != "info"] == []
    assert len(mx.facts) == 200


class _Counted:
    """A server body that counts the connections open at once (``most``)."""

    def __init__(self, body) -> None:
        self.body, self.now, self.most = body, 0, 0

    async def __call__(self, conn: Conn) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await sleep(0.05)(conn)
            await send(GREETING)(conn)
            await self.body(conn)
        finally:
            self.now -= 1


def _audit_of_names_on_one_address(tmp_path, body, domain: str, count: int, tlsa: bool = False):
    """(the report of ``audit domain``, the server's count) where ``count`` MX names all have
    127.0.0.1, served by ``body(world)`` under a ``_Counted``."""
    w = World(str(tmp_path))
    try:
        server = _Counted(body(w))
        with HostileServer(server) as running:
            w.port = running.port
            names = [f"mx{i:02d}.{domain}" for i in range(count)]
            w.add(domain, "MX", *(f"10 {name}." for name in names))
            for name in names:
                w.add(name, "A", "127.0.0.1")
                if tlsa:
                    w.add(f"_25._tcp.{name}", "TLSA", "3 1 1 " + "00" * 32)
            return w.run(domain), server
    finally:
        w.close()


def test_mx_hosts_sharing_an_address_are_walked_a_few_connections_at_a_time(tmp_path):
    # 30 MX names on one address: 30 connections at once is what a server's per-client
    # limit (Postfix smtpd_client_connection_count_limit, Exim smtp_accept_max_per_host)
    # refuses, and the audit would then report the refusals it caused.
    report, server = _audit_of_names_on_one_address(tmp_path, lambda w: smtp(), "shared.test",
                                                    30)
    assert [a.outcome for a in report.attempts] == ["accepted"] * 30
    assert server.most <= PER_ADDRESS


def test_an_mx_host_listed_twice_is_a_warning_as_probe_says(world):
    world.dns.records[("twice.test", "MX")] = ["10 mx.ok.test.", "20 mx.ok.test."]
    world.dns.names.add("twice.test")
    found = mx_findings(world, "twice.test")
    assert found[0] == ("mx.duplicate", "warning", "mx.ok.test",
                        "listed 2 times (preferences 10, 20): only its best preference counts")
    assert "mx.single" in [f[0] for f in found]  # one host, however often it is listed


def test_dane_chains_of_hosts_sharing_an_address_are_read_a_few_at_a_time(tmp_path):
    def starttls_smtp(w: World):
        context = w.certs(("mx.dane.test",)).server_context()

        async def body(conn: Conn) -> None:
            while line := await conn.line():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    await conn.send(b"250-hostile.test\r\n250 STARTTLS\r\n")
                elif verb == b"STAR":  # STARTTLS
                    await conn.send(b"220 2.0.0 go ahead\r\n")
                    await start_tls(context)(conn)
                    await smtp()(conn)
                    return
                else:
                    await conn.send(b"250 2.0.0 ok\r\n")
        return body

    report, server = _audit_of_names_on_one_address(tmp_path, starttls_smtp, "dane.test", 20,
                                                    tlsa=True)
    assert ids_of(report, "dane").count("dane.no-match") == 20  # every chain was read
    assert server.most <= PER_ADDRESS


def test_a_certificate_read_refused_after_a_good_walk_says_why(tmp_path):
    # the walk's connection is served; the second one (DANE's certificate read) is refused
    # at the greeting, as a server at its per-client limit does
    seen = {"connections": 0}
    w = World(str(tmp_path))
    context = w.certs(("mx.one.test",)).server_context()

    async def second_refused(conn: Conn) -> None:
        seen["connections"] += 1
        if seen["connections"] > 1:
            await send(b"421 4.7.0 too many connections from your address\r\n")(conn)
            return
        await send(GREETING)(conn)
        while line := await conn.line():
            if line[:4].upper() == b"EHLO":
                await conn.send(b"250-hostile.test\r\n250 STARTTLS\r\n")
            elif line[:4].upper() == b"STAR":  # STARTTLS
                await conn.send(b"220 2.0.0 go ahead\r\n")
                await start_tls(context)(conn)
                await smtp()(conn)
                return
            else:
                await conn.send(b"250 2.0.0 ok\r\n")

    try:
        with HostileServer(second_refused) as server:
            w.port = server.port
            w.add("one.test", "MX", "10 mx.one.test.")
            w.add("mx.one.test", "A", "127.0.0.1")
            w.add("_25._tcp.mx.one.test", "TLSA", "3 1 1 " + "00" * 32)
            report = w.run("one.test")
    finally:
        w.close()
    found = next(f for a in report.areas for f in a.findings if f.id == "dane.no-tls")
    assert found.detail == ("no certificate could be read after STARTTLS: the second connection, "
                            "to read the certificate, got 421 at the greeting")


def test_an_mx_target_missing_its_final_dot_in_the_zone_file_is_named(world):
    # "MX 10 mail.origin.test" in a zone file for origin.test means mail.origin.test.origin.test
    world.dns.records[("origin.test", "MX")] = ["10 mail.origin.test.origin.test."]
    world.dns.names.add("origin.test")
    found = mx_findings(world, "origin.test")
    assert ("mx.origin-appended", "warning", "mail.origin.test.origin.test",
            "origin.test is repeated: the zone file probably lacks the final dot after "
            "mail.origin.test") in found


def test_a_domain_without_mx_whose_address_lookup_fails_is_not_said_to_have_none(world):
    world.dns.records[("noanswer.test", "TXT")] = ['"v=spf1 -all"']  # the name exists
    world.dns.names.add("noanswer.test")
    world.dns.servfail.add(("noanswer.test", "A"))
    found = mx_findings(world, "noanswer.test")
    assert found[0] == ("mx.host-lookup-failed", "critical", "noanswer.test",
                        servfail(world, "A noanswer.test") + "; no MX host has an address")
    assert "mx.none" not in [f[0] for f in found]
