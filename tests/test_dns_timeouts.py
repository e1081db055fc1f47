"""A nameserver that does not answer, through the loopback DNS server (tests/dnsserver.py):
the question is asked once more over TCP, so the message says which server fell silent,
whether TCP fared better, and the dig command that asks the same again; and when TCP does
answer (UDP to port 53 dropped on the way, a server serving TCP only), its answer is used.
"""

from __future__ import annotations

import asyncio
import re

import dns.name

from smtpdiag.errors import DnsError
from smtpdiag.net.dns import Resolver
from smtpdiag.net.dnswords import _Silent
from smtpdiag.net.lookups import PolicyResolver
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

ZONE = {("d.test", "MX"): ["10 mx.d.test."], ("mx.d.test", "A"): ["127.0.0.1"]}


def silent(port: int, why: str, question: str = "MX d.test", timeout: str = "0.5") -> str:
    rdtype, name = question.split()
    return (f"no answer within {timeout} s from 127.0.0.1:{port} for {question}, nor over TCP "
            f"({why}): check that a nameserver runs there and that the network between lets "
            f"DNS through (dig @127.0.0.1 -p {port} +tcp {rdtype} {name})")


def error_of(server: DnsServer, domain: str = "d.test") -> str:
    try:
        asyncio.run(Resolver((server.host, server.port), 0.5).mail_hosts(domain))
    except DnsError as exc:
        return exc.message
    raise AssertionError("no DnsError")


def test_a_silent_server_is_asked_again_over_tcp_and_the_message_says_what_to_run() -> None:
    with DnsServer(ZONE, silent={"d.test"}) as server:
        error = error_of(server)
    assert error == silent(server.port, "the connection closed without an answer")
    assert server.queries.count(("d.test", "MX")) >= 2  # UDP, then TCP


def test_a_server_that_is_down_refuses_the_tcp_retry() -> None:
    server = DnsServer({}).start()
    server.stop()  # the port is closed: UDP goes unanswered, TCP is refused
    assert error_of(server) == silent(server.port,
                                      "connection refused: nothing listens on that port")


def test_an_answer_over_tcp_after_silence_over_udp_is_used() -> None:
    with DnsServer(ZONE, udp=False) as server:
        resolution, hosts = asyncio.run(Resolver((server.host, server.port), 0.5)
                                        .mail_hosts("d.test"))
    assert [(h.host, h.addresses) for h in hosts] == [("mx.d.test", ("127.0.0.1",))]
    assert resolution.method == "mx"


def test_audit_asks_again_over_tcp_too() -> None:
    with DnsServer(ZONE, udp=False, silent={"mx.d.test"}) as server:
        resolver = PolicyResolver((server.host, server.port), 0.5)
        mx = asyncio.run(resolver.ask("d.test", "MX"))
        a = asyncio.run(resolver.ask("mx.d.test", "A"))
    assert (mx.status, mx.records) == ("ok", ("10 mx.d.test",))
    assert (a.status, a.error) == ("error", silent(
        server.port, "the connection closed without an answer", "A mx.d.test"))


def test_check_says_it_in_one_line_with_its_exit_code() -> None:
    """check's DNS timeout is its overall time limit, so no time is left for TCP: the
    message still names the server and what to run."""
    with DnsServer(ZONE, silent={"d.test"}) as server:
        result = run_cli("check", "d.test", "--format", "nagios", "--timeout", "0.5",
                         "--nameserver", f"127.0.0.1:{server.port}")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert re.match(
        f"SMTPDIAG CRITICAL - d.test: dns: no answer from 127.0.0.1:{server.port} for MX "
        r"d.test in the [0-9.]+ s left of the probe's overall time limit \(to ask it again: "
        f"dig @127.0.0.1 -p {server.port} \\+tcp MX d.test\\) ", result.stdout), result.stdout


def test_the_system_resolvers_own_servers_are_named_and_dig_asks_them() -> None:
    """Nothing is sent: the message is built from the system's resolver configuration."""
    resolver = Resolver(None, 5.0)
    servers = ", ".join(getattr(ns, "address", str(ns)) for ns in resolver._resolver().nameservers)
    message = resolver._silent(dns.name.from_text("d.test."), "MX d.test", _Silent("no answer"))
    assert message == (f"no answer within 5 s from the system resolver ({servers}, from "
                       "/etc/resolv.conf) for MX d.test, nor over TCP (no answer): check that "
                       "the resolvers in /etc/resolv.conf run and are reachable from here (dig "
                       "+tcp MX d.test)")
