"""The DNS layer against a real loopback DNS server: real sockets, real wire format.

Every Resolver here is pointed at a DnsServer on 127.0.0.1 explicitly, so no test asks the
system resolver or anything beyond loopback.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from smtpdiag.errors import DnsError, TargetError, UsageError
from smtpdiag.model import MxHost, Resolution
from smtpdiag.net.dns import Candidate, Resolver
from tests.dnsserver import DnsServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def resolver(server: DnsServer, timeout: float = 2.0) -> Resolver:
    return Resolver(nameserver=(server.host, server.port), timeout=timeout)


def dns_error(server: DnsServer, coro: Coroutine[Any, Any, object]) -> DnsError:
    """Run a lookup that must fail, and return its DnsError (step and kind checked here)."""
    with pytest.raises(DnsError) as caught:
        run(coro)
    assert caught.value.step == "dns"
    assert caught.value.kind == "dns"
    return caught.value


def test_mx_hosts_come_in_preference_order_with_a_then_aaaa() -> None:
    records = {
        ("example.test", "MX"): ["30 mx3.example.test.", "10 mx1.example.test.", "20 mx2"],
        ("mx1.example.test", "AAAA"): ["::1"],
        ("mx1.example.test", "A"): ["127.0.0.1"],
        ("mx2", "A"): ["127.0.0.2"],
        ("mx3.example.test", "AAAA"): ["::1"],
    }
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("example.test"))
    assert resolution == Resolution(
        "example.test",
        "mx",
        mx=(MxHost(10, "mx1.example.test"), MxHost(20, "mx2"), MxHost(30, "mx3.example.test")),
    )
    assert candidates == [
        Candidate("mx1.example.test", 10, ("127.0.0.1", "::1")),
        Candidate("mx2", 20, ("127.0.0.2",)),
        Candidate("mx3.example.test", 30, ("::1",)),
    ]


def test_equal_preferences_are_ordered_by_name() -> None:
    mx = ["10 c.example.test.", "10 A.example.test.", "5 z.example.test.", "10 b.example.test."]
    records: dict[tuple[str, str], list[str]] = {("example.test", "MX"): mx}
    for host in "abcz":
        records[f"{host}.example.test", "A"] = ["127.0.0.1"]
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("example.test"))
    order = ["z.example.test", "A.example.test", "b.example.test", "c.example.test"]
    assert [c.host for c in candidates] == order
    assert [m.host for m in resolution.mx] == order


def test_mx_hosts_without_addresses_carry_an_error_and_the_rest_still_resolve() -> None:
    records = {
        ("example.test", "MX"): [
            "10 good.example.test.",
            "20 bare.example.test.",
            "30 gone.example.test.",
            "40 broken.example.test.",
        ],
        ("good.example.test", "A"): ["127.0.0.1"],
        ("bare.example.test", "TXT"): ['"no addresses here"'],
    }
    with DnsServer(records, servfail={"broken.example.test"}) as server:
        _, candidates = run(resolver(server).mail_hosts("example.test"))
    good, bare, gone, broken = candidates
    assert good == Candidate("good.example.test", 10, ("127.0.0.1",))
    assert bare == Candidate(  # NODATA, told apart from NXDOMAIN below
        "bare.example.test", 20, (), "bare.example.test has no A or AAAA records (the "
        f"nameserver 127.0.0.1:{server.port} answered both with none, NODATA): give it an "
        "address, or name another host in the MX record")
    assert gone == Candidate(
        "gone.example.test", 30, (), "gone.example.test does not exist (NXDOMAIN)"
    )
    assert broken.addresses == ()
    assert broken.error is not None
    assert "SERVFAIL" in broken.error and "broken.example.test" in broken.error


def test_no_mx_records_means_the_domain_itself_is_the_implicit_mx() -> None:
    records = {("example.test", "A"): ["127.0.0.1"], ("example.test", "AAAA"): ["::1"]}
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("example.test."))
    assert resolution == Resolution("example.test", "implicit-mx")
    assert candidates == [Candidate("example.test", None, ("127.0.0.1", "::1"))]
    assert server.queries[0] == ("example.test", "MX")


def test_null_mx_means_no_mail_and_nothing_else_is_looked_up() -> None:
    records = {("example.test", "MX"): ["0 ."], ("example.test", "A"): ["127.0.0.1"]}
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("example.test"))
    assert resolution == Resolution("example.test", "null-mx", mx=(MxHost(0, "."),))
    assert candidates == []
    assert server.queries == [("example.test", "MX")]


def test_a_null_mx_mixed_with_real_ones_is_listed_but_not_looked_up() -> None:
    records = {
        ("example.test", "MX"): ["0 .", "10 mx.example.test."],
        ("mx.example.test", "A"): ["127.0.0.1"],
    }
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("example.test"))
    assert resolution.mx == (MxHost(0, "."), MxHost(10, "mx.example.test"))
    assert resolution.method == "mx"  # a finding (core.findings) names the '.'
    assert candidates == [Candidate("mx.example.test", 10, ("127.0.0.1",))]
    assert (".", "A") not in server.queries and ("", "A") not in server.queries


def test_nxdomain_is_a_dns_error_naming_the_domain() -> None:
    with DnsServer({("other.test", "A"): ["127.0.0.1"]}) as server:
        error = dns_error(server, resolver(server).mail_hosts("example.test"))
    assert error.message == (
        f"example.test does not exist (NXDOMAIN); the nameserver 127.0.0.1:{server.port} "
        "answered so to MX example.test: check its spelling, and that it is registered and "
        f"delegated (dig @127.0.0.1 -p {server.port} MX example.test)")


def test_servfail_names_the_server_and_the_question() -> None:
    with DnsServer({}, servfail={"example.test"}) as server:
        error = dns_error(server, resolver(server).mail_hosts("example.test"))
    assert error.message == (
        f"the nameserver 127.0.0.1:{server.port} failed (SERVFAIL) answering MX example.test: "
        "usually a lame delegation (the domain's nameservers do not answer for it) or a DNSSEC "
        "signature that does not validate (if dig @127.0.0.1 -p "
        f"{server.port} +cd MX example.test answers, it is DNSSEC)")


def test_a_domain_with_no_mx_a_or_aaaa_is_a_dns_error() -> None:
    with DnsServer({("example.test", "TXT"): ['"v=spf1 -all"']}) as server:
        error = dns_error(server, resolver(server).mail_hosts("example.test"))
    assert error.message == (
        f"example.test has no MX, A or AAAA records (the nameserver 127.0.0.1:{server.port} "
        "answered each with none): it cannot receive mail; publish an MX record naming its "
        "mail host, or MX 0 . to say it takes none (RFC 7505)")
    assert set(server.queries) == {
        ("example.test", "MX"),
        ("example.test", "A"),
        ("example.test", "AAAA"),
    }


def test_a_silent_server_times_out_within_the_lifetime() -> None:
    with DnsServer({("example.test", "MX"): ["10 mx."]}, silent={"example.test"}) as server:
        started = time.monotonic()
        error = dns_error(server, resolver(server, timeout=0.5).mail_hosts("example.test"))
        elapsed = time.monotonic() - started
    assert error.message.startswith(
        f"no answer within 0.5 s from 127.0.0.1:{server.port} for MX example.test, nor over "
        "TCP")  # the rest: tests/test_dns_timeouts.py
    assert elapsed < 1.5
    assert ("example.test", "MX") in server.queries


def test_a_server_that_is_not_there_is_a_dns_error_not_a_library_exception() -> None:
    server = DnsServer({}).start()
    server.stop()  # the port is now closed: nobody answers on it
    error = dns_error(server, resolver(server, timeout=0.5).mail_hosts("example.test"))
    assert "MX example.test" in error.message
    assert f"127.0.0.1:{server.port}" in error.message


def test_addresses_of_a_plain_host_are_a_then_aaaa() -> None:
    records = {
        ("host.example.test", "AAAA"): ["::1"],
        ("host.example.test", "A"): ["127.0.0.2", "127.0.0.3"],
        ("bare.example.test", "MX"): ["10 host.example.test."],
    }
    with DnsServer(records) as server:
        found = run(resolver(server).addresses("host.example.test"))
        assert found[-1] == "::1"
        assert sorted(found[:2]) == ["127.0.0.2", "127.0.0.3"]
        error = dns_error(server, resolver(server).addresses("bare.example.test"))
        assert error.message == (
            "bare.example.test has no A or AAAA records (the nameserver "
            f"127.0.0.1:{server.port} answered both with none, NODATA): give it an address")
        error = dns_error(server, resolver(server).addresses("nowhere.example.test"))
        assert error.message == "nowhere.example.test does not exist (NXDOMAIN)"


def test_a_truncated_udp_answer_is_fetched_again_over_tcp() -> None:
    many = [f"127.0.{i // 250}.{i % 250 + 1}" for i in range(150)]
    with DnsServer({("big.example.test", "A"): many}) as server:
        found = run(resolver(server).addresses("big.example.test"))
    assert sorted(found) == sorted(many)
    assert server.queries.count(("big.example.test", "A")) == 2  # UDP (truncated), then TCP


def test_ptr_gives_the_reverse_name_or_none() -> None:
    records = {("1.0.0.127.in-addr.arpa", "PTR"): ["mail.example.test."]}
    with DnsServer(records, servfail={"3.0.0.127.in-addr.arpa"}) as server:
        lookup = resolver(server)
        assert run(lookup.ptr("127.0.0.1")) == "mail.example.test"
        assert run(lookup.ptr("127.0.0.2")) is None
        assert ("2.0.0.127.in-addr.arpa", "PTR") in server.queries
        assert run(lookup.ptr("127.0.0.3")) is None  # SERVFAIL: still no exception
        assert run(lookup.ptr("not an address")) is None


def test_international_names_are_queried_as_a_labels() -> None:
    records = {
        ("xn--bcher-kva.test", "MX"): ["10 mx.xn--bcher-kva.test."],
        ("mx.xn--bcher-kva.test", "A"): ["127.0.0.1"],
    }
    with DnsServer(records) as server:
        resolution, candidates = run(resolver(server).mail_hosts("Bücher.test"))
    assert server.queries[0] == ("xn--bcher-kva.test", "MX")
    assert resolution.domain == "Bücher.test"
    assert candidates == [Candidate("mx.xn--bcher-kva.test", 10, ("127.0.0.1",))]


@pytest.mark.parametrize(("name", "message"), [
    ("", "an empty domain name cannot be looked up"),
    (".", "an empty domain name cannot be looked up"),
    ("a..b.test", "'a..b.test' is not a valid domain name"),
    ("x" * 64 + ".test", "is not a valid domain name"),
    ("exa mple.test", "'exa mple.test' is not a domain name: it contains whitespace"),
])
def test_names_that_cannot_be_dns_names_are_target_errors_and_send_nothing(
        name: str, message: str) -> None:
    with DnsServer({}) as server:
        with pytest.raises(TargetError, match=re.escape(message)):
            run(resolver(server).mail_hosts(name))
        with pytest.raises(TargetError, match=re.escape(message)):
            run(resolver(server).addresses(name))
    assert server.queries == []


@pytest.mark.parametrize(("nameserver", "message"), [
    (("dns.example.test", 53), "^the nameserver must be an IP address, not 'dns.example.test'$"),
    (("127.0.0.1", 0), "^the nameserver port must be 1-65535, not 0$"),
])
def test_a_nameserver_must_be_an_ip_and_port(nameserver: tuple[str, int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Resolver(nameserver=nameserver)


def test_an_mx_answer_too_big_for_udp_comes_whole_over_tcp_with_edns() -> None:
    # audit asks with EDNS (a 1,232-byte UDP payload): the TCP retry is not held to that size
    from smtpdiag.net.lookups import PolicyResolver

    hosts = [f"{i} mx{i:03d}.a-rather-long-mail-domain-name.example.test" for i in range(1, 201)]
    with DnsServer({("big.example.test", "MX"): [f"{h}." for h in hosts]}) as server:
        answer = run(PolicyResolver((server.host, server.port), 3.0).ask("big.example.test",
                                                                          "MX"))
    assert (answer.status, answer.error, sorted(answer.records)) == ("ok", None, sorted(hosts))
    assert server.queries.count(("big.example.test", "MX")) == 2  # UDP (truncated), then TCP
