"""Address literals (RFC 5321 §4.1.3) in a mailbox's domain and in the HELO name: an IPv4
dotted quad, or the ``IPv6:`` tag and an IPv6 address.  The ``:`` an IPv6 literal needs is
allowed there and nowhere else in a mailbox; untagged IPv6 and general ``tag:content``
literals are refused with a word on why, as no server reads them.  Pure."""

from __future__ import annotations

import re

import pytest

from smtpdiag.core.targets import validate_address, validate_helo, wire_address
from smtpdiag.errors import UsageError

GOOD_LITERALS = [
    "192.0.2.1",
    "0.0.0.0",
    "255.255.255.255",
    "IPv6:2001:db8::1",
    "IPv6:::1",
    "IPv6:::",
    "IPv6:2001:db8:0:0:0:0:0:1",  # the full form
    "IPv6:2001:DB8::A",  # hex digits in either case
    "IPv6:::ffff:192.0.2.1",  # IPv6v4-comp
    "IPv6:2001:db8:1:2:3:4:192.0.2.1",  # IPv6v4-full
    "ipv6:2001:db8::1",  # ABNF strings are case-insensitive
    "IPV6:2001:db8::1",
]


@pytest.mark.parametrize("inner", GOOD_LITERALS)
def test_a_good_literal_is_taken_as_typed(inner: str) -> None:
    assert validate_address(f"user@[{inner}]") == f"user@[{inner}]"
    assert validate_address(f"<user@[{inner}]>", "--to") == f"user@[{inner}]"
    assert validate_helo(f"[{inner}]") == f"[{inner}]"
    assert wire_address(f"user@[{inner}]") == f"user@[{inner}]"  # no IDNA on a literal


UNTAGGED = "an IPv6 address is written \\[IPv6:{}\\]"
GENERAL = ("its tag '{}' is not one SMTP defines: only IPv4 and \\[IPv6:…\\] literals are")

BAD_LITERALS = [
    # inside, what the message adds after "invalid address literal" ("" for nothing)
    ("", ""),
    ("1", ""),
    ("192.0.2", ""),
    ("192.0.2.300", ""),
    ("192.0.2.1.5", ""),
    ("01.2.3.4", ""),  # a leading zero reads as octal to some parsers: refused
    ("１.2.3.4", ""),  # digits in ASCII only
    (" 192.0.2.1", ""),
    ("example.com", ""),
    ("IPv6:", ""),
    ("IPv6:192.0.2.1", ""),  # IPv4 under the IPv6 tag
    ("IPv6:2001:db8::1::2", ""),
    ("IPv6:2001:db8::g", ""),
    ("IPv6:1:2:3:4:5:6:7:8:9", ""),
    ("IPv6:fe80::1%eth0", ""),  # a zone is no part of the grammar
    ("IPv6:fe80::1%", ""),
    ("IPv6: 2001:db8::1", ""),
    ("IPv6:[2001:db8::1]", ""),
    ("IPv4:192.0.2.1", GENERAL.format("IPv4")),
    ("IPv6x:2001:db8::1", GENERAL.format("IPv6x")),
    ("x400:c=de;a=x", GENERAL.format("x400")),
    ("tag-1:content", GENERAL.format("tag-1")),
    ("a" * 41 + ":x", "its tag 'a{40}'… \\(41 characters\\) is not one SMTP defines"
                      ": only IPv4 and \\[IPv6:…\\] literals are"),
    ("-tag:content", ""),  # not a tag (an Ldh-str starts with a letter or digit)
    ("tag-:content", ""),  # nor ends with a hyphen
    ("ta_g:content", ""),
    ("tag:", ""),  # a tag needs content
    (":content", ""),
    ("2001:db8::1", UNTAGGED.format("2001:db8::1")),
    ("::1", UNTAGGED.format("::1")),
    ("::ffff:192.0.2.1", UNTAGGED.format("::ffff:192.0.2.1")),
    ("fe80::1%eth0", UNTAGGED.format("fe80::1")),  # the hint leaves the zone out too
]


def _tail(extra: str) -> str:
    return f" \\({extra}\\)$" if extra else "$"


@pytest.mark.parametrize(("inner", "extra"), BAD_LITERALS)
def test_a_bad_literal_in_an_address_is_refused_saying_why(inner: str, extra: str) -> None:
    value = f"user@[{inner}]"
    pattern = f"^--to {re.escape(repr(value))} has an invalid address literal{_tail(extra)}"
    with pytest.raises(UsageError, match=pattern):
        validate_address(value, "--to")


@pytest.mark.parametrize(("inner", "extra"), BAD_LITERALS)
def test_a_bad_literal_as_helo_name_is_refused_saying_why(inner: str, extra: str) -> None:
    value = f"[{inner}]"
    pattern = f"^HELO name {re.escape(repr(value))} is not a valid address literal{_tail(extra)}"
    with pytest.raises(UsageError, match=pattern):
        validate_helo(value)


@pytest.mark.parametrize("value", [
    "a:b@[IPv6:2001:db8::1]",  # ':' belongs to the literal only
    "a b@[IPv6:::1]",
    "a,b@[192.0.2.1]",
    'a"b@[192.0.2.1]',
    "a\\b@[192.0.2.1]",
    "user@[IPv6:::1]x",  # no longer a literal: ':' in a host name
    "user@x[IPv6:::1]",
    "user@[IPv6:::1]@[IPv6:::1]",
    "user@[IPv6:::1]>",
    "user@",
])
def test_outside_a_literal_the_mailbox_rules_still_hold(value: str) -> None:
    with pytest.raises(UsageError, match=r"is not a valid mailbox|is not a valid host name"):
        validate_address(value)


def test_an_ipv6_literal_counts_towards_the_254_characters() -> None:
    literal = "[IPv6:2001:db8:1:2:3:4:192.0.2.1]"  # 33 characters
    assert validate_address("l" * 64 + "@" + literal) == "l" * 64 + "@" + literal
    local = "a." * 110  # dots are fine in the middle; 220 + "x" + "@" + 33 = 255
    with pytest.raises(UsageError, match="is not a valid mailbox"):
        validate_address(local + "x@" + literal)
