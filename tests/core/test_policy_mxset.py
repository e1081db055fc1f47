"""``core/policy/mxset.py``: every MX-set finding with its exact detail, and the report's lines.

``tests/test_audit_rules.py`` pins which findings fire; here is what each one says.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.mxset import host_hits, is_ip_literal, mx_facts_lines, mx_hits
from smtpdiag.core.policy.records import Hit, HostFacts, MxFacts

D = "example.test"


def ok(name: str, preference: int | None = 10, *addresses: str) -> HostFacts:
    return HostFacts(name, preference, addresses or ("192.0.2.1", "2001:db8::1"))


@pytest.mark.parametrize(("text", "literal"), [
    ("[2001:db8::1]", True), ("192.0.2.1..", True), ("[192.0.2.1", True),
    ("mx.example.test", False), ("", False), ("::", True),
])
def test_is_ip_literal(text: str, literal: bool) -> None:
    assert is_ip_literal(text) is literal


@pytest.mark.parametrize(("status", "error", "hit"), [
    ("nxdomain", None, Hit("mx.nxdomain", D, f"{D} does not exist (NXDOMAIN)")),
    ("error", "SERVFAIL", Hit("mx.lookup-failed", D, "SERVFAIL")),
    ("error", None, Hit("mx.lookup-failed", D, "the MX lookup failed")),
    ("null", None, Hit("mx.null", D, f"{D} publishes MX 0 . (RFC 7505)")),
    ("none", None, Hit("mx.none", D, f"{D} has no MX, A or AAAA records")),
])
def test_states_that_end_the_evaluation(status: str, error: str | None, hit: Hit) -> None:
    assert mx_hits(MxFacts(D, status, (HostFacts("a.test", 10),), error)) == [hit]


def test_a_healthy_set_says_nothing() -> None:
    assert mx_hits(MxFacts(D, "mx", (ok("a.test", 10), ok("b.test", 20)))) == []


def test_implicit_mx_word_for_word() -> None:
    assert mx_hits(MxFacts(D, "implicit", (ok(D, None),))) == [
        Hit("mx.implicit", D, f"{D} has no MX records; senders fall back to its own address")]


def test_a_single_host_and_no_ipv6() -> None:
    assert mx_hits(MxFacts(D, "mx", (ok("mx.test", 10, "192.0.2.1"),))) == [
        Hit("mx.single", D, "the only MX host is mx.test"),
        Hit("mx.no-ipv6", D, "no MX host has an AAAA (IPv6) address")]


def test_a_single_host_without_addresses_is_not_called_single() -> None:
    assert mx_hits(MxFacts(D, "mx", (HostFacts("mx.test", 10),))) == [
        Hit("mx.no-address", "mx.test", "mx.test has no A or AAAA record; no MX host has an "
            "address", "critical")]


def test_ipv6_anywhere_among_usable_hosts_is_enough() -> None:
    mx = MxFacts(D, "mx", (ok("a.test", 10, "192.0.2.1"), ok("b.test", 20, "2001:db8::2")))
    assert mx_hits(mx) == []
    failing = MxFacts(D, "mx", (ok("a.test", 10, "192.0.2.1"),
                                HostFacts("b.test", 20, ("2001:db8::2",), status="error")))
    assert [h.id for h in mx_hits(failing)] == ["mx.host-lookup-failed", "mx.no-ipv6"]


def test_equal_preferences_in_order_of_preference() -> None:
    mx = MxFacts(D, "mx", (ok("c.test", 20), ok("a.test", 10), ok("d.test", 20), ok("b.test", 10),
                           ok("e.test", 30), ok("f.test", None), ok("g.test", None)))
    assert mx_hits(mx) == [
        Hit("mx.equal-preference", D, "preference 10: a.test, b.test (senders pick among "
            "them at random)"),
        Hit("mx.equal-preference", D, "preference 20: c.test, d.test (senders pick among "
            "them at random)")]


@pytest.mark.parametrize(("host", "hits"), [
    (HostFacts(".", 0, status="null"),
     [Hit("mx.null-mixed", ".", "'.' (the null MX) is listed beside other MX records")]),
    (HostFacts("192.0.2.1", 10, status="literal"), [Hit("mx.ip-literal", "192.0.2.1",
                                                        "MX 10 192.0.2.1")]),
    (HostFacts("[192.0.2.1]", 5, ("192.0.2.1",)), [Hit("mx.ip-literal", "[192.0.2.1]",
                                                       "MX 5 [192.0.2.1]")]),
    (HostFacts("a.test", 10, ("192.0.2.1",), cname="b.test"),
     [Hit("mx.cname", "a.test", "a.test is an alias (CNAME) of b.test")]),
    (HostFacts("a.test", 10, (), cname="b.test", status="nxdomain"),
     [Hit("mx.cname", "a.test", "a.test is an alias (CNAME) of b.test"),
      Hit("mx.host-nxdomain", "a.test", "a.test is an alias (CNAME) of b.test, which does not "
          "exist (NXDOMAIN)", "warning")]),
    (HostFacts("a.test", 10, (), status="error", error="SERVFAIL"),
     [Hit("mx.host-lookup-failed", "a.test", "SERVFAIL", "warning")]),
    (HostFacts("a.test", 10, ("192.0.2.1",), status="error"),
     [Hit("mx.host-lookup-failed", "a.test", "lookup failed", "warning")]),
    (HostFacts("a.test", 10, (), status="nodata"),
     [Hit("mx.no-address", "a.test", "a.test has no A or AAAA record", "warning")]),
    (HostFacts("a.test", 10, ("192.0.2.1",), failed=(("AAAA", "no answer"),)),
     [Hit("mx.family-lookup-failed", "a.test", "no answer; only its A addresses are known")]),
    (HostFacts("a.test", 10, ("192.0.2.1",)), []),
])
def test_host_hits(host: HostFacts, hits: list[Hit]) -> None:
    assert host_hits(host) == hits


def test_an_ip_literal_beside_a_host_without_address_leaves_nothing_that_resolves() -> None:
    mx = MxFacts(D, "mx", (HostFacts("192.0.2.1", 10, status="literal"),
                           HostFacts("a.test", 20, status="nodata")))
    assert [(h.id, h.severity) for h in mx_hits(mx)] == [
        ("mx.ip-literal", None), ("mx.no-address", "critical")]


def test_mx_facts_lines() -> None:
    mx = MxFacts(D, "mx", (
        HostFacts("a.test", 10, ("192.0.2.1", "2001:db8::1"), cname="b.test"),
        HostFacts("c.test", 20, (), status="error", error="SERVFAIL"),
        HostFacts("d.test", 0, (), status="nxdomain"),
        HostFacts(D, None, ("192.0.2.9",))))
    assert mx_facts_lines(mx) == [
        "MX 10 a.test (alias of b.test) → 192.0.2.1, 2001:db8::1",
        "MX 20 c.test → SERVFAIL",
        "MX 0 d.test → nxdomain",
        f"MX {D} → 192.0.2.9"]


def test_mx_addresses_no_sender_can_reach_word_for_word() -> None:
    public = "smtpdiag-lab.net"  # a name that could be on the Internet
    mx = MxFacts(public, "mx", (ok("lan.lab.net", 10, "10.1.2.3", "2001:db8::1"),
                                ok("zero.lab.net", 20, "0.0.0.0"), ok("ok.lab.net", 30, "8.8.8.8")))
    assert [h for h in mx_hits(mx) if h.id == "mx.unroutable"] == [
        Hit("mx.unroutable", "lan.lab.net", "lan.lab.net resolves to 10.1.2.3, a private or "
            "reserved address: senders on the Internet cannot reach it"),
        Hit("mx.unroutable", "lan.lab.net", "lan.lab.net resolves to 2001:db8::1, a private "
            "or reserved address: senders on the Internet cannot reach it"),
        Hit("mx.unroutable", "zero.lab.net", "zero.lab.net resolves to 0.0.0.0, the "
            "unspecified address: a sender connects to itself, or nowhere")]


@pytest.mark.parametrize("domain", [D, "example.com", "corp.internal", "home.arpa"])
def test_a_special_use_domain_may_have_private_mx_addresses(domain: str) -> None:
    mx = MxFacts(domain, "mx", (ok("lan.lab.net", 10, "10.1.2.3", "127.0.0.1"),))
    assert "mx.unroutable" not in [h.id for h in mx_hits(mx)]
