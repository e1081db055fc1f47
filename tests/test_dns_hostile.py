"""Nameservers that answer wrongly, through the loopback DNS server (tests/dnsserver.py): a
REFUSED answer (a lame delegation), a reply that is not for the question asked (another query
ID, another name: forged or misdirected), and a truncated UDP answer whose retry over TCP
fails.  Each message names the server, the question and what it did, in one line; none is
"could not be asked ...: Truncated" or "a malformed reply" about a reply that parsed.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from smtpdiag.errors import DnsError
from smtpdiag.net.dns import Resolver
from smtpdiag.net.lookups import PolicyResolver
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

ZONE = {("d.test", "MX"): ["10 mx.d.test."], ("mx.d.test", "A"): ["127.0.0.1"]}
BIG = {("big.test", "MX"): [f"{i} mx{i:03d}.a-rather-long-mail-domain-name.big.test."
                            for i in range(1, 60)]}


def error_of(server: DnsServer, name: str, rdtype: str = "A") -> str | None:
    resolver = PolicyResolver((server.host, server.port), 2.0)
    return asyncio.run(resolver.ask(name, rdtype)).error


def test_refused_says_the_server_refused_and_what_that_usually_means() -> None:
    with DnsServer(ZONE, refused={"mx.d.test"}) as server:
        error = error_of(server, "mx.d.test")
    assert error == (f"the nameserver 127.0.0.1:{server.port} refused to answer A mx.d.test "
                     "(REFUSED: a lame delegation, or a resolver that does not serve this "
                     "client): ask a resolver that serves this machine, or check the domain's "
                     f"delegation (dig @127.0.0.1 -p {server.port} +trace A mx.d.test)")


@pytest.mark.parametrize("how", ["id", "qname"])
def test_a_reply_to_another_question_is_named_as_such(how: str) -> None:
    with DnsServer(ZONE, spoofed={"mx.d.test": how}) as server:
        error = error_of(server, "mx.d.test")
    assert error == (f"the nameserver 127.0.0.1:{server.port} answered A mx.d.test only with "
                     "replies to another question (their query ID or question differs: forged, "
                     "or mixed up by a middlebox)")


def test_a_truncated_answer_whose_tcp_retry_fails_says_both() -> None:
    with DnsServer(BIG, tcp=False) as server:
        error = error_of(server, "big.test", "MX")
    assert error == (f"the nameserver 127.0.0.1:{server.port} answered MX big.test truncated "
                     "(too big for UDP), and the retry over TCP failed: the connection closed "
                     "without an answer; an answer this big needs DNS over TCP (RFC 7766): let "
                     f"TCP port 53 through to the server (dig @127.0.0.1 -p {server.port} +tcp "
                     "MX big.test)")


def test_check_reports_a_truncated_mx_answer_in_one_line() -> None:
    with DnsServer(BIG, tcp=False) as server:
        result = run_cli("check", "big.test", "--timeout", "2", "--format", "nagios",
                         "--nameserver", f"127.0.0.1:{server.port}")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stdout.startswith(
        f"SMTPDIAG CRITICAL - big.test: dns: the nameserver 127.0.0.1:{server.port} answered "
        "MX big.test truncated (too big for UDP), and the retry over TCP failed: the "
        "connection closed without an answer; an answer this big needs DNS over TCP (RFC "
        "7766): let TCP port 53 through to the server (dig @127.0.0.1 -p "
        f"{server.port} +tcp MX big.test) ("), result.stdout


def test_the_probe_resolver_words_them_the_same() -> None:
    with DnsServer(ZONE, refused={"mx.d.test"}) as server, pytest.raises(DnsError) as caught:
        asyncio.run(Resolver((server.host, server.port), 2.0).addresses("mx.d.test"))
    assert caught.value.message == (
        f"the nameserver 127.0.0.1:{server.port} refused to answer A mx.d.test (REFUSED: a "
        "lame delegation, or a resolver that does not serve this client): ask a resolver that "
        "serves this machine, or check the domain's delegation (dig @127.0.0.1 -p "
        f"{server.port} +trace A mx.d.test)")


DANGLING = {("d.test", "MX"): ["10 mx.d.test."], ("mx.d.test", "CNAME"): ["gone.other.test."]}


def test_an_alias_of_a_name_that_does_not_exist_is_named_as_such() -> None:
    with DnsServer(DANGLING) as server:
        answer = asyncio.run(PolicyResolver((server.host, server.port), 2.0).ask("mx.d.test", "A"))
        with pytest.raises(DnsError) as caught:
            asyncio.run(Resolver((server.host, server.port), 2.0).addresses("mx.d.test"))
    said = "mx.d.test is an alias (CNAME) of gone.other.test, which does not exist (NXDOMAIN)"
    assert (answer.status, answer.cname, answer.error) == ("nxdomain", "gone.other.test", said)
    assert caught.value.message == said


def test_a_lookup_cut_short_by_the_time_limit_says_how_much_time_it_had() -> None:
    with DnsServer(ZONE, silent={"d.test"}) as server:
        result = run_cli("check", "d.test", "--timeout", "2", "--format", "nagios",
                         "--nameserver", f"127.0.0.1:{server.port}")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert re.match(rf"SMTPDIAG CRITICAL - d\.test: dns: no answer from 127\.0\.0\.1:{server.port} "
                    r"for MX d\.test in the (2|1\.\d) s left of the probe's overall time limit ",
                    result.stdout), result.stdout


def test_a_forged_reply_before_the_real_one_does_not_spoil_the_answer() -> None:
    # as a resolver does (RFC 5452 §9.1): a reply that does not match is dropped and the
    # real one is waited for; the mismatch is reported only when no real answer comes
    with DnsServer(ZONE, race=True) as server:
        found = asyncio.run(Resolver((server.host, server.port), 2.0).addresses("mx.d.test"))
        answer = asyncio.run(PolicyResolver((server.host, server.port), 2.0).ask("d.test", "MX"))
    assert found == ("127.0.0.1",)
    assert (answer.status, answer.records) == ("ok", ("10 mx.d.test",))
