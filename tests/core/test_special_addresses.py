"""``core/addresses.py``: the names and addresses no sender on the Internet can reach, with
the words a finding gives for each.  Pure."""

from __future__ import annotations

import pytest

from smtpdiag.core.addresses import (
    SPECIAL_USE,
    is_ip_literal,
    listed_twice,
    reverse_name,
    special_use,
    this_machine,
    unroutable,
)


@pytest.mark.parametrize("domain", [
    *SPECIAL_USE, *(f"mx.{name}" for name in SPECIAL_USE),
    "EXAMPLE.COM", "Mail.Example.", "lab.home.arpa.", "a.b.test",
])
def test_special_use_names_and_the_names_under_them(domain: str) -> None:
    assert special_use(domain)


@pytest.mark.parametrize("domain", [
    "example.de", "notexample.com", "latest", "arpa", "home.arpa.example.de", "test.com",
    "localhost.example.de", "", "mx.TESTX",  # a letter after the name is another name
])
def test_names_that_only_look_special(domain: str) -> None:
    assert not special_use(domain)


@pytest.mark.parametrize(("address", "why"), [
    ("0.0.0.0", "the unspecified address: a sender connects to itself, or nowhere"),
    ("::", "the unspecified address: a sender connects to itself, or nowhere"),
    ("127.0.0.1", "a loopback address: a sender connects to itself"),
    ("127.1.2.3", "a loopback address: a sender connects to itself"),
    ("::1", "a loopback address: a sender connects to itself"),
    ("169.254.1.1", "a link-local address: only a sender on the same network segment "
                    "reaches it"),
    ("fe80::1", "a link-local address: only a sender on the same network segment reaches it"),
    ("10.0.0.1", "a private or reserved address: senders on the Internet cannot reach it"),
    ("192.168.1.1", "a private or reserved address: senders on the Internet cannot reach it"),
    ("fd00::5", "a private or reserved address: senders on the Internet cannot reach it"),
    ("8.8.8.8", None), ("2a00:1450:4001::1", None), ("mx.example.org", None), ("", None),
    ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address (of 127.0.0.1: an A record's address "
     "written as AAAA); 127.0.0.1 is a loopback address: a sender connects to itself"),
    ("::ffff:8.8.8.8", "an IPv4-mapped IPv6 address (of 8.8.8.8: an A record's address "
     "written as AAAA); many senders refuse to connect to it"),
])
def test_why_an_address_is_unroutable_word_for_word(address: str, why: str | None) -> None:
    assert unroutable(address) == why


@pytest.mark.parametrize(("name", "literal"), [
    ("192.0.2.1", True), ("192.0.2.1.", True), ("[192.0.2.1]", True), ("2001:db8::1", True),
    ("mx.example.org", False), ("192.0.2", False), ("[mx.example.org]", False),
    ("192.0.2.1X", False), ("X192.0.2.1", False),
])
def test_an_mx_host_written_as_an_address(name: str, literal: bool) -> None:
    assert is_ip_literal(name) is literal


def test_a_host_listed_twice_is_named_as_first_written_with_every_preference() -> None:
    records = [("MX.a.test", 20), ("mx.b.test", 10), ("mx.A.test", 5), ("mx.a.test", None)]
    assert listed_twice(records) == [("MX.a.test", [20, 5, None])]
    assert listed_twice([("mx.a.test", 10), ("mx.b.test", 10)]) == []


@pytest.mark.parametrize(("name", "address"), [
    ("1.2.0.192.in-addr.arpa", "192.0.2.1"), ("1.2.0.192.IN-ADDR.ARPA.", "192.0.2.1"),
    ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::1"),
    ("300.2.0.192.in-addr.arpa", None), ("2.0.192.in-addr.arpa", None),
    ("x.1.2.0.192.in-addr.arpa", None), ("g." * 32 + "ip6.arpa", None),
    ("0." * 31 + "ip6.arpa", None), ("mx.example.net", None), ("in-addr.arpa", None),
])
def test_reverse_names_and_their_address(name: str, address: str | None) -> None:
    assert reverse_name(name) == address


@pytest.mark.parametrize(("address", "here"), [
    ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("0.0.0.0", True), ("::", True),
    ("::ffff:127.0.0.1", True), ("::ffff:0.0.0.0", True), ("10.0.0.1", False),
    ("::ffff:10.0.0.1", False), ("fe80::1", False), ("8.8.8.8", False), ("mx.test", False),
])
def test_addresses_that_are_this_machine(address: str, here: bool) -> None:
    assert this_machine(address) is here
