"""Addresses as they go on the wire (issue 9, point 4): IDN domains as A-labels, SMTPUTF8 only
when a local part needs it, and user input refused before it could reach a server.  Pure."""

from __future__ import annotations

import pytest

from smtpdiag.core.addresses import not_a_host_name, repeated_suffix
from smtpdiag.core.targets import (
    a_label,
    default_recipient,
    needs_smtputf8,
    parse_target,
    validate_address,
    validate_helo,
    wire_address,
)
from smtpdiag.errors import UsageError


@pytest.mark.parametrize(("name", "wire"), [
    ("example.org", "example.org"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.Example", "xn--bcher-kva.example"),
    ("faß.de", "xn--fa-hia.de"),  # IDNA 2008: ß is a letter of its own, not "ss"
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("_dmarc.example.org", "_dmarc.example.org"),  # ASCII is left alone, underscores and all
    ("[192.0.2.1]", "[192.0.2.1]"),
    ("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"),
    ("münchen.de.", "xn--mnchen-3ya.de."),
])
def test_a_label(name: str, wire: str) -> None:
    assert a_label(name) == wire


@pytest.mark.parametrize(("address", "wire", "utf8"), [
    ("alice@example.org", "alice@example.org", False),
    ("alice@bücher.example", "alice@xn--bcher-kva.example", False),
    ("jörg@bücher.example", "jörg@bücher.example", True),  # SMTPUTF8 carries U-labels as is
    ("jörg@example.org", "jörg@example.org", True),
    ("", "", False),  # the null sender
    ("postmaster", "postmaster", False),
    ("bob@[192.0.2.1]", "bob@[192.0.2.1]", False),
])
def test_wire_address(address: str, wire: str, utf8: bool) -> None:
    assert wire_address(address) == wire
    assert needs_smtputf8(wire) is utf8


def test_the_default_recipient_of_an_idn_target_is_in_a_labels() -> None:
    assert default_recipient(parse_target("bücher.example"))[0] == \
        "postmaster@xn--bcher-kva.example"
    assert default_recipient(parse_target("mx.bücher.example:2525"))[0] == \
        "postmaster@mx.xn--bcher-kva.example"


@pytest.mark.parametrize(("value", "message"), [
    # a zero-width joiner is no letter or digit: refused as a label before IDNA sees it
    ("a@ex\u200dample.org", "^--to domain in 'ex\u200dample\\.org' is not a valid host name "
                            r"\(bad label 'ex""\u200d"r"ample'\)$"),  # escaped where shown
    ("a@-bücher.example", r"is not a valid host name \(bad label '-bücher'\)$"),
    ("a@bücher-.example", r"is not a valid host name \(bad label 'bücher-'\)$"),
    ("a@xn--zzzzzz-.example", r"is not a valid host name \(bad label 'xn--zzzzzz-'\)$"),
    # a valid Punycode label, but of an emoji IDNA 2008 disallows
    ("a@xn--ls8h.example", r"^--to 'a@xn--ls8h\.example': the name 'xn--ls8h\.example' has no "
                           r"IDNA A-label \(.*U\+1F4A9.*\), so it cannot be sent to a server$"),
    # an Arabic digit before a Latin letter: the bidi rule refuses it
    ("a@١a.example", r"^--to 'a@١a\.example': the name '١a\.example' has no IDNA A-label "
                     r"\(.*directionality.*\), so it cannot be sent to a server$"),
])
def test_a_domain_that_has_no_a_label_is_refused_before_the_wire(value: str,
                                                                 message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate_address(value, "--to")


def test_a_helo_name_that_has_no_a_label_is_refused() -> None:
    assert validate_helo("mx.bücher.example") == "mx.bücher.example"
    with pytest.raises(UsageError, match=r"^HELO name 'mx\.xn--ls8h\.example': the name "
                                         r"'mx\.xn--ls8h\.example' has no IDNA A-label \(.*"
                                         r"U\+1F4A9.*\), so it cannot be sent to a server$"):
        validate_helo("mx.xn--ls8h.example")


@pytest.mark.parametrize("name", [
    "Mx.Example.COM",  # an all-ASCII name goes as it is typed, capitals and all
    "[192.0.2.1]",
    "[IPv6:2001:DB8::1]",
    "[Ü]",  # an address literal is never IDNA's business, whatever is in it
])
def test_a_label_leaves_ascii_names_and_literals_alone(name: str) -> None:
    assert a_label(name) == name


def test_a_quoted_local_part_keeps_its_at_sign_and_the_domain_is_after_the_last() -> None:
    assert wire_address('"a@b"@bücher.example') == '"a@b"@xn--bcher-kva.example'


@pytest.mark.parametrize(("name", "shown"), [
    ("x" * 53 + ".xn--ls8h.example", "'" + "x" * 53 + ".xn--ls8h.example'"),  # 70: whole
    ("x" * 54 + ".xn--ls8h.example", "'" + "x" * 54 + ".xn--ls8h.exampl'… (71 characters)"),
])
def test_a_long_name_without_an_a_label_is_quoted_up_to_70_characters(name: str,
                                                                     shown: str) -> None:
    with pytest.raises(UsageError) as info:
        validate_address(f"a@{name}", "--to")
    head = f"--to 'a@{name}': the name {shown} has no IDNA A-label ("
    assert info.value.message.startswith(head), info.value.message
    assert info.value.message.endswith("), so it cannot be sent to a server")
    assert "U+1F4A9" in info.value.message[len(head):]  # idna's own words on why


@pytest.mark.parametrize(("name", "found"), [
    ("mail.example.com.example.com", ("mail.example.com", "example.com")),
    ("MX.Sub.Example.COM.sub.example.com.", ("mx.sub.example.com", "sub.example.com")),
    ("mx.d.test.d.test", ("mx.d.test", "d.test")),
    ("mx1.mx1.example.com", None),       # one label twice: a name, not an origin appended
    ("mail.example.com", None), ("com.com", None), ("", None), (".", None),
])
def test_repeated_suffix(name: str, found: tuple[str, str] | None) -> None:
    assert repeated_suffix(name) == found


@pytest.mark.parametrize(("name", "odd"), [
    ("mx.example.com", False), ("_spf.a-b.example", False), ("192.0.2.1", False),
    ("xn--bcher-kva.example", False),
    ("mx\udc07.example", True),   # a control byte, as net/dnswords carries it
    ("we\udc2eird.example", True),  # a dot inside a label
    ("a\udc20b.example", True), ("*.example", True), ("a@b.example", True),
    ("bücher.example", True),  # raw UTF-8 in an answer, not an A-label
])
def test_not_a_host_name(name: str, odd: bool) -> None:
    assert not_a_host_name(name) is odd
